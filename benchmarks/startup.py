"""Time the start of the CLI: `--help` and `analyze` of the real bundle against a bare
interpreter (median of N runs, each a fresh process).

    python benchmarks/startup.py [--runs 7] [BUNDLE]

The runs are interleaved (bare, --help, analyze, bare, ...) so that a noisy machine weighs
on every column alike. The `analyze` row is skipped, saying so, where the real bundle
(../shared/bundles) is absent.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

from measure import analyze_command, measure
from real_bundle import DEFAULT

COMMANDS = {
    "bare interpreter (python -c pass)": [sys.executable, "-c", "pass"],
    "bundle-analyzer --help": [sys.executable, "-m", "analyzer", "--help"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    commands = dict(COMMANDS)
    if args.bundle.exists():
        commands[f"analyze {args.bundle.name[:24]}... (-f json)"] = analyze_command([args.bundle])
    else:
        print(f"no bundle at {args.bundle}: the analyze row is skipped", file=sys.stderr)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, command in commands.items():
            run = measure(command)
            if run.returncode != 0:
                print(f"{name}: exit {run.returncode}\n{run.stderr}", file=sys.stderr)
                return 2
            walls[name].append(run.wall)
    bare = statistics.median(next(iter(walls.values())))
    print(f"median of {args.runs} runs, seconds")
    print("| | median | min | max | over bare |")
    print("|---|---|---|---|---|")
    for name, times in walls.items():
        median = statistics.median(times)
        print(
            f"| {name} | {median:.3f} | {min(times):.3f} | {max(times):.3f} "
            f"| {median - bare:+.3f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
