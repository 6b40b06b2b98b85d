"""What the commands share: the rule-pack options, the pack they name, printing, writing.

Every command module of this package imports click; nothing outside the package does.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from analyzer.console import to_ascii, wants_ascii
from analyzer.formats import CI_FORMATS, FORMATS, canonical

# The engine, the renderers and the rule book are imported by the commands that use them:
# with them (networkx, jinja2, hyperscan, re2) `--help` took 0.3 s instead of 0.05 s.
if TYPE_CHECKING:
    from analyzer.rulebook import RuleBook


def rules_option(command: Callable[..., int]) -> Callable[..., int]:
    """--rules (added to the shipped pack, overriding it by rule id) and --rules-only."""
    command = click.option(
        "--rules-only",
        "rules_only",
        type=click.Path(path_type=Path),
        help="Use this rule pack on its own, without the shipped one.",
    )(command)
    return click.option(
        "--rules",
        "rules_dirs",
        multiple=True,
        type=click.Path(path_type=Path),
        help="A rule pack added to the shipped one; its rules replace shipped rules with the "
        "same id (repeatable, later ones win).",
    )(command)


def format_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    fmt = canonical(value)
    if fmt is None:
        raise click.BadParameter(f"{value!r} is not one of {', '.join((*FORMATS, *CI_FORMATS))}")
    return fmt


def packs(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> tuple[Path, ...]:
    from analyzer.rulebook import default_rules_dir

    if rules_only is not None and rules_dirs:
        raise click.UsageError(
            "--rules adds to the shipped pack, --rules-only replaces it: not both"
        )
    return (rules_only,) if rules_only is not None else (default_rules_dir(), *rules_dirs)


def load_book(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> RuleBook:
    from analyzer.rulebook import load_rules

    return load_rules(*packs(rules_dirs, rules_only))


def echo(text: str, *, err: bool = False, nl: bool = True, color: bool | None = None) -> None:
    """click.echo, in ASCII where the console cannot show UTF-8 (see analyzer/console.py)."""
    if wants_ascii(sys.stderr if err else sys.stdout):
        text = to_ascii(text)
    click.echo(text, err=err, nl=nl, color=color)


def write_text(target: Path, text: str) -> None:
    from analyzer.output import write_atomic

    # Whole or not at all, never through a symbolic link: analyzer/output.py.
    write_atomic(target, text.encode("utf-8"))
