"""Other bundle kinds: detection by markers, troubleshoot.sh mapped onto the logical sources,
and the real troubleshoot bundles of ../shared/bundles/troubleshoot (skipped when absent)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analyzer import analyze
from analyzer.bundle import kinds, open_bundle
from analyzer.render import FORMATS, render
from analyzer.sources import Sources
from tests.conftest import SHARED_BUNDLES

TROUBLESHOOT = SHARED_BUNDLES / "troubleshoot"
HEALTHY = (
    "troubleshoot_baseline_supportbundle.tar.gz",
    "troubleshoot_testdata_support-bundle.tar.gz",
)


def _real(name: str) -> Path:
    path = TROUBLESHOOT / name
    if not path.is_file():
        pytest.skip(f"the shared troubleshoot bundles are absent ({TROUBLESHOOT})")
    return path


@pytest.mark.parametrize(
    ("files", "kind"),
    [
        (["metadata.yaml", "yamls/namespaced/harvester-system/v1/pods.yaml"], kinds.HARVESTER),
        (["metadata.yaml", "yamls/cluster/v1/nodes.yaml"], kinds.HARVESTER),
        (["metadata.yaml", "yamls/namespaced/longhorn-system/v1/pods.yaml"], kinds.LONGHORN),
        (
            ["metadata.yaml", "yamls/cluster/v1/nodes.yaml", "nodes/n1/hostinfos/hostinfo"],
            kinds.LONGHORN,
        ),
        (["metadata.yaml", "yamls/longhorn/volumes.yaml", "logs/p/c.log"], kinds.LONGHORN_LEGACY),
        (["version.yaml", "cluster-resources/nodes.json"], kinds.TROUBLESHOOT),
        (["cluster-resources/pods/default.json"], kinds.TROUBLESHOOT),
        (["systeminfo/hostname", "journald/rke2-server"], kinds.LOGS_COLLECTOR),
    ],
)
def test_the_kind_comes_from_the_markers(files, kind):
    assert kinds.detect(files) == kind


def _write(root: Path, files: dict[str, object]) -> Path:
    for name, value in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return root


def _pod(name: str, ns: str = "default") -> dict:
    return {"kind": "Pod", "metadata": {"name": name, "namespace": ns}, "status": {}}


@pytest.mark.parametrize("generation", ["bare-array", "list-object"])
def test_both_json_generations_read_as_objects_with_lines(tmp_path, generation):
    pods = [_pod("a"), _pod("b")]
    data = pods if generation == "bare-array" else {"kind": "PodList", "items": pods}
    _write(
        tmp_path / "support-bundle-2024-05-01T10_00_00",
        {
            "version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n",
            "cluster-resources/pods/default.json": data,
            "cluster-resources/deployments/default.json": [],
            "cluster-resources/pvcs/default.json": [{"metadata": {"name": "data"}}],
            "cluster-resources/custom-resources/volumes.longhorn.io/longhorn-system.yaml": (
                "- metadata:\n    name: v1\n  spec:\n    secret: ***HIDDEN***\n"
            ),
            "cluster-resources/pods/logs/default/a/app.log": "now\n",
            "cluster-resources/pods/logs/default/a/app-previous.log": "before\n",
        },
    )
    with open_bundle(tmp_path) as bundle:
        sources = Sources(bundle)
        assert sources.bundle_kind == kinds.TROUBLESHOOT
        got = sources.kind("pods@default")
        assert [p["metadata"]["name"] for p in got] == ["a", "b"]
        first, second = (sources.cite(p) for p in got)
        assert first.path == "cluster-resources/pods/default.json"
        assert 1 < first.line < second.line
        assert [p["metadata"]["name"] for p in sources.kind("persistentvolumeclaims")] == ["data"]
        assert sources.kind("apps/deployments") == []
        assert sources.log_files("pod_logs") == [
            ("default/a/app.log", "cluster-resources/pods/logs/default/a/app.log"),
            ("default/a/app.log.1", "cluster-resources/pods/logs/default/a/app-previous.log"),
        ]
        with pytest.raises(Exception, match=r"volumes\.longhorn\.io/longhorn-system\.yaml"):
            sources.kind("longhorn.io/volumes")
        notes = sources.bundle_info().notes
        assert any("troubleshoot.sh" in n and "lacks node data" in n for n in notes)
        assert any("longhorn-system.yaml" in n for n in notes)


def test_real_troubleshoot_bundles_have_no_high_finding(book):
    for name in HEALTHY:
        report = analyze(_real(name), book)
        assert report.bundle.nodes, name
        high = [f.rule_id for f in report.fired if f.severity in ("high", "critical")]
        assert high == [], (name, high)
        assert not [f for f in report.findings if f.status == "error"], name
        # Harvester's and support-bundle-kit's rules do not apply to another product's bundle.
        for rule_id in ("node-zip-missing", "upgrade-stuck", "volume-faulted"):
            assert report.finding(rule_id).skip_kind == "not-applicable", (name, rule_id)
        for fmt in FORMATS:
            assert render(report, fmt)


def test_real_troubleshoot_crash_loop_is_found_with_its_previous_log(book):
    report = analyze(_real("troubleshoot_testdata_support-bundle.tar.gz"), book)
    crash = report.finding("crash-looping-pods")
    assert crash.status == "fired"
    logs = "cluster-resources/pods/logs/kube-system"
    assert {e.path for e in crash.evidence} == {
        "cluster-resources/pods/kube-system.json",
        f"{logs}/local-path-provisioner-7b7dc8d6f5-45btl/local-path-provisioner-previous.log",
        f"{logs}/metrics-server-668d979685-wttxd/metrics-server-previous.log",
    }
    assert "local-path-provisioner" in crash.message


def test_real_broken_troubleshoot_bundle_is_one_line_exit_2():
    broken = _real("troubleshoot_missing-version.tar.gz")
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", str(broken)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "not a Harvester support bundle" in done.stderr


def test_the_logs_collector_maps_journald_units_and_pod_logs(tmp_path):
    root = tmp_path / "rke2-server1-2025-06-02_09_00_00"
    files = {
        "systeminfo/hostname": "rke2-server1\n",
        "journald/rke2-server": "Jun 02 08:00:00 rke2-server1 rke2[1]: up\n",
        "rke2/agent-logs/kubelet.log": "I0602 08:00:00.000000 1 x.go:1] up\n",
        "rke2/podlogs/cattle-fleet-local-system-fleet-agent-7d9f": "a\n",
        "rke2/podlogs/kube-system-etcd-rke2-server1-previous": "b\n",
        "rke2/podlogs/someapp-web-1": "not told apart\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    with open_bundle(root) as bundle:
        sources = Sources(bundle)
        assert sources.bundle_kind == kinds.LOGS_COLLECTOR
        assert sources.node_roots() == {"rke2-server1": ""}
        assert [name for name, _ in sources.log_files("node_logs")] == [
            "rke2-server1/kubelet.log",
            "rke2-server1/rke2-server.log",
        ]
        assert [name for name, _ in sources.log_files("pod_logs")] == [
            "cattle-fleet-local-system/fleet-agent-7d9f/containers.log",
            "kube-system/etcd-rke2-server1/containers.log.1",
        ]
        assert sources.created_at().isoformat() == "2025-06-02T09:00:00+00:00"
