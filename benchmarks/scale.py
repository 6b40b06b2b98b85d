"""Speed at scale (issue 5): a large bundle analyzed against the floor of decompressing it and
against decompress-and-``grep -E``; scanning time against the number of log patterns; memory
against log volume; one core against two.

    python benchmarks/scale.py [--runs 5] [--quick]

- floor: every entry of the bundle decompressed (node zips and their entries included) with
  Python's zipfile in one process, nothing else; the fastest way the bundle can be read.
- analysis: the CLI with the whole rule pack, a fresh process each run (interpreter start and
  imports included), JSON report; peak RSS covers its scanning workers.
- grep: the manual way over the same files and patterns: the node zips unzipped, then each
  log file the rules read piped by ``unzip -p`` through ``grep -E -c -f`` with the patterns
  of the rules that read it, converted to ERE (one grep per group of files sharing
  patterns); and the same with the files decompressed by Python's zipfile instead of unzip.
Runs are interleaved (floor, analysis, grep, floor ...) so that a noisy machine slows all
alike; medians are compared. ``--quick`` skips the double-size bundle and the 1-core runs.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from measure import PROJECT, Measured, analyze_command, measure

sys.path.insert(0, str(PROJECT))

from analyzer.bundle import open_bundle
from analyzer.bundle.literals import LiteralSet, hyperscan
from analyzer.bundle.logscan import (
    HitSink,
    LogPattern,
    Scanner,
    compile_pattern,
    line_blocks,
    required_literals,
)
from analyzer.engine import Analysis
from analyzer.rulebook import default_rules_dir, load_rules
from analyzer.sources import logs, open_sources

CHUNK = 1024 * 1024


def large_bundle(scale: float) -> Path:
    """The benchmark bundle, built (in another process: it takes memory) on first use."""
    found = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks" / "large_bundle.py"), "--scale", str(scale)],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(found.stdout.strip())


# -- the floor -----------------------------------------------------------------------------------
def decompress_all(bundle: Path) -> int:
    """Read every entry, and every entry of each node zip; the bytes read."""
    total = 0
    with zipfile.ZipFile(bundle) as outer:
        for info in outer.infolist():
            with outer.open(info) as stream:
                if info.filename.endswith(".zip"):
                    with zipfile.ZipFile(io.BytesIO(stream.read())) as inner:
                        for member in inner.infolist():
                            with inner.open(member) as entry:
                                total += _drain(entry)
                else:
                    total += _drain(stream)
    return total


def _drain(stream: io.BufferedIOBase, sink: Callable[[bytes], object] | None = None) -> int:
    total = 0
    while chunk := stream.read(CHUNK):
        total += len(chunk)
        if sink is not None:
            sink(chunk)
    return total


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return time.perf_counter() - start


# -- the grep baseline ---------------------------------------------------------------------------
def log_plan(bundle: Path) -> dict[str, dict[tuple[str, str], LogPattern]]:
    """The analysis's own plan: which patterns it looks for in which file."""
    with open_sources(bundle) as sources:
        analysis = Analysis(sources, load_rules(default_rules_dir()))
        matchers = {(r.id, m.name): m for r in analysis.active_rules() for m in r.logs}
        return logs.plan(sources, matchers)[0]  # type: ignore[return-value]


_CLASSES = {"d": "[0-9]", "D": "[^0-9]", "s": "[[:space:]]", "S": "[^[:space:]]"}
_CLASSES |= {"w": "[[:alnum:]_]", "W": "[^[:alnum:]_]"}


def to_ere(pattern: str) -> str:
    """An RE2 pattern as POSIX ERE: groups unnamed, classes spelled out, laziness dropped
    (grep reports lines, so a lazy and a greedy match select the same ones)."""
    out = []
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\" and i + 1 < len(pattern):
            code = pattern[i + 1]
            out.append(_CLASSES.get(code, char + code))
            i += 2
        elif pattern.startswith("(?P<", i):
            out.append("(")
            i = pattern.index(">", i) + 1
        elif pattern.startswith("(?:", i):
            out.append("(")
            i += 3
        elif char == "?" and out and out[-1] in ("*", "+", "?"):
            i += 1  # lazy quantifier
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _groups(plan: dict[str, dict[tuple[str, str], LogPattern]]) -> dict[tuple[str, ...], list[str]]:
    """Files by the set of patterns the rules look for in them."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for path, patterns in sorted(plan.items()):
        texts = sorted({p.regex.pattern.decode().removeprefix("(?m)") for p in patterns.values()})
        groups.setdefault(tuple(texts), []).append(path)
    return groups


def _grep(texts: tuple[str, ...], work: Path) -> subprocess.Popen[bytes]:
    pattern_file = work / f"patterns-{abs(hash(texts))}"
    pattern_file.write_text("".join(to_ere(t) + "\n" for t in texts))
    # -c into a pipe: grep reads everything (into /dev/null it would stop at the first match)
    return subprocess.Popen(
        ["grep", "-E", "-c", "-f", str(pattern_file)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )


def grep_manual(bundle: Path, plan: dict[str, dict[tuple[str, str], LogPattern]]) -> float:
    """The manual way: unzip the node zips, then ``unzip -p`` the logs into ``grep -E``."""
    with zipfile.ZipFile(bundle) as archive:
        root = archive.namelist()[0].split("/", 1)[0] + "/"
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        start = time.perf_counter()
        subprocess.run(
            ["unzip", "-q", "-o", str(bundle), f"{root}nodes/*.zip", "-d", str(work)], check=True
        )
        for texts, paths in _groups(plan).items():
            grep = _grep(texts, work)
            by_archive: dict[Path, list[str]] = {}
            for path in paths:
                if "!/" in path:
                    outer, inner = path.split("!/", 1)
                    by_archive.setdefault(work / root / outer, []).append(inner)
                else:
                    by_archive.setdefault(bundle, []).append(root + path)
            for archive_path, members in by_archive.items():
                subprocess.run(["unzip", "-p", str(archive_path), *members], stdout=grep.stdin)
            _finish(grep)
        return time.perf_counter() - start


def grep_fast(bundle: Path, plan: dict[str, dict[tuple[str, str], LogPattern]]) -> float:
    """The same, with the logs decompressed by Python's zipfile (faster than unzip)."""
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        with open_bundle(bundle) as opened:
            for texts, paths in _groups(plan).items():
                grep = _grep(texts, Path(folder))
                assert grep.stdin is not None
                for path in paths:
                    with opened.open(path) as stream:
                        _drain(stream, grep.stdin.write)
                _finish(grep)
        return time.perf_counter() - start


def _finish(grep: subprocess.Popen[bytes]) -> None:
    assert grep.stdin is not None and grep.stdout is not None
    grep.stdin.close()
    grep.stdout.read()
    grep.wait()


# -- scanning against the number of patterns -----------------------------------------------------
_WORDS = [
    "controller",
    "sync",
    "volume",
    "replica",
    "engine",
    "lease",
    "webhook",
    "handshake",
    "snapshot",
    "backup",
    "restore",
    "migration",
    "plugin",
    "driver",
    "attach",
    "detach",
    "scheduler",
    "image",
    "upgrade",
    "plan",
    "secret",
    "agent",
    "fleet",
    "bundle",
    "chart",
    "release",
    "quota",
    "ingress",
    "gateway",
    "tunnel",
    "bridge",
    "bond",
    "vlan",
]


def patterns(count: int, real: list[str]) -> list[LogPattern]:
    """``count`` patterns: the rule pack's own first, then made-up ones shaped like them
    (a phrase that is not in the logs, a captured detail)."""
    rng = random.Random(count)
    texts = list(real[:count])
    while len(texts) < count:
        phrase = " ".join(rng.sample(_WORDS, 3))
        texts.append(f"{phrase} failed: (?P<detail>.*) after \\d+ attempts")
    return [LogPattern(compile_pattern(t), None, required_literals(t)) for t in texts]


def scan_time(bundle: Path, paths: list[str], pattern_list: list[LogPattern]) -> float:
    """Decompress and scan ``paths`` in this one process with every pattern."""
    wanted = {(str(i), ""): p for i, p in enumerate(pattern_list)}
    scanner = Scanner()
    with open_bundle(bundle) as opened:
        opened.open_nested(sorted({p.split("!/")[0] for p in paths if "!/" in p}))
        start = time.perf_counter()
        for path in paths:
            sinks: dict[object, HitSink] = {}
            with opened.open(path) as stream:
                scanner.scan(stream, path, wanted, sinks)  # type: ignore[arg-type]
        return time.perf_counter() - start


def match_time(blocks: list[tuple[bytes, int, int]], pattern_list: list[LogPattern]) -> float:
    """Scan already decompressed blocks: the matching alone."""
    wanted = {(str(i), ""): p for i, p in enumerate(pattern_list)}
    scanner = Scanner()
    start = time.perf_counter()
    for data, begin, end in blocks:
        scanner.scan(io.BytesIO(data[begin:end]), "x", wanted, {})  # type: ignore[arg-type]
    return time.perf_counter() - start


def literal_speeds(blocks: list[tuple[bytes, int, int]], size: int) -> list[str]:
    rows = []
    for count in (10, 50, 200):
        rng = random.Random(count)
        words = [" ".join(rng.sample(_WORDS, 3)).encode() + b" failed" for _ in range(count)]
        speeds = []
        for engine in ("hyperscan", "re2"):
            if engine == "hyperscan" and hyperscan is None:
                speeds.append("n/a")
                continue
            literals = LiteralSet(words, engine)
            took = timed(lambda lit=literals: [lit.occurring(*b) for b in blocks])
            speeds.append(f"{size / took / 1e6:,.0f}")
        rows.append(f"| {count} | {speeds[0]} | {speeds[1]} |")
    return rows


# -- the report ----------------------------------------------------------------------------------
def median(values: list[float]) -> float:
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if shutil.which("grep") is None:
        print("grep is needed for the baseline", file=sys.stderr)
        return 2
    bundle = large_bundle(1.0)
    plan = log_plan(bundle)
    print(f"bundle: {bundle.name}, {bundle.stat().st_size / 1e6:.0f} MB zipped")
    print(f"cores: {len(os.sched_getaffinity(0))}, python {sys.version.split()[0]}")
    print(f"log files the rules read: {len(plan)}, hyperscan: {hyperscan is not None}\n")

    measure(analyze_command([bundle]))  # a first run writes the compiled modules' cache
    floors: list[float] = []
    analyses: list[float] = []
    manual: list[float] = []
    fast: list[float] = []
    runs: list[Measured] = []
    for _ in range(args.runs):
        floors.append(timed(lambda: decompress_all(bundle)))
        runs.append(measure(analyze_command([bundle])))
        analyses.append(runs[-1].wall)
        manual.append(grep_manual(bundle, plan))
        fast.append(grep_fast(bundle, plan))
    size = decompress_all(bundle)
    floor = median(floors)
    print(f"### Large bundle ({size / 1e6:,.0f} MB unpacked), median of {args.runs} runs\n")
    print("| | wall s (median) | min | max | x floor | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    rows = [
        ("floor: decompress every entry (zipfile)", floors, None),
        ("**analysis, whole rule pack (CLI)**", analyses, max(r.peak_mb for r in runs)),
        ("unzip -p | grep -E (the manual way)", manual, None),
        ("zipfile | grep -E (decompressed as the floor)", fast, None),
    ]
    for label, values, peak in rows:
        print(
            f"| {label} | {median(values):.2f} | {min(values):.2f} | {max(values):.2f} | "
            f"{median(values) / floor:.2f} | {'' if peak is None else f'{peak:.0f}'} |"
        )

    if not args.quick:
        print("\n### Cores and memory\n")
        print("| run | wall s (median) | peak RSS MB |")
        print("|---|---|---|")
        one_core = ["taskset", "-c", "0"] if shutil.which("taskset") else None
        variants = [("2 cores, --jobs 1 (no workers)", [bundle], ["-j", "1"], None)]
        if one_core:
            variants += [
                ("1 core (taskset), default: no workers", [bundle], [], one_core),
                ("1 core (taskset), --jobs 2 forced", [bundle], ["-j", "2"], one_core),
            ]
        variants.append(("logs doubled (scale 2), default", [large_bundle(2.0)], [], None))
        for label, target, extra, prefix in variants:
            measured = [measure(analyze_command(target, *extra), prefix) for _ in range(3)]
            print(
                f"| {label} | {median([m.wall for m in measured]):.2f} | "
                f"{max(m.peak_mb for m in measured):.0f} |"
            )

    real = sorted(
        {m.pattern for r in load_rules(default_rules_dir()).rules.values() for m in r.logs}
    )
    real = [t for t in real if re.search(r"[A-Za-z]{4}", t)]  # drop catch-alls such as \S
    paths = sorted(plan)
    with open_bundle(bundle) as opened:
        opened.open_nested(sorted({p.split("!/")[0] for p in paths if "!/" in p}))
        blocks: list[tuple[bytes, int, int]] = []
        for path in paths[-48:]:  # the node logs: large, as most bytes are
            with opened.open(path) as stream:
                blocks += [(data, s, e) for _, data, s, e in line_blocks(stream)]
    held = sum(e - s for _, s, e in blocks)
    print(f"\n### Scanning against the number of patterns ({len(paths)} files)\n")
    print("| patterns | decompress + scan s | growth | matching only s (in memory) | growth |")
    print("|---|---|---|---|---|")
    base_scan = base_match = 0.0
    for count in (10, 50, 200):
        pattern_list = patterns(count, real)
        scan = median([scan_time(bundle, paths, pattern_list) for _ in range(3)])
        match = median([match_time(blocks, pattern_list) for _ in range(3)])
        base_scan, base_match = base_scan or scan, base_match or match
        print(
            f"| {count} | {scan:.2f} | {scan / base_scan - 1:+.0%} | {match:.2f} "
            f"({held / 1e6:.0f} MB) | {match / base_match - 1:+.0%} |"
        )
    print("\n### The literal stage: MB/s over node logs\n")
    print("| literals | hyperscan | RE2 set |")
    print("|---|---|---|")
    print("\n".join(literal_speeds(blocks, held)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
