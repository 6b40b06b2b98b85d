"""`serve` start-up and `kubectl get pods -A` against it (issue 13), on the largest fixture,
on the real bundle (../shared/bundles) and on scale.py's large bundle (16 nodes, 2,000+ pods).

    python benchmarks/serve.py [--runs 5] [--kubectl PATH] [--no-large]

- start-up: from starting `bundle-analyzer serve BUNDLE --kubeconfig F` (a fresh process:
  interpreter start and imports included) until F exists, which is when a script may run
  kubectl; the bundle is opened and its kinds listed by then.
- get pods -A, cold: the stock kubectl with an empty discovery cache (what the first
  command of a session pays: discovery of every group, then the list as a Table).
- get pods -A, warm: the same with the cache the cold run left (every later command).
Each run starts its own server; medians of ``--runs``. The machine's load is printed beside,
as it weighs on every figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from measure import PROJECT
from real_bundle import DEFAULT as REAL_BUNDLE
from scale import large_bundle

FIXTURES = PROJECT / "fixtures" / "bundles"


def largest_fixture() -> Path:
    """The fixture bundle with the most bytes."""

    def size(folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    return max((p for p in FIXTURES.iterdir() if p.is_dir()), key=size)


def one_run(bundle: Path, kubectl: str) -> tuple[float, float, float, int]:
    """(start-up, cold get, warm get) in seconds and the number of pods listed."""
    with tempfile.TemporaryDirectory(prefix="serve-bench-") as work:
        config = Path(work) / "kubeconfig"
        env = {**os.environ, "HOME": work, "KUBECACHEDIR": str(Path(work) / "cache")}
        started = time.perf_counter()
        server = subprocess.Popen(
            [sys.executable, "-m", "analyzer", "serve", str(bundle), "--kubeconfig", str(config)],
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while not config.exists():
                if server.poll() is not None:
                    raise SystemExit(f"serve failed: {server.communicate()[1]}")
                time.sleep(0.01)
            startup = time.perf_counter() - started
            env["KUBECONFIG"] = str(config)
            times, pods = [], 0
            for _ in ("cold", "warm"):
                begin = time.perf_counter()
                done = subprocess.run(
                    [kubectl, "get", "pods", "-A", "--no-headers"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                times.append(time.perf_counter() - begin)
                pods = len(done.stdout.splitlines())
        finally:
            server.terminate()
            server.communicate(timeout=60)
    return startup, times[0], times[1], pods


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kubectl", default=shutil.which("kubectl"))
    parser.add_argument("--no-large", action="store_true", help="skip scale.py's bundle")
    args = parser.parse_args()
    if not args.kubectl:
        print("no kubectl on this machine (Debian: apt-get install kubernetes-client)")
        return 1
    bundles = {f"largest fixture ({largest_fixture().name})": largest_fixture()}
    if REAL_BUNDLE.exists():
        bundles["real bundle (1 node, 27 MB)"] = REAL_BUNDLE
    else:
        print(f"no bundle at {REAL_BUNDLE}: its row is skipped", file=sys.stderr)
    if not args.no_large:
        bundles["scale.py large bundle (16 nodes)"] = large_bundle(1.0)
    version = subprocess.run([args.kubectl, "version", "--client"], capture_output=True, text=True)
    print(
        f"kubectl: {version.stdout.splitlines()[0]}; {os.cpu_count()} cores; "
        f"load average {os.getloadavg()[0]:.1f}; median of {args.runs} runs"
    )
    print("| bundle | pods | serve start-up | get pods -A, cold cache | get pods -A, warm |")
    print("|---|---|---|---|---|")
    for name, bundle in bundles.items():
        runs = [one_run(bundle, args.kubectl) for _ in range(args.runs)]
        start, cold, warm = (statistics.median(r[i] for r in runs) for i in range(3))
        print(f"| {name} | {runs[0][3]} | {start:.2f} s | {cold:.2f} s | {warm:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
