"""The command line: parse options, call the library, print, choose the exit code.

Exit codes: 0 no finding at or above --fail-on (or a rules command that found no problem);
1 there is one (a finding, a lint problem, a failed rule test); 2 an error (the bundle cannot
be read, a rule is invalid, bad usage), reported as one line on stderr, never a traceback.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from analyzer.engine import analyze as run_analysis
from analyzer.errors import AnalyzerError
from analyzer.explain import EXPLAIN_FORMATS, explain, render_explanation
from analyzer.output import write_atomic
from analyzer.render import FORMATS, render
from analyzer.render.terminal import TerminalProgress
from analyzer.report import SEVERITIES, Report, severity_rank
from analyzer.rulebook import RuleBook, check_rules, default_rules_dir, load_rules
from analyzer.ruledocs import GRAPH_FORMATS, rule_graph, rule_reference
from analyzer.ruleschema import FIELDS_BEGIN, with_field_tables
from analyzer.ruletest import Case, default_fixtures, load_cases, run_case

_SUFFIX_FORMATS = {
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".json": "json",
    ".txt": "text",
}


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


def _color_allowed() -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off; so does a dumb terminal.
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def _packs(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> tuple[Path, ...]:
    if rules_only is not None and rules_dirs:
        raise click.UsageError(
            "--rules adds to the shipped pack, --rules-only replaces it: not both"
        )
    return (rules_only,) if rules_only is not None else (default_rules_dir(), *rules_dirs)


def _book(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> RuleBook:
    return load_rules(*_packs(rules_dirs, rules_only))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bundle-analyzer", prog_name="bundle-analyzer")
def cli() -> None:
    """Offline root-cause analysis of Harvester support bundles."""


@cli.command()
@click.argument("bundle", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    help="Report format (default: from --output's extension; on a terminal the text summary, "
    "else md).",
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
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the text summary: auto colours a terminal unless NO_COLOR is set.",
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
        fmt = fmt or _SUFFIX_FORMATS.get(output.suffix.lower(), "md")
    else:
        fmt = fmt or ("text" if terminal else "md")
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
    colored = color == "always" or (color == "auto" and terminal and _color_allowed())
    width = shutil.get_terminal_size().columns if terminal else 100
    text = render(report, fmt, color=colored, width=min(width, 120))
    if with_profile and report.profile:
        click.echo(_profile_summary(report.profile, time.perf_counter() - started), err=True)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(_summary_line(report, output), err=True)
    return _exit_code(report, fail_on)


def _explain(
    bundle: list[Path],
    book: RuleBook,
    rule_id: str,
    fmt: str | None,
    output: Path | None,
    no_redact: bool,
) -> int:
    """--explain: the trace as text unless -f or -o's extension says md or json."""
    if fmt is None and output is not None:
        fmt = _SUFFIX_FORMATS.get(output.suffix.lower(), "text")
    fmt = fmt or "text"
    if fmt not in EXPLAIN_FORMATS:  # checked before the bundle is read
        raise AnalyzerError(f"--explain writes {', '.join(EXPLAIN_FORMATS)}, not {fmt}")
    text = render_explanation(explain(bundle, book, rule_id, redact=not no_redact), fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write(output, text)
        click.echo(f"{output}: explained {rule_id}", err=True)
    return 0


@cli.group()
def rules() -> None:
    """Work on the rule pack: list, lint, test, graph, docs."""


@rules.command("list")
@rules_option
def list_rules(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> int:
    """One line per rule: id, severity, category, title."""
    for rule in _book(rules_dirs, rules_only).rules.values():
        click.echo(f"{rule.id:<34} {rule.severity:<9} {rule.category:<11} {rule.title}")
    return 0


@rules.command()
@rules_option
def lint(rules_dirs: tuple[Path, ...], rules_only: Path | None) -> int:
    """Check every rule and its test cases; list each problem with file and field."""
    book, problems = check_rules(*_packs(rules_dirs, rules_only))
    cases: list[Case] = []
    if book is not None:
        cases, case_problems = load_cases(book)
        problems += case_problems
    for problem in problems:
        click.echo(problem)
    if problems or book is None:
        click.echo(f"{len(problems)} problem(s)", err=True)
        return 1
    click.echo(f"{len(book.rules)} rules and {len(cases)} test cases: no problem")
    return 0


@rules.command("test")
@click.argument("rule_ids", nargs=-1)
@rules_option
@click.option(
    "--fixtures",
    type=click.Path(path_type=Path, file_okay=False),
    help="Fixture bundles the cases name (default: <rules>/../fixtures/bundles).",
)
def run_tests(
    rule_ids: tuple[str, ...],
    rules_dirs: tuple[Path, ...],
    rules_only: Path | None,
    fixtures: Path | None,
) -> int:
    """Run the test cases of RULE_IDS (default: every rule); show which failed and why."""
    book = _book(rules_dirs, rules_only)
    unknown = sorted(set(rule_ids) - set(book.rules))
    if unknown:
        raise AnalyzerError(f"unknown rule id(s): {', '.join(unknown)}")
    cases, _ = load_cases(book)
    selected = [c for c in cases if not rule_ids or c.rule_id in rule_ids]
    failed = 0
    for case in selected:
        result = run_case(case, book, fixtures or default_fixtures(book.rules[case.rule_id].pack))
        failed += not result.ok
        click.echo(f"PASS {case.id}" if result.ok else f"FAIL {case.id}: {result.why}")
    click.echo(f"{len(selected) - failed} passed, {failed} failed", err=True)
    return 1 if failed else 0


@rules.command()
@rules_option
@click.option(
    "--format", "-f", "fmt", type=click.Choice(GRAPH_FORMATS), default="mermaid", show_default=True
)
def graph(rules_dirs: tuple[Path, ...], rules_only: Path | None, fmt: str) -> int:
    """The requires and explains graph of the rules, as Mermaid or DOT."""
    click.echo(rule_graph(_book(rules_dirs, rules_only), fmt), nl=False)
    return 0


@rules.command()
@rules_option
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False, allow_dash=True),
    help="Where to write (default: docs/rules.md beside the rule pack; - for stdout).",
)
def docs(rules_dirs: tuple[Path, ...], rules_only: Path | None, output: Path | None) -> int:
    """Write the rule reference from the rules' own metadata."""
    book = _book(rules_dirs, rules_only)
    text = rule_reference(book)
    if str(output) == "-":
        click.echo(text, nl=False)
        return 0
    target = output or book.packs[-1].resolve().parent / "docs" / "rules.md"
    _write(target, text)
    click.echo(f"wrote {target}", err=True)
    # The field tables of the rule format beside it come from the schemas: refreshed here,
    # so one command brings every generated document up to date.
    format_doc = target.with_name("rule-format.md")
    if format_doc.is_file() and FIELDS_BEGIN in (current := format_doc.read_text()):
        _write(format_doc, with_field_tables(current))
        click.echo(f"wrote {format_doc}", err=True)
    return 0


def _write(target: Path, text: str) -> None:
    # Whole or not at all, never through a symbolic link: analyzer/output.py.
    write_atomic(target, text.encode("utf-8"))


def _profile_summary(profile: dict[str, dict[str, float]], total: float) -> str:
    lines = [f"profile: {total:.2f} s in all (bundle opened and report rendered included)"]
    for table in ("phases", "sources", "rules"):
        slowest = list(profile[table].items())[:5]
        lines.append(f"  {table}: " + ", ".join(f"{k} {v:.2f}s" for k, v in slowest))
    return "\n".join(lines)


def _summary_line(report: Report, output: Path) -> str:
    roots = len(report.root_causes)
    worst = report.worst_severity()
    verdict = f"{roots} root cause(s), worst {worst}" if worst else "no problem found"
    return f"{output}: {verdict}"


def _exit_code(report: Report, fail_on: str) -> int:
    if fail_on == "none":
        return 0
    threshold = severity_rank(fail_on)
    return 1 if any(severity_rank(f.severity) <= threshold for f in report.fired) else 0


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script's entry point)."""
    try:
        code = cli.main(args=argv, prog_name="bundle-analyzer", standalone_mode=False)
    except click.exceptions.UsageError as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("bundle-analyzer: aborted", err=True)
        return 2
    except AnalyzerError as exc:
        click.echo(f"bundle-analyzer: error: {_one_line(str(exc))}", err=True)
        return 2
    except Exception as exc:
        why = _one_line(f"{type(exc).__name__}: {exc}")
        click.echo(f"bundle-analyzer: internal error: {why}", err=True)
        return 2
    return code if isinstance(code, int) else 0


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _one_line(text: str) -> str:
    """An error message as one line that cannot drive the terminal: names from the bundle
    may hold newlines and escape sequences; they are shown as \\x.. escapes."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)
