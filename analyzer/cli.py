"""The command line: parse options, call the library, print, choose the exit code.

Exit codes: 0 no finding at or above --fail-on (or a rules command that found no problem);
1 there is one (a finding, a lint problem, a failed rule test); 2 an error (the bundle cannot
be read, a rule is invalid, bad usage), reported as one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from analyzer.console import (
    InternalError,
    color_allowed,
    plural,
    profile_summary,
    summary_line,
    to_ascii,
    wants_ascii,
)
from analyzer.errors import AnalyzerError, printable
from analyzer.formats import EXPLAIN_FORMATS, FORMATS, GRAPH_FORMATS, canonical, output_format
from analyzer.report import SEVERITIES, exit_code

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


def _format_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    fmt = canonical(value)
    if fmt is None:
        raise click.BadParameter(f"{value!r} is not one of {', '.join(FORMATS)}")
    return fmt


class _Cli(click.Group):
    """The command group, with the two things click's own does not do: a bundle named
    without a command gets a suggestion, and an internal error leaves its traceback."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if self.get_command(ctx, name) is None and name and os.path.exists(name):
            raise click.UsageError(
                f"{name!r} is not a command; to analyze it: bundle-analyzer analyze {name}", ctx
            )
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (AnalyzerError, click.exceptions.ClickException, click.exceptions.Exit):
            raise
        except Exception as exc:
            raise InternalError(exc, debug=ctx.params["debug"]) from exc


def _packs(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> tuple[Path, ...]:
    from analyzer.rulebook import default_rules_dir

    if rules_only is not None and rules_dirs:
        raise click.UsageError(
            "--rules adds to the shipped pack, --rules-only replaces it: not both"
        )
    return (rules_only,) if rules_only is not None else (default_rules_dir(), *rules_dirs)


def _book(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> RuleBook:
    from analyzer.rulebook import load_rules

    return load_rules(*_packs(rules_dirs, rules_only))


def _echo(text: str, *, err: bool = False, nl: bool = True, color: bool | None = None) -> None:
    """click.echo, in ASCII where the console cannot show UTF-8 (see analyzer/console.py)."""
    if wants_ascii(sys.stderr if err else sys.stdout):
        text = to_ascii(text)
    click.echo(text, err=err, nl=nl, color=color)


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bundle-analyzer", prog_name="bundle-analyzer")
@click.option(
    "--debug",
    is_flag=True,
    help="On an internal error, print the traceback instead of saving it to a file.",
)
def cli(debug: bool) -> None:
    """Offline root-cause analysis of Harvester support bundles."""


@cli.command()
@click.argument("bundle", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    metavar="[md|html|json|text]",
    callback=_format_option,
    help="Report format, any case; markdown and txt too (default: from --output's "
    "extension; on a terminal the text summary, else md).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@rules_option
@click.option(
    "--disable",
    multiple=True,
    metavar="RULE_ID",
    help="Do not evaluate this rule: reported as skipped (disabled), as are the rules that "
    "require it (repeatable).",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="high",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse fires.",
)
@click.option(
    "--explain",
    "explain_rule",
    metavar="RULE_ID",
    help="Instead of the report, show what one rule read and why it fired or not.",
)
@click.option(
    "--no-redact",
    is_flag=True,
    help="Show secrets (tokens, passwords, keys) found in quoted lines instead of [REDACTED].",
)
@click.option(
    "--profile",
    "with_profile",
    is_flag=True,
    help="Time each phase, source and rule: in the JSON report, and a summary on stderr.",
)
@click.option(
    "--color",
    type=click.Choice(["auto", "always", "never"], case_sensitive=False),
    default="auto",
    show_default=True,
    help="Colour the text summary: auto colours a terminal unless NO_COLOR is set; always "
    "colours it piped too.",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    help="Processes scanning logs at once. [default: one per core]",
)
def analyze(
    bundle: tuple[Path, ...],
    fmt: str | None,
    output: Path | None,
    rules_dirs: tuple[Path, ...],
    rules_only: Path | None,
    disable: tuple[str, ...],
    fail_on: str,
    explain_rule: str | None,
    no_redact: bool,
    with_profile: bool,
    color: str,
    jobs: int | None,
) -> int:
    """Analyze BUNDLE: a support bundle .zip, .tar.gz or unpacked folder, or all the parts
    of a split one (.001.zip ...; the first part alone finds the others)."""
    terminal = output is None and sys.stdout.isatty()
    book = _book(rules_dirs, rules_only).disable(disable)
    if explain_rule:
        return _explain(list(bundle), book, explain_rule, fmt, output, no_redact)
    if output is not None:
        fmt = output_format(output, fmt)
    else:
        fmt = fmt or ("text" if terminal else "md")
    from analyzer.engine import analyze as run_analysis
    from analyzer.render import render
    from analyzer.render.terminal import TerminalProgress

    started = time.perf_counter()
    progress = TerminalProgress() if sys.stderr.isatty() else None
    try:
        report = run_analysis(
            list(bundle),
            book,
            redact=not no_redact,
            profile=with_profile,
            workers=jobs,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    colored = color == "always" or (color == "auto" and terminal and color_allowed())
    width = shutil.get_terminal_size().columns if terminal else 100
    text = render(report, fmt, color=colored, width=min(width, 120))
    if with_profile and report.profile:
        _echo(profile_summary(report.profile, time.perf_counter() - started), err=True)
    if output is None:
        # click strips colour from a stream that is not a terminal unless told otherwise.
        _echo(text, nl=False, color=colored)
    else:
        _write(output, text)
        _echo(summary_line(report, output), err=True)
    return exit_code(report, fail_on)


def _explain(
    bundle: list[Path],
    book: RuleBook,
    rule_id: str,
    fmt: str | None,
    output: Path | None,
    no_redact: bool,
) -> int:
    """--explain: the trace as text unless -f or -o's extension says md or json."""
    fmt = output_format(output, fmt) if output is not None else fmt or "text"
    if fmt not in EXPLAIN_FORMATS:  # checked before the bundle is read
        raise AnalyzerError(f"--explain writes {', '.join(EXPLAIN_FORMATS)}, not {fmt}")
    from analyzer.explain import explain, render_explanation

    text = render_explanation(explain(bundle, book, rule_id, redact=not no_redact), fmt)
    if output is None:
        _echo(text, nl=False)
    else:
        _write(output, text)
        _echo(f"{output}: explained {rule_id}", err=True)
    return 0


@cli.group()
def rules() -> None:
    """Work on the rule pack: list, lint, test, graph, docs."""


@rules.command("list")
@rules_option
def list_rules(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> int:
    """One line per rule: id, severity, category, title."""
    for rule in _book(rules_dirs, rules_only).rules.values():
        _echo(f"{rule.id:<34} {rule.severity:<9} {rule.category:<11} {rule.title}")
    return 0


@rules.command()
@rules_option
def lint(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> int:
    """Check every rule and its test cases; list each problem with file and field."""
    from analyzer.rulebook import check_rules
    from analyzer.ruletest import load_cases

    book, problems = check_rules(*_packs(rules_dirs, rules_only))
    cases: list[Any] = []
    if book is not None:
        cases, case_problems = load_cases(book)
        problems += case_problems
    for problem in problems:
        _echo(problem)
    if problems or book is None:
        _echo(plural(len(problems), "problem"), err=True)
        return 1
    _echo(f"{plural(len(book.rules), 'rule')} and {plural(len(cases), 'test case')}: no problem")
    return 0


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@rules_option
@click.option(
    "--fixtures",
    type=click.Path(path_type=Path, file_okay=False),
    help="Fixture bundles the cases name (default: <rules>/../fixtures/bundles, or those "
    "installed with the shipped rule pack).",
)
def run_tests(
    rule_ids: tuple[str, ...],
    rules_dirs: tuple[Path, ...],
    rules_only: Path | None,
    fixtures: Path | None,
) -> int:
    """Run the test cases of RULE_IDS (default: every rule); show which failed and why."""
    from analyzer.ruletest import default_fixtures, load_cases, run_case

    book = _book(rules_dirs, rules_only)
    unknown = sorted(set(rule_ids) - set(book.rules))
    if unknown:
        word = "unknown rule id" if len(unknown) == 1 else "unknown rule ids"
        raise AnalyzerError(f"{word}: {', '.join(unknown)}")
    cases, _ = load_cases(book)
    selected = [c for c in cases if not rule_ids or c.rule_id in rule_ids]
    failed = 0
    for case in selected:
        pack = book.rules[case.rule_id].pack
        result = run_case(case, book, fixtures or default_fixtures(pack))
        failed += not result.ok
        _echo(f"PASS {case.id}" if result.ok else f"FAIL {case.id}: {result.why}")
    _echo(f"{len(selected) - failed} passed, {failed} failed", err=True)
    return 1 if failed else 0


@rules.command()
@rules_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(GRAPH_FORMATS), default="mermaid", show_default=True
)
def graph(rules_dirs: tuple[Path, ...], rules_only: Path | None, fmt: str) -> int:
    """The requires and explains graph of the rules, as Mermaid or DOT."""
    from analyzer.ruledocs import rule_graph

    _echo(rule_graph(_book(rules_dirs, rules_only), fmt), nl=False)
    return 0


@rules.command()
@rules_option
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Where to write (default: docs/rules.md beside the rule pack, or rules.md in the "
    "current folder for the installed pack; - for stdout).",
)
def docs(rules_dirs: tuple[Path, ...], rules_only: Path | None, output: Path | None) -> int:
    """Write the rule reference from the rules' own metadata."""
    from analyzer.ruledocs import SOURCES_MARKERS, docs_target, rule_reference, with_sources_table
    from analyzer.ruleschema import FIELDS_BEGIN, with_field_tables

    book = _book(rules_dirs, rules_only)
    text = rule_reference(book)
    if str(output) == "-":
        _echo(text, nl=False)
        return 0
    target = output or docs_target(book.packs[-1].resolve())
    _write(target, text)
    _echo(f"wrote {target}", err=True)
    # The field tables of the rule format beside it come from the schemas: refreshed here,
    # so one command brings every generated document up to date.
    format_doc = target.with_name("rule-format.md")
    if format_doc.is_file() and FIELDS_BEGIN in (current := format_doc.read_text()):
        text = with_field_tables(current)
        if SOURCES_MARKERS[0] in text:  # the sources table, from the registries
            text = with_sources_table(text)
        _write(format_doc, text)
        _echo(f"wrote {format_doc}", err=True)
    return 0


def _write(target: Path, text: str) -> None:
    from analyzer.output import write_atomic

    # Whole or not at all, never through a symbolic link: analyzer/output.py.
    write_atomic(target, text.encode("utf-8"))


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script's entry point)."""
    try:
        code = cli.main(args=argv, prog_name="bundle-analyzer", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        _echo("bundle-analyzer: aborted", err=True)
        return 2
    except AnalyzerError as exc:
        _echo(f"bundle-analyzer: error: {printable(str(exc))}", err=True)
        return 2
    except Exception as exc:
        # A bug outside a command (none is known) is reported like one inside.
        internal = exc if isinstance(exc, InternalError) else InternalError(exc, debug=False)
        _echo(f"bundle-analyzer: internal error: {printable(str(internal))}", err=True)
        return 2
    return code if isinstance(code, int) else 0
