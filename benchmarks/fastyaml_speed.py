"""Time the YAML readers on the big pods.yaml of benchmarks/large_bundle.py (2,200 pods, one
file): the canonical fast reader against the libyaml event walker (median of N runs, in
process, the cyclic collector off as analyzer/bundle/yamlfile.py runs them).

    python benchmarks/fastyaml_speed.py [--runs 7]
"""

from __future__ import annotations

import argparse
import gc
import io
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from large_bundle import NAMESPACES, _pod

from analyzer.bundle import fastyaml, yamlfile
from fixtures.synth import as_list

_SKIPPED = frozenset({"managedFields"})


def pods_yaml(count: int = 2200) -> str:
    nodes = [f"node-{i:02d}" for i in range(1, 17)]
    pods = [
        _pod(i, f"workload-{i:04d}-{i * 7919 % (1 << 20):05x}", NAMESPACES[i % 10], nodes[i % 16])
        for i in range(count)
    ]
    return as_list(pods)


def timed(parse: Callable[[], Any], runs: int) -> list[float]:
    walls = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        start = time.perf_counter()
        parse()
        walls.append(time.perf_counter() - start)
        gc.enable()
    return walls


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    text = pods_yaml()
    raw = text.encode()
    readers = {
        "fast reader (fastyaml.parse)": lambda: fastyaml.parse(
            text, yamlfile._typed, yamlfile._STR, _SKIPPED, [], sys.maxsize
        ),
        "event walker (libyaml events)": lambda: yamlfile._build(io.BytesIO(raw), [], None),
    }
    print(f"pods.yaml: {len(raw) / 1e6:.1f} MB, {text.count(chr(10))} lines; runs: {args.runs}")
    medians = {}
    for name, parse in readers.items():
        walls = timed(parse, args.runs)
        medians[name] = statistics.median(walls)
        print(f"{name}: median {medians[name]:.3f} s, min {min(walls):.3f}, max {max(walls):.3f}")
    fast, events = medians.values()
    print(f"the fast reader is {events / fast:.2f} times as fast")
    return 0


if __name__ == "__main__":
    sys.exit(main())
