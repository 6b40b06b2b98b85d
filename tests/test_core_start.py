"""Item 9 and 13 of issue 11: a light start, and the command line's mends (formats by any
name, an unknown extension refused, colour when asked, plurals, ASCII consoles, tracebacks
kept in a file)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analyzer.cli import main
from analyzer.console import plural, to_ascii
from fixtures.goldens import BUNDLES
from tests.conftest import PROJECT

BUNDLE = str(BUNDLES / "rc3-console-notready")
#: modules a command that reads no bundle and renders no report must not load
HEAVY = (
    "networkx",
    "jinja2",
    "hyperscan",
    "re2",
    "jmespath",
    "yaml",
    "analyzer.engine",
    "analyzer.render",
    "analyzer.rulebook",
    "analyzer.bundle",
)


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("args", [["--help"], ["analyze", "--help"], ["rules", "--help"]])
def test_help_imports_nothing_heavy(args):
    script = (
        "import sys\n"
        "from analyzer.entry import main\n"
        f"code = main({args!r})\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), code, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT, capture_output=True, text=True, check=False
    )
    assert result.stderr.strip() == "[] 0", result.stderr
    assert "Usage:" in result.stdout


@pytest.mark.parametrize("name", ["r.yaml", "report", "r.md.bak"])
def test_unknown_output_extension_is_an_error(capsys, tmp_path, name):
    target = tmp_path / name
    code, out, err = run(capsys, "analyze", BUNDLE, "-o", str(target))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("bundle-analyzer: error: cannot tell the format of ")
    assert "-f" in err
    assert not target.exists() and out == ""


def test_unknown_extension_is_fine_with_a_format(capsys, tmp_path):
    target = tmp_path / "r.yaml"
    code, _, _ = run(
        capsys, "analyze", BUNDLE, "-o", str(target), "-f", "JSON", "--fail-on", "none"
    )
    assert code == 0
    assert target.read_text().startswith("{")


@pytest.mark.parametrize(
    ("name", "starts"),
    [("markdown", "# Support bundle"), ("MD", "# Support bundle"), ("Txt", "bundle-analyzer")],
)
def test_format_any_case_and_alias(capsys, name, starts):
    code, out, err = run(capsys, "analyze", BUNDLE, "-f", name, "--fail-on", "none")
    assert code == 0, err
    assert out.startswith(starts)


def test_unknown_format_is_a_usage_error(capsys):
    code, _, err = run(capsys, "analyze", BUNDLE, "-f", "yaml")
    assert code == 2
    assert "'yaml' is not one of md, html, json, text" in err


def test_color_always_is_honoured_when_piped(capsys):
    # capsys is no terminal: click would strip the colour unless told it was asked for.
    code, out, _ = run(capsys, "analyze", BUNDLE, "-f", "text", "--color", "always")
    assert code == 1
    assert "\x1b[" in out
    code, out, _ = run(capsys, "analyze", BUNDLE, "-f", "text")
    assert "\x1b[" not in out


def test_bundle_without_command_suggests_analyze(capsys):
    code, _, err = run(capsys, BUNDLE)
    assert code == 2
    assert f"to analyze it: bundle-analyzer analyze {BUNDLE}" in err
    code, _, err = run(capsys, "no-such-thing")
    assert code == 2
    assert "No such command" in err


def test_summary_line_counts_in_words(capsys, tmp_path):
    code, _, err = run(capsys, "analyze", BUNDLE, "-o", str(tmp_path / "r.md"))
    assert code == 1
    assert err.strip() == f"{tmp_path / 'r.md'}: 1 root cause, worst high"


def test_plural():
    assert [plural(n, "rule") for n in (0, 1, 2)] == ["0 rules", "1 rule", "2 rules"]
    assert plural(2, "root cause") == "2 root causes"
    assert plural(3, "index", "indices") == "3 indices"


def test_to_ascii_is_readable():
    assert to_ascii("v1.5.0 · rke2 … café — a → b ✓") == "v1.5.0 - rke2 ... cafe -- a -> b ?"
    assert to_ascii("plain") == "plain"


@pytest.mark.parametrize("env", [{"PYTHONIOENCODING": "ascii"}, {"LC_ALL": "C"}])
def test_ascii_console_gets_ascii(env):
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", BUNDLE, "-f", "text", "--fail-on", "none"],
        cwd=PROJECT,
        env={**os.environ, **env},
        capture_output=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    text = result.stdout.decode("ascii")  # raises on any byte that is not ASCII
    assert "Harvester v1.5.0-rc3 - Kubernetes" in text
    assert b"Traceback" not in result.stderr


def test_utf8_console_keeps_unicode():
    result = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", BUNDLE, "-f", "text", "--fail-on", "none"],
        cwd=PROJECT,
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": "utf-8"},
        capture_output=True,
        check=False,
    )
    assert "Harvester v1.5.0-rc3 · Kubernetes" in result.stdout.decode("utf-8")


def _boom(*args, **kwargs):
    raise RuntimeError("disk on fire")


def test_internal_error_saves_its_traceback(capsys, monkeypatch, private_tmpdir):
    monkeypatch.setattr("analyzer.engine.analyze", _boom)
    code, _, err = run(capsys, "analyze", BUNDLE)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    saved = list(private_tmpdir.glob("bundle-analyzer-error-*.txt"))
    assert len(saved) == 1
    assert f"(traceback in {saved[0]}; --debug prints it)" in err
    traceback = saved[0].read_text()
    assert traceback.startswith("Traceback") and "RuntimeError: disk on fire" in traceback
    assert saved[0].stat().st_mode & 0o077 == 0


def test_debug_prints_the_traceback(capsys, monkeypatch, private_tmpdir):
    monkeypatch.setattr("analyzer.engine.analyze", _boom)
    code, _, err = run(capsys, "--debug", "analyze", BUNDLE)
    assert code == 2
    assert err.startswith("Traceback")
    assert err.strip().splitlines()[-1] == (
        "bundle-analyzer: internal error: RuntimeError: disk on fire (traceback above)"
    )
    assert not list(private_tmpdir.glob("bundle-analyzer-error-*"))


def test_traceback_not_saved_still_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("analyzer.engine.analyze", _boom)
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "gone"))
    code, _, err = run(capsys, "analyze", BUNDLE)
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert "traceback not saved: " in err
