"""The other bundle kinds through the investigation and fleet tools: `get` lists their
objects, `fleet analyze` reads every kind (issue 15: serve/get and fleet accept them)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from analyzer.cli import main
from tests.serve_helpers import needs_kubectl, serving

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"
KINDS = {
    "troubleshoot-arrays": "crash-looping-pods",
    "troubleshoot-lists": "image-pull-failure",
    "longhorn-legacy-faulted": None,
    "longhorn-sbk-faulted": None,
    "logs-collector-expired-certs": "rke2-certificate-expired",
}


@pytest.mark.parametrize("name", ["troubleshoot-arrays", "troubleshoot-lists"])
def test_get_lists_a_troubleshoot_bundles_pods(name: str, capsys) -> None:
    assert main(["get", str(FIXTURES / name), "pods", "-A"]) == 0
    out = capsys.readouterr().out
    assert "api-7d9f6c5b8-x2k4p" in out and "CrashLoopBackOff" in out


def test_get_lists_a_legacy_longhorn_bundles_volumes(capsys) -> None:
    assert main(["get", str(FIXTURES / "longhorn-legacy-faulted"), "pods", "-A"]) == 0
    assert "longhorn-manager-" in capsys.readouterr().out


def test_fleet_reads_every_kind(tmp_path: Path) -> None:
    pytest.importorskip("distributed", reason="the fleet extra is not installed")
    from analyzer.fleet.store import read_results

    archive = tmp_path / "archive"
    for name in KINDS:
        shutil.copytree(FIXTURES / name, archive / name)
    from tests.test_fleet import fleet

    done = fleet("analyze", str(archive), "--out", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    bundles, findings = read_results(tmp_path / "out")
    assert {Path(b["path"]).name: b["status"] for b in bundles} == dict.fromkeys(KINDS, "ok")
    by_name = {b["sha256"]: Path(b["path"]).name for b in bundles}
    fired = {(by_name[f["bundle_sha256"]], f["rule_id"]) for f in findings if f["fired"]}
    for name, rule_id in KINDS.items():
        if rule_id:
            assert (name, rule_id) in fired, sorted(fired)


@needs_kubectl
@pytest.mark.parametrize("name", ["troubleshoot-arrays", "troubleshoot-lists"])
def test_kubectl_against_a_served_troubleshoot_bundle(name: str, tmp_path: Path) -> None:
    # troubleshoot.sh paths name no API version: the served discovery must still say v1
    with serving(FIXTURES / name, tmp_path / "home") as served:
        pods = served.kubectl("get", "pods", "-A", "--no-headers").stdout.split("\n")
        assert [line.split()[1] for line in pods if line] == [
            "api-7d9f6c5b8-x2k4p",
            "web-5c6d7f9b4-q8r2t",
        ]
        previous = served.kubectl("logs", "-n", "shop", "api-7d9f6c5b8-x2k4p", "--previous")
        assert "FATAL cannot connect to the database" in previous.stdout
