"""Running the analyzer as an engineer does, a fresh process each time, and measuring it."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


@dataclass
class Measured:
    wall: float  # seconds
    peak_mb: float  # the largest resident set of the process and of its scanning workers
    returncode: int
    stderr: str


def analyze_command(bundle: list[Path], *extra: str, output: str = os.devnull) -> list[str]:
    """The CLI analysing ``bundle`` into a JSON report, whatever it finds (exit 0)."""
    return [
        sys.executable,
        "-m",
        "analyzer",
        "analyze",
        *map(str, bundle),
        "-f",
        "json",
        "-o",
        output,
        "--fail-on",
        "none",
        *extra,
    ]


def measure(command: list[str], prefix: list[str] | None = None) -> Measured:
    """Run ``command`` (after ``prefix``, e.g. taskset) and measure it: wall time, and peak
    RSS of the process and of the children it waited for (its scanning helpers).

    The peak comes from GNU time where there is one: a process started straight from this
    one could be charged this one's memory (Linux keeps the peak across fork and exec)."""
    # Compiled modules are cached as on any machine (some sandboxes turn that off).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    timer = ["/usr/bin/time", "-f", "%M"] if Path("/usr/bin/time").exists() else []
    start = time.perf_counter()
    result = subprocess.run(
        [*timer, *(prefix or []), *command],
        cwd=PROJECT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    lines = [
        line
        for line in result.stderr.splitlines()
        if not line.startswith("Command exited with non-zero status")
    ]
    if timer:
        peak_kb, lines = int(lines[-1]), lines[:-1]
    else:  # pragma: no cover - without GNU time: this process's children, the best there is
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return Measured(wall, peak_kb / 1024, result.returncode, "\n".join(lines))
