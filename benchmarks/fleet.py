"""Fleet analysis against a shell loop over the CLI, on one archive, on this machine (issue 14).

    python benchmarks/fleet.py [--count 200] [--archive DIR] [--timeout 2] [--memory-limit 250MB]

The archive (fixtures/fleetarchive.py): ``count`` bundles from the fixture scenarios with
variation, 5% broken or hostile, one that outlasts the timeout, one that needs more memory than
the limit. Timed, in one run:
  (a) ``xargs -P 2`` calling ``bundle-analyzer analyze`` per bundle (``timeout 30`` per call);
  (b) ``bundle-analyzer fleet analyze --workers 2`` with the same timeout and a memory limit.
Reported: bundles per minute of each, the workers' peak memory, the status of every bundle, and
whether each bundle (b) analyzed has the findings the CLI gave it in (a).
"""

from __future__ import annotations

import argparse
import json
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from analyzer.fleet.archive import find_bundles  # noqa: E402
from analyzer.fleet.store import read_results  # noqa: E402
from fixtures.fleetarchive import build_archive  # noqa: E402

CLI = str(Path(sys.executable).with_name("bundle-analyzer"))


def shell_loop(bundles: list[str], out: Path, timeout: float) -> float:
    """(a): two CLI processes at a time, one per bundle; the wall time."""
    out.mkdir(parents=True)
    lines = "".join(f"{i}\t{path}\n" for i, path in enumerate(bundles))
    script = (
        f'IFS="$(printf "\\t")" read -r n p <<EOF\n$0\nEOF\n'
        f'timeout {timeout:g} {shlex.quote(CLI)} analyze "$p" -f json --fail-on none '
        f'-o {shlex.quote(str(out))}/"$n".json 2>/dev/null; true'
    )
    started = time.perf_counter()
    subprocess.run(
        ["xargs", "-d", "\n", "-P", "2", "-n", "1", "sh", "-c", script],
        input=lines,
        text=True,
        check=True,
    )
    return time.perf_counter() - started


def fleet(archive: Path, out: Path, timeout: float, memory: str) -> float:
    """(b): fleet analyze with two workers; the wall time (cluster start-up included)."""
    started = time.perf_counter()
    subprocess.run(
        [
            CLI,
            "fleet",
            "analyze",
            str(archive),
            "--out",
            str(out),
            "--workers",
            "2",
            "--timeout",
            f"{timeout:g}",
            "--memory-limit",
            memory,
        ],
        check=True,
    )
    return time.perf_counter() - started


def _same_findings(cli_report: Path, sha: str, findings: list[dict]) -> bool:
    report = json.loads(cli_report.read_text())
    mine = {
        (f["rule_id"], f["status"], f["severity"], f["message"])
        for f in findings
        if f["bundle_sha256"] == sha
    }
    theirs = {(f["rule_id"], f["status"], f["severity"], f["message"]) for f in report["findings"]}
    return mine == theirs and report["bundle"]["sha256"] == sha


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--archive", type=Path, help="Reuse this archive instead of building one")
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--memory-limit", default="250MB")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fleet-bench-") as tmp:
        work = Path(tmp)
        archive = args.archive
        if archive is None:
            archive = work / "archive"
            started = time.perf_counter()
            info = build_archive(archive, args.count)
            kinds = {kind: len(paths) for kind, paths in info.kinds.items()}
            print(f"archive: {kinds} in {time.perf_counter() - started:.0f} s")
        bundles = [ref.path for ref in find_bundles([str(archive)])]
        # The CLI gets 30 s a bundle at least: its interpreter start alone is a good part of 2 s.
        seconds_a = shell_loop(bundles, work / "a", max(args.timeout, 30.0))
        seconds_b = fleet(archive, work / "b", args.timeout, args.memory_limit)
        rows, findings = read_results(work / "b")
        by_path = {row["path"]: row for row in rows}
        statuses: dict[str, int] = {}
        for row in rows:
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        equal = unequal = 0
        for index, path in enumerate(bundles):
            row = by_path.get(path)
            report = work / "a" / f"{index}.json"
            if row is None or row["status"] != "ok" or not report.exists():
                continue
            if _same_findings(report, row["sha256"], findings):
                equal += 1
            else:
                unequal += 1
                print(f"findings differ: {path}")
        peak = max((row["peak_memory"] or 0) for row in rows)
        print(f"bundles: {len(bundles)}; fleet statuses: {statuses}")
        print(
            f"(a) shell loop, 2 processes: {seconds_a:.1f} s, "
            f"{len(bundles) / seconds_a * 60:.0f} bundles/min"
        )
        print(
            f"(b) fleet analyze, 2 workers: {seconds_b:.1f} s, "
            f"{len(bundles) / seconds_b * 60:.0f} bundles/min"
        )
        print(f"speed-up (b)/(a): {seconds_a / seconds_b:.1f}x")
        print(f"workers' peak memory (bundles that finished): {peak / 2**20:.0f} MiB")
        print(f"findings equal to the CLI's: {equal} bundles; different: {unequal}")
        return 1 if unequal else 0


if __name__ == "__main__":
    raise SystemExit(main())
