"""Starting `bundle-analyzer serve` and running the stock kubectl against it, for the tests."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
KUBECTL = os.environ.get("KUBECTL") or shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(
    KUBECTL is None, reason="no kubectl on this machine (Debian: apt-get install kubernetes-client)"
)
#: how long a server may take to write its kubeconfig before the test gives up (not a
#: measurement: a loaded machine may be slow, a broken server never writes it)
START_LIMIT = 120


@dataclass
class Served:
    process: subprocess.Popen[str]
    kubeconfig: Path
    home: Path

    def kubectl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        assert KUBECTL is not None
        env = {
            **os.environ,
            "KUBECONFIG": str(self.kubeconfig),
            # kubectl caches discovery under $HOME/.kube: kept in this test's folder
            "HOME": str(self.home),
            "KUBECACHEDIR": str(self.home / "cache"),
        }
        done = subprocess.run(
            [KUBECTL, *args], capture_output=True, text=True, env=env, timeout=120
        )
        if check:
            assert done.returncode == 0, done.stderr
        return done

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str, str]:
        """Send ``signum``; the exit code and what the server printed."""
        self.process.send_signal(signum)
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err


@contextmanager
def serving(bundle: Path | str, home: Path, *extra: str) -> Iterator[Served]:
    """`serve BUNDLE --kubeconfig home/kubeconfig`, running until the block ends."""
    home.mkdir(parents=True, exist_ok=True)
    kubeconfig = home / "kubeconfig"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "analyzer",
            "serve",
            str(bundle),
            "--kubeconfig",
            str(kubeconfig),
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
    )
    try:
        wait_for(kubeconfig, process)
        yield Served(process, kubeconfig, home)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=60)


def wait_for(path: Path, process: subprocess.Popen[str]) -> None:
    """Wait for the kubeconfig, as a script does; fail if the server exits first."""
    deadline = time.monotonic() + START_LIMIT
    while not path.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"serve exited with {process.returncode}: {err}")
        if time.monotonic() > deadline:
            pytest.fail("serve wrote no kubeconfig")
        time.sleep(0.05)
