"""`diff OLD NEW`: what changed between two bundles (analyzer/diff.py)."""

from __future__ import annotations

from pathlib import Path

import click

from analyzer.cli.common import echo, format_option, load_book, rules_option, write_text
from analyzer.errors import AnalyzerError
from analyzer.formats import output_format


@click.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    metavar="[md|html|json]",
    callback=format_option,
    help="Diff format, any case (default: from --output's extension, else md).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the diff to this file instead of stdout.",
)
@rules_option
@click.option(
    "--no-redact",
    is_flag=True,
    help="Show secrets (tokens, passwords, keys) instead of [REDACTED].",
)
def diff(
    old: Path,
    new: Path,
    fmt: str | None,
    output: Path | None,
    rules_dirs: tuple[Path, ...],
    rules_only: Path | None,
    no_redact: bool,
) -> int:
    """Compare bundle OLD with bundle NEW (each a .zip, .tar.gz or folder): findings new,
    resolved, persisting, changed or not comparable, versions, nodes, settings, objects,
    restarts and log signatures. Exit 0 unless an error (2)."""
    fmt = output_format(output, fmt) if output is not None else fmt or "md"
    from analyzer.render.diff import DIFF_FORMATS, render_diff

    if fmt not in DIFF_FORMATS:  # checked before the bundles are read
        raise AnalyzerError(f"diff writes {', '.join(DIFF_FORMATS)}, not {fmt}")
    book = load_book(rules_dirs, rules_only)
    from analyzer.diff import diff_bundles

    text = render_diff(diff_bundles(old, new, book, redact_secrets=not no_redact), fmt)
    if output is None:
        echo(text, nl=False)
    else:
        write_text(output, text)
        echo(f"{output}: diff of {old.name} and {new.name} written", err=True)
    return 0
