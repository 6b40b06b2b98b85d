"""Signals, a full TMPDIR, a file too big for memory, names with control characters (issue 10,
item 12). Each CLI run is a fresh process with TMPDIR set to this test's own folder, so what
it leaves behind is seen, and nothing else is."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from analyzer import analyze
from analyzer.bundle import logscan
from analyzer.cli import main
from analyzer.sources import core
from tests import hostile_corpus as corpus
from tests.conftest import make_form

PROJECT = Path(__file__).resolve().parent.parent
LINUX_PROC = Path("/proc/self/task").is_dir()
EXPECTED = {
    signal.SIGINT: (130, "bundle-analyzer: interrupted (signal 2)"),
    signal.SIGTERM: (143, "bundle-analyzer: terminated (signal 15)"),
    signal.SIGHUP: (129, "bundle-analyzer: hung up (signal 1)"),
}


def _env(tmpdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "PYTHONPATH")}
    return {**env, "TMPDIR": str(tmpdir), "PYTHONPATH": str(PROJECT)}


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found |= {int(c) for c in (task / "children").read_text().split()}
    except (FileNotFoundError, ProcessLookupError):
        pass
    return found


def _running(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _gone(pids: set[int]) -> bool:
    """Whether all of ``pids`` have ended; the kernel may take a moment to deliver the
    death signal of an orphan, so this waits for it (it is not a speed check)."""
    for _ in range(200):
        if not any(_running(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture(scope="module")
def busy_bundle(tmp_path_factory) -> Path:
    return corpus.busy_logs(tmp_path_factory.mktemp("busy"), 192 * corpus.MIB, files=12)


@pytest.mark.skipif(not LINUX_PROC, reason="watches the scanning helpers through /proc")
@pytest.mark.parametrize("signum", list(EXPECTED), ids=lambda s: signal.Signals(s).name)
def test_a_signal_mid_scan_cleans_up_and_exits_with_one_line(
    busy_bundle, private_tmpdir, tmp_path, signum
):
    """Sent while the helpers scan logs and node zips sit in the private folder: exit
    128 + the signal's number, one line, no folder left, no helper left."""
    workdir = private_tmpdir / "analyzer-tmp"
    workdir.mkdir()
    command = [sys.executable, "-m", "analyzer", "analyze", str(busy_bundle)]
    command += ["-f", "json", "-o", str(tmp_path / "r.json"), "--jobs", "3"]
    process = subprocess.Popen(
        command,
        env=_env(workdir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a signal for it alone, not for pytest
    )
    helpers: set[int] = set()
    try:
        while process.poll() is None and not helpers:
            helpers = _children(process.pid)
            time.sleep(0.005)
        assert helpers, "the analysis ended before its helpers were seen; make the bundle bigger"
        assert list(workdir.glob("bundle-analyzer-*")), "node zips are copied before the scan"
        process.send_signal(signum)
        _, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    code, line = EXPECTED[signum]
    assert (process.returncode, err.splitlines()) == (code, [line]), err
    assert not list(workdir.iterdir())
    assert not (tmp_path / "r.json").exists()
    assert _gone(helpers), "a scanning helper outlived the run"


def test_ctrl_c_during_the_imports_is_one_line_and_130(private_tmpdir):
    """The signal arrives while the CLI's dependencies load (click is imported by the CLI
    only, after the entry point installed its handlers)."""
    driver = textwrap.dedent(
        f"""
        import os, signal, sys

        class InterruptOnImport:
            def find_spec(self, name, path=None, target=None):
                if name == "click":
                    os.kill(os.getpid(), signal.SIGINT)
                return None

        sys.meta_path.insert(0, InterruptOnImport())
        sys.argv = ["bundle-analyzer", "analyze", {str(corpus.BASE)!r}]
        from analyzer.entry import run
        run()
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", driver],
        env=_env(private_tmpdir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stderr.splitlines()) == (
        130,
        ["bundle-analyzer: interrupted (signal 2)"],
    ), result.stderr


def _limited_writes() -> None:
    """In the child: any file grows at most 1 KiB, and a write past it fails (EFBIG)
    instead of killing the process: a full TMPDIR, for root too."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.parametrize("form", ["node zips", "tar.gz"])
def test_a_full_tmpdir_is_one_line_naming_tmpdir(private_tmpdir, tmp_path, form):
    bundle = (
        corpus.bundle_zip(tmp_path)
        if form == "node zips"
        else make_form("healthy-v161", "tar.gz", tmp_path / "tgz")
    )
    workdir = private_tmpdir / "full"
    workdir.mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", str(bundle), "-f", "json"],
        env=_env(workdir),
        capture_output=True,
        text=True,
        preexec_fn=_limited_writes,
        timeout=120,
    )
    lines = result.stderr.splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert f"temporary folder {workdir} (TMPDIR)" in lines[0], lines[0]
    assert "not a" not in lines[0] and "no node zips" not in lines[0]
    assert not list(workdir.glob("bundle-analyzer-*"))


def test_memory_error_on_one_yaml_file_is_a_note(monkeypatch, book):
    real = core.load_list

    def load_list(stream, budget=None):
        # A folder bundle's file is opened by descriptor (no link followed): its name is the fd.
        name = (
            stream.name
            if isinstance(stream.name, str)
            else os.readlink(f"/proc/self/fd/{stream.name}")
        )
        if name.endswith("yamls/cluster/v1/nodes.yaml"):
            raise MemoryError
        return real(stream, budget)

    monkeypatch.setattr(core, "load_list", load_list)
    report = analyze(corpus.BASE, book)
    assert "yamls/cluster/v1/nodes.yaml: not enough memory to parse it" in report.bundle.notes
    assert report.finding("node-not-ready").status == "skip"
    assert any(f.status == "pass" for f in report.findings)


def test_memory_error_on_one_log_is_a_note(monkeypatch, book):
    real = logscan.Scanner.scan

    def scan(self, stream, path, *args, **kwargs):
        if path.endswith("hv-node1/logs/rke2-server.log"):
            raise MemoryError
        return real(self, stream, path, *args, **kwargs)

    monkeypatch.setattr(logscan.Scanner, "scan", scan)
    report = analyze(corpus.BASE, book, workers=1)
    assert "nodes/hv-node1/logs/rke2-server.log: not enough memory to scan it" in (
        report.bundle.notes
    )


def test_error_lines_carry_no_control_characters(tmp_path, capsys):
    name = tmp_path / "evil\x1b]0;owned\x07\x1b[31m\nsecond line\r.zip"
    assert main(["analyze", str(name)]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1, err
    assert not any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in err.rstrip("\n")), err
    assert "evil\\x1b]0;owned\\x07\\x1b[31m\\x0asecond line\\x0d.zip" in err
