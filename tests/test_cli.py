"""The command line: exit codes, formats, and one-line errors for bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile

import pytest

from analyzer.cli import main
from fixtures.goldens import BUNDLES
from tests.conftest import PROJECT, make_form


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *fragments: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("bundle-analyzer: error: ")
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in lines[0]


def test_healthy_bundle_exits_0(capsys):
    code, out, _ = run(capsys, "analyze", str(BUNDLES / "healthy-v161"))
    assert code == 0
    assert out.startswith("# Support bundle analysis: healthy-v161")
    assert "No problem found" in out


def test_finding_at_or_above_fail_on_exits_1(capsys):
    rc3 = str(BUNDLES / "rc3-console-notready")
    assert run(capsys, "analyze", rc3)[0] == 1  # high >= default high
    assert run(capsys, "analyze", rc3, "--fail-on", "critical")[0] == 0
    assert run(capsys, "analyze", rc3, "--fail-on", "medium")[0] == 1
    assert run(capsys, "analyze", rc3, "--fail-on", "none")[0] == 0


def test_json_format_and_output_file(capsys, tmp_path):
    target = tmp_path / "report.json"
    code, out, err = run(
        capsys, "analyze", str(BUNDLES / "mixed-upgrade-forbidden"), "-o", str(target)
    )
    assert code == 1 and out == ""
    assert str(target) in err and "1 root cause, worst high" in err
    data = json.loads(target.read_text())
    assert data["root_causes"][0]["rule_id"] == "node-authorizer-mixed-versions"
    assert data["root_causes"][0]["explains"] == ["mixed-node-versions", "node-identity-forbidden"]


def test_format_option_wins_over_extension(capsys, tmp_path):
    target = tmp_path / "report.txt"
    run(capsys, "analyze", str(BUNDLES / "healthy-v161"), "-f", "html", "-o", str(target))
    assert target.read_text().startswith("<!DOCTYPE html>")


def test_missing_bundle(capsys, tmp_path):
    code, out, err = run(capsys, "analyze", str(tmp_path / "nope.zip"))
    assert code == 2 and out == ""
    assert_one_line_error(err, "nope.zip", "no such file")


def test_zip_that_is_not_a_bundle(capsys, tmp_path):
    target = tmp_path / "photos.zip"
    with zipfile.ZipFile(target, "w") as archive:
        archive.writestr("holiday/beach.jpg", b"\xff\xd8\xff")
    code, _, err = run(capsys, "analyze", str(target))
    assert code == 2
    assert_one_line_error(err, "photos.zip", "not a Harvester support bundle")


def test_corrupt_archive(capsys, tmp_path):
    good = make_form("healthy-v161", "zip", tmp_path)
    broken = tmp_path / "truncated.zip"
    broken.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    code, _, err = run(capsys, "analyze", str(broken))
    assert code == 2
    assert_one_line_error(err, "truncated.zip", "not a readable zip archive")


def test_file_that_is_no_archive(capsys, tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("hello\n")
    code, _, err = run(capsys, "analyze", str(target))
    assert code == 2
    assert_one_line_error(err, "notes.txt", "not a zip or tar archive")


def test_invalid_rule_names_file_and_field(capsys, tmp_path):
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT / "rules", rules)
    path = rules / "kubernetes" / "mixed-node-versions.yaml"
    path.write_text(path.read_text().replace("severity: medium", "severty: medium"))
    code, _, err = run(capsys, "analyze", str(BUNDLES / "healthy-v161"), "--rules", str(rules))
    assert code == 2
    assert_one_line_error(
        err, "rules/kubernetes/mixed-node-versions.yaml -> severty", "did you mean 'severity'"
    )


def test_bad_usage_exits_2(capsys):
    code, _, err = run(capsys, "analyze")
    assert code == 2 and "Missing argument" in err
    code, _, err = run(capsys, "analyze", "x", "--format", "pdf")
    assert code == 2 and "Invalid value" in err


@pytest.mark.parametrize("entry", [["-m", "analyzer"]])
def test_python_dash_m_runs_the_cli(entry):
    result = subprocess.run(
        [sys.executable, *entry, "analyze", str(BUNDLES / "healthy-v161"), "-f", "json"],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["worst_severity"] is None


def test_unexpected_failure_is_one_line(capsys, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr("analyzer.engine.analyze", boom)
    code, _, err = run(capsys, "analyze", str(BUNDLES / "healthy-v161"))
    assert code == 2
    assert len(err.strip().splitlines()) == 1, err
    assert err.startswith("bundle-analyzer: internal error: RuntimeError: disk on fire (")
