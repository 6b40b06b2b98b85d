"""Writing reports (issue 10, item 5): whole or not at all, never through a symbolic link,
the previous report kept when the disk is full.

The full disk is real, not mocked: the CLI runs in a child process whose file-size limit
(RLIMIT_FSIZE) is below the report's size, so its write() fails with EFBIG exactly where a
full disk fails with ENOSPC (Python ignores SIGXFSZ, so the process is not killed). Unlike a
small tmpfs this needs no root and no mount, and unlike /dev/full it hits a regular file in
a folder, where the temporary file and the rename happen.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer.cli import main
from fixtures.goldens import BUNDLES

BUNDLE = BUNDLES / "healthy-v161"
PREVIOUS = "# the previous report\n"


def run(capsys, *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().err


def analyze_to(capsys, target: Path | str, *extra: str) -> tuple[int, str]:
    return run(capsys, "analyze", str(BUNDLE), "-o", str(target), "--fail-on", "none", *extra)


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def test_symbolic_link_as_output_is_refused(capsys, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "report.md"
    link.symlink_to(victim)
    code, err = analyze_to(capsys, link)
    assert code == 2 and "symbolic link" in one_line(err)
    assert victim.read_text() == "keep me\n" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md", "victim.txt"]


def test_dangling_symbolic_link_is_refused_too(capsys, tmp_path):
    # Following it would create a file wherever the link points.
    link = tmp_path / "report.html"
    link.symlink_to(tmp_path / "elsewhere" / "planted.html")
    code, err = analyze_to(capsys, link)
    assert code == 2 and "symbolic link" in one_line(err)
    assert not (tmp_path / "elsewhere").exists() and link.is_symlink()


def test_rules_docs_refuses_a_symbolic_link(capsys, tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "rules.md"
    link.symlink_to(victim)
    code, err = run(capsys, "rules", "docs", "-o", str(link))
    assert code == 2 and "symbolic link" in one_line(err)
    assert victim.read_text() == "keep me\n"


def test_report_replaces_the_file_rather_than_writing_through_it(capsys, tmp_path):
    report = tmp_path / "report.md"
    report.write_text(PREVIOUS)
    alias = tmp_path / "alias.md"
    os.link(report, alias)  # another name for the same file: it is not rewritten
    code, err = analyze_to(capsys, report)
    assert code == 0 and err.startswith(f"{report}: ")
    assert report.read_text().startswith("# Support bundle analysis")
    assert alias.read_text() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alias.md", "report.md"]


def _analyze_with_file_size_limit(target: Path, limit: int) -> subprocess.CompletedProcess:
    import resource

    def limit_file_size() -> None:  # in the child, before exec
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "analyzer", "analyze", str(BUNDLE), "-o", str(target)]
    return subprocess.run(
        [*command, "--fail-on", "none"],
        cwd=Path(__file__).resolve().parent.parent,
        preexec_fn=limit_file_size,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE needs a POSIX system")
def test_full_disk_keeps_the_previous_report(tmp_path):
    report = tmp_path / "report.md"
    report.write_text(PREVIOUS)
    result = _analyze_with_file_size_limit(report, 1024)  # the report is about 3 KB
    assert result.returncode == 2, result.stderr
    assert "cannot write" in one_line(result.stderr) and "File too large" in result.stderr
    assert report.read_text() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]  # no temporary left


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_FSIZE needs a POSIX system")
def test_full_disk_on_a_new_report_leaves_nothing(tmp_path):
    result = _analyze_with_file_size_limit(tmp_path / "report.md", 1024)
    assert result.returncode == 2 and "cannot write" in one_line(result.stderr)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
def test_device_that_is_full_is_one_line(capsys):
    code, err = analyze_to(capsys, "/dev/full", "-f", "json")
    assert code == 2 and "No space left on device" in one_line(err)


@pytest.mark.skipif(not Path(os.devnull).exists(), reason="no null device")
def test_null_device_is_written_in_place_not_replaced(capsys):
    # A device cannot be replaced by rename (as root that would put a file at /dev/null).
    code, _ = analyze_to(capsys, os.devnull, "-f", "json")
    assert code == 0 and stat.S_ISCHR(os.stat(os.devnull).st_mode)
