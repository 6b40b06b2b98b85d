"""`analyze`: a bundle in, a report out (or, with --explain, one rule's trace)."""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from analyzer.cli.common import echo, format_option, load_book, rules_option, write_text
from analyzer.console import color_allowed, profile_summary, summary_line
from analyzer.errors import AnalyzerError
from analyzer.formats import EXPLAIN_FORMATS, output_format
from analyzer.report import SEVERITIES, exit_code

if TYPE_CHECKING:
    from analyzer.rulebook import RuleBook


@click.command()
@click.argument("bundle", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    metavar="[md|html|json|text|junit]",
    callback=format_option,
    help="Report format, any case; markdown and txt too; junit for CI (default: from "
    "--output's extension, .xml is junit; on a terminal the text summary, else md).",
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
    "--ack",
    "ack_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="YAML list of {rule, match, reason, until}: those findings stay in the report, "
    "marked, and do not count for --fail-on until the date.",
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
    ack_file: Path | None,
    explain_rule: str | None,
    no_redact: bool,
    with_profile: bool,
    color: str,
    jobs: int | None,
) -> int:
    """Analyze BUNDLE: a support bundle .zip, .tar.gz or unpacked folder, or all the parts
    of a split one (.001.zip ...; the first part alone finds the others)."""
    terminal = output is None and sys.stdout.isatty()
    rule_book = load_book(rules_dirs, rules_only).disable(disable)
    if explain_rule:
        return _explain(list(bundle), rule_book, explain_rule, fmt, output, no_redact)
    if output is not None:
        fmt = output_format(output, fmt)
    else:
        fmt = fmt or ("text" if terminal else "md")
    from analyzer.ack import apply_acks, load_acks

    # Read (and checked) before the bundle: a typo in it is known at once.
    acks = load_acks(ack_file) if ack_file is not None else None
    from analyzer.engine import analyze as run_analysis
    from analyzer.render import render
    from analyzer.render.terminal import TerminalProgress

    started = time.perf_counter()
    progress = TerminalProgress() if sys.stderr.isatty() else None
    try:
        report = run_analysis(
            list(bundle),
            rule_book,
            redact=not no_redact,
            profile=with_profile,
            workers=jobs,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.close()
    if acks is not None:
        report = apply_acks(report, acks)
    colored = color == "always" or (color == "auto" and terminal and color_allowed())
    width = shutil.get_terminal_size().columns if terminal else 100
    text = render(report, fmt, color=colored, width=min(width, 120))
    if with_profile and report.profile:
        echo(profile_summary(report.profile, time.perf_counter() - started), err=True)
    if output is None:
        # click strips colour from a stream that is not a terminal unless told otherwise.
        echo(text, nl=False, color=colored)
    else:
        write_text(output, text)
        echo(summary_line(report, output), err=True)
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
        echo(text, nl=False)
    else:
        write_text(output, text)
        echo(f"{output}: explained {rule_id}", err=True)
    return 0
