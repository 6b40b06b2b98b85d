"""`fleet`: an archive of bundles on Dask (analyze), its summary (report), and a changed rule
pack tried against it (backtest). Needs the optional extra: pip install 'bundle-analyzer[fleet]'.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from analyzer.cli.common import echo, format_option, load_book, packs, rules_option, write_text
from analyzer.console import plural
from analyzer.formats import output_format

if TYPE_CHECKING:
    from analyzer.fleet.run import Progress


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """--memory-limit: bytes, or a number with KB/MB/GB/KiB/MiB/GiB."""
    if value is None:
        return None
    units = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9}
    units |= {"kib": 2**10, "mib": 2**20, "gib": 2**30}
    text = value.strip().lower().replace(" ", "")
    number = text.rstrip("kmgib")
    try:
        size = int(float(number) * units[text[len(number) :]])
    except (ValueError, KeyError):
        raise click.BadParameter(f"{value!r} is not a size such as 2GB or 1500MiB") from None
    if size <= 0:
        raise click.BadParameter("must be more than 0")
    return size


def cluster_options(command: Callable[..., int]) -> Callable[..., int]:
    """--workers, --scheduler, --timeout: where the bundles run and how long each may take."""
    for option in reversed(
        (
            click.option(
                "--workers",
                type=click.IntRange(min=1),
                default=2,
                show_default=True,
                help="Worker processes of the local Dask cluster.",
            ),
            click.option(
                "--scheduler",
                metavar="ADDRESS",
                help="Use this Dask scheduler (tcp://host:8786) instead of a local cluster.",
            ),
            click.option(
                "--timeout",
                type=click.FloatRange(min=0.1),
                default=600.0,
                show_default=True,
                help="Seconds one bundle may take; then its worker is restarted.",
            ),
        )
    ):
        command = option(command)
    return command


@click.group()
def fleet() -> None:
    """Analyze an archive of bundles on Dask, summarise it, backtest a rule pack on it."""


@fleet.command("analyze")
@click.argument("archive", nargs=-1, required=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for bundles.parquet and findings.parquet.",
)
@cluster_options
@click.option(
    "--memory-limit",
    callback=_size,
    metavar="BYTES",
    help="Memory of each local worker (e.g. 2GB); over it the worker is killed and "
    "its bundle recorded as crashed.",
)
@click.option(
    "--resume",
    is_flag=True,
    help="Skip bundles already analyzed into --out with the same rule pack.",
)
@rules_option
def fleet_analyze(
    archive: tuple[str, ...],
    out: Path,
    workers: int,
    scheduler: str | None,
    timeout: float,
    memory_limit: int | None,
    resume: bool,
    rules_dirs: tuple[Path, ...],
    rules_only: Path | None,
) -> int:
    """Analyze every bundle in ARCHIVE (folders searched, files, or globs)."""
    from analyzer.fleet import require

    require()
    from analyzer.fleet.archive import find_bundles
    from analyzer.fleet.run import RunOptions, analyze_archive
    from analyzer.fleet.store import ResultStore
    from analyzer.report import run_time

    pack_dirs = tuple(str(p) for p in packs(rules_dirs, rules_only))
    digest = load_book(rules_dirs, rules_only).identity()[1]
    refs = find_bundles(list(archive))
    echo(f"{plural(len(refs), 'bundle')} found", err=True)
    options = RunOptions(workers, scheduler, timeout, memory_limit, resume)
    out.mkdir(parents=True, exist_ok=True)
    show = _progress_line if sys.stderr.isatty() else None
    summary = analyze_archive(refs, pack_dirs, digest, ResultStore(out), options, run_time(), show)
    if show is not None:
        echo("", err=True)
    counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items() if n)
    echo(
        f"{out}: {counts or 'nothing'} in {summary.seconds:.1f} s"
        f" ({summary.skipped} already done, {summary.duplicates} duplicate paths)",
        err=True,
    )
    return 0


def _progress_line(state: Progress) -> None:
    import time

    elapsed = time.monotonic() - state.started
    rate = state.done / elapsed * 60 if elapsed else 0.0
    left = (state.total - state.done) / (state.done / elapsed) if state.done else 0.0
    board = f" · dashboard {state.dashboard}" if state.dashboard else ""
    echo(
        f"\r\x1b[2K{state.done}/{state.total} bundles · {state.failed} failed · "
        f"{rate:.0f}/min · ETA {left:.0f} s{board}",
        err=True,
        nl=False,
    )


@fleet.command("report")
@click.argument("results", type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file (.html or .md) instead of stdout.",
)
@click.option(
    "--format",
    "-f",
    "fmt",
    callback=format_option,
    metavar="[md|html|json]",
    help="Default: from --output's extension, else md.",
)
def fleet_report(results: Path, output: Path | None, fmt: str | None) -> int:
    """Prevalence of each root cause across the bundles of RESULTS (a fleet analyze --out)."""
    from analyzer.fleet import require

    require()
    from analyzer.fleet.render import render_fleet
    from analyzer.fleet.store import read_results
    from analyzer.fleet.summary import summarize

    fmt = output_format(output, fmt) if output is not None else fmt or "md"
    text = render_fleet(summarize(*read_results(results)), fmt)
    if output is None:
        echo(text, nl=False)
    else:
        write_text(output, text)
        echo(f"{output}: fleet report", err=True)
    return 0


@fleet.command("backtest")
@click.option(
    "--rules",
    "new_pack",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The changed or new rules (a rule pack folder), laid over the shipped pack.",
)
@click.option(
    "--baseline",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The --out folder of an earlier fleet analyze.",
)
@cluster_options
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--format", "-f", "fmt", callback=format_option, metavar="[md|html|json]")
def fleet_backtest(
    new_pack: Path,
    baseline: Path,
    workers: int,
    scheduler: str | None,
    timeout: float,
    output: Path | None,
    fmt: str | None,
) -> int:
    """Which bundles of BASELINE the rules of --rules newly flag, and which they no longer flag."""
    from analyzer.fleet import require

    require()
    from analyzer.errors import AnalyzerError
    from analyzer.fleet.backtest import backtest, render_backtest
    from analyzer.fleet.run import RunOptions
    from analyzer.report import run_time
    from analyzer.rulebook import load_rules

    fmt = output_format(output, fmt) if output is not None else fmt or "md"
    if fmt not in ("md", "html", "json"):
        raise AnalyzerError(f"fleet backtest writes md, html or json, not {fmt}")
    pack_dirs = tuple(str(p) for p in packs((new_pack,), None))
    book = load_rules(*pack_dirs)
    rule_ids = tuple(r.id for r in book.rules.values() if r.pack == book.packs[-1])
    if not rule_ids:
        raise AnalyzerError(f"{new_pack}: no rule to backtest")
    options = RunOptions(workers, scheduler, timeout)
    text = render_backtest(backtest(baseline, pack_dirs, rule_ids, options, run_time()), fmt)
    if output is None:
        echo(text, nl=False)
    else:
        write_text(output, text)
        echo(f"{output}: backtest of {plural(len(rule_ids), 'rule')}", err=True)
    return 0
