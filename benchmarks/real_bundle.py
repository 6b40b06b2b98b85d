"""Time the analysis of the real bundle in ../shared/bundles (median of N runs, peak RSS).

    python benchmarks/real_bundle.py [--runs 5] [BUNDLE]

Each run is a fresh process (``python -m analyzer analyze ... -f json``) so the figure is what
an engineer waits for, interpreter start included; peak RSS is the largest of the runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

from measure import PROJECT, analyze_command, measure

DEFAULT = (
    PROJECT.parent
    / "shared"
    / "bundles"
    / ("supportbundle_9b6b22de-6e5d-4905-aec8-1f226e413986_2022-03-22T23-49-32Z.zip")
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not args.bundle.exists():
        print(f"no bundle at {args.bundle}", file=sys.stderr)
        return 2
    runs = [measure(analyze_command([args.bundle])) for _ in range(args.runs)]
    walls = [run.wall for run in runs]
    peak_mb = max(run.peak_mb for run in runs)
    size_mb = args.bundle.stat().st_size / 1e6
    print(f"bundle: {args.bundle.name} ({size_mb:.1f} MB)")
    print(f"cores: {os.cpu_count()}, runs: {args.runs}")
    print(
        f"wall: median {statistics.median(walls):.2f} s, min {min(walls):.2f} s, "
        f"max {max(walls):.2f} s"
    )
    print(f"peak RSS: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
