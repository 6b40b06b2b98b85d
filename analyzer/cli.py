"""The command line: parse options, call the library, print, choose the exit code.

Exit codes: 0 no finding at or above --fail-on; 1 there is one; 2 an error (the bundle cannot
be read, a rule is invalid, bad usage), reported as one line on stderr, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from analyzer.engine import analyze as run_analysis
from analyzer.errors import AnalyzerError
from analyzer.render import FORMATS, render
from analyzer.report import SEVERITIES, Report, severity_rank
from analyzer.rulebook import default_rules_dir, load_rules

_SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="bundle-analyzer", prog_name="bundle-analyzer")
def cli() -> None:
    """Offline root-cause analysis of Harvester support bundles."""


@cli.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(FORMATS),
    help="Report format (default: from --output's extension, else md).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the report to this file instead of stdout.",
)
@click.option(
    "--rules",
    "rules_dir",
    type=click.Path(path_type=Path),
    help="Rule pack directory (default: the shipped rule pack).",
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "none"]),
    default="high",
    show_default=True,
    help="Exit 1 when a finding of this severity or worse fires.",
)
def analyze(
    bundle: Path, fmt: str | None, output: Path | None, rules_dir: Path | None, fail_on: str
) -> int:
    """Analyze BUNDLE: a support bundle .zip, .tar.gz or unpacked folder."""
    fmt = fmt or _SUFFIX_FORMATS.get(output.suffix.lower() if output else "", "md")
    book = load_rules(rules_dir or default_rules_dir())
    report = run_analysis(bundle, book)
    text = render(report, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise AnalyzerError(f"cannot write {output}: {exc.strerror or exc}") from None
        click.echo(_summary_line(report, output), err=True)
    return _exit_code(report, fail_on)


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
        click.echo(f"bundle-analyzer: error: {exc}", err=True)
        return 2
    except Exception as exc:
        click.echo(f"bundle-analyzer: internal error: {type(exc).__name__}: {exc}", err=True)
        return 2
    return code if isinstance(code, int) else 0
