"""The stock kubectl against `bundle-analyzer serve` on three-node fixture bundles.

What kubectl prints is compared with the bundle's files, read here with PyYAML, not through
the analyzer: a wrong path, kind or selector in the server shows as a difference.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from fixtures.goldens import BUNDLES
from tests.conftest import make_form
from tests.serve_helpers import PROJECT, Served, needs_kubectl, serving, wait_for

pytestmark = needs_kubectl
KUBE_VIP = BUNDLES / "kube-vip-dhcp-conflict"  # three nodes, a crash-looping pod with .log.1
FAULTED = BUNDLES / "faulted-volume-paused-vm"  # three nodes, VMs, Longhorn volumes


def items(bundle: Path, pattern: str) -> list[dict]:
    found = []
    for path in sorted((bundle / "yamls").glob(pattern)):
        found += yaml.safe_load(path.read_text())["items"]
    return found


@pytest.fixture(scope="module")
def kube_vip(tmp_path_factory: pytest.TempPathFactory):
    with serving(KUBE_VIP, tmp_path_factory.mktemp("kube-vip")) as served:
        yield served


def test_get_nodes_names_the_bundles_nodes(kube_vip: Served) -> None:
    out = kube_vip.kubectl("get", "nodes").stdout.splitlines()
    assert out[0].split() == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    expected = sorted(n["metadata"]["name"] for n in items(KUBE_VIP, "cluster/v1/nodes.yaml"))
    assert [line.split()[0] for line in out[1:]] == expected
    assert all(line.split()[1] == "Ready" for line in out[1:])


def test_get_nodes_wide_shows_addresses(kube_vip: Served) -> None:
    out = kube_vip.kubectl("get", "nodes", "-o", "wide").stdout
    for node in items(KUBE_VIP, "cluster/v1/nodes.yaml"):
        internal = [a for a in node["status"]["addresses"] if a["type"] == "InternalIP"]
        assert internal[0]["address"] in out
    assert "CONTAINER-RUNTIME" in out


def test_get_pods_all_namespaces_counts_the_bundles_pods(kube_vip: Served) -> None:
    out = kube_vip.kubectl("get", "pods", "-A", "--no-headers").stdout.splitlines()
    pods = items(KUBE_VIP, "namespaced/*/v1/pods.yaml")
    assert len(out) == len(pods) > 0
    shown = {(line.split()[0], line.split()[1]) for line in out}
    assert shown == {(p["metadata"]["namespace"], p["metadata"]["name"]) for p in pods}
    crashing = next(line for line in out if "kube-vip-hv-node1" in line)
    assert "CrashLoopBackOff" in crashing


def test_get_custom_resource_kind(kube_vip: Served) -> None:
    out = kube_vip.kubectl("get", "settings.harvesterhci.io", "-o", "name").stdout
    expected = items(KUBE_VIP, "cluster/harvesterhci.io/v1beta1/settings.yaml")
    assert out.split() == [f"setting.harvesterhci.io/{s['metadata']['name']}" for s in expected]
    one = kube_vip.kubectl("get", "settings.harvesterhci.io", "server-version", "-o", "json")
    assert json.loads(one.stdout)["value"] == expected[0]["value"]


def test_jsonpath_yaml_and_json(kube_vip: Served) -> None:
    names = kube_vip.kubectl(
        "get", "pods", "-n", "kube-system", "-o", "jsonpath={.items[*].metadata.name}"
    ).stdout.split()
    pods = items(KUBE_VIP, "namespaced/kube-system/v1/pods.yaml")
    assert names == sorted(p["metadata"]["name"] for p in pods)
    listed = yaml.safe_load(kube_vip.kubectl("get", "nodes", "-o", "yaml").stdout)
    assert len(listed["items"]) == 3
    node = json.loads(kube_vip.kubectl("get", "node", "hv-node2", "-o", "json").stdout)
    assert node["metadata"]["name"] == "hv-node2"


def test_label_and_field_selectors(kube_vip: Served) -> None:
    pods = items(KUBE_VIP, "namespaced/*/v1/pods.yaml")
    label = "component=harvester-webhook"
    out = kube_vip.kubectl("get", "pods", "-A", "-l", label, "-o", "name").stdout.split()
    expected = [p for p in pods if p["metadata"].get("labels", {}).get("component") == label[10:]]
    assert out == [f"pod/{p['metadata']['name']}" for p in expected] and expected
    none = kube_vip.kubectl("get", "pods", "-A", "-l", "component notin (harvester-webhook)")
    assert "harvester-webhook" not in none.stdout and "etcd-hv-node1" in none.stdout
    on_node = kube_vip.kubectl(
        "get", "pods", "-A", "--field-selector", "spec.nodeName=hv-node2", "-o", "name"
    ).stdout.split()
    assert sorted(on_node) == sorted(
        f"pod/{p['metadata']['name']}" for p in pods if p["spec"].get("nodeName") == "hv-node2"
    )
    assert on_node
    bad = kube_vip.kubectl("get", "pods", "-A", "--field-selector", "a=(b", check=False)
    assert bad.returncode != 0 and "BadRequest" in bad.stderr


def test_describe_node(kube_vip: Served) -> None:
    out = kube_vip.kubectl("describe", "node", "hv-node1").stdout
    assert "Name:               hv-node1" in out
    assert "v1.32.3+rke2r1" in out
    # describe lists the node's pods through a field selector on spec.nodeName
    assert "kube-vip-hv-node1" in out and "kube-vip-hv-node2" not in out


def test_logs_and_previous_logs_are_the_bundles_files(kube_vip: Served) -> None:
    folder = KUBE_VIP / "logs" / "harvester-system" / "kube-vip-hv-node1"
    args = ("logs", "-n", "harvester-system", "kube-vip-hv-node1")
    assert kube_vip.kubectl(*args).stdout == (folder / "kube-vip.log").read_text()
    previous = kube_vip.kubectl(*args, "--previous", "-c", "kube-vip").stdout
    assert previous == (folder / "kube-vip.log.1").read_text()
    last = kube_vip.kubectl(*args, "--tail", "2").stdout
    assert last.splitlines() == (folder / "kube-vip.log").read_text().splitlines()[-2:]
    missing = kube_vip.kubectl("logs", "-n", "kube-system", "etcd-hv-node1", check=False)
    assert missing.returncode != 0 and "NotFound" in missing.stderr


def test_write_verbs_are_refused(kube_vip: Served) -> None:
    for args in (
        ("delete", "pod", "-n", "harvester-system", "kube-vip-hv-node1"),
        ("label", "node", "hv-node1", "x=y"),
        ("create", "namespace", "new-one"),
    ):
        refused = kube_vip.kubectl(*args, check=False)
        assert refused.returncode != 0, args
        assert "MethodNotAllowed" in refused.stderr and "read-only" in refused.stderr, args
    # nothing changed
    assert "kube-vip-hv-node1" in kube_vip.kubectl("get", "pods", "-A").stdout


def test_kinds_of_another_bundle_vms_and_volumes(tmp_path: Path) -> None:
    with serving(FAULTED, tmp_path / "home") as served:
        vmis = served.kubectl("get", "vmi", "-A").stdout.splitlines()
        assert vmis[0].split()[:4] == ["NAMESPACE", "NAME", "AGE", "PHASE"]
        assert [line.split()[1] for line in vmis[1:]] == ["vm1", "vm2"]
        volumes = served.kubectl("get", "lhv", "-n", "longhorn-system").stdout
        assert "faulted" in volumes
        resources = served.kubectl("api-resources", "--no-headers").stdout
        assert any(
            line.split()[:2] == ["virtualmachineinstances", "vmi,vmis"]
            for line in resources.splitlines()
        )
        every = served.kubectl("get", "all", "-A", "-o", "name").stdout.split()
        assert "pod/kube-vip-hv-node1" in every
        events = served.kubectl("get", "events", "-A").stdout
        assert "FailedAttachVolume" in events


@pytest.mark.parametrize("form", ["dir", "zip"])
def test_ctrl_c_stops_cleanly_and_leaves_nothing(
    form: str, private_tmpdir: Path, tmp_path: Path
) -> None:
    """Without --kubeconfig: a temporary one, printed as an export line, removed on Ctrl-C;
    a zipped bundle's private folder (its node zips are copied there) is removed too."""
    bundle = make_form(KUBE_VIP.name, form, tmp_path / "packed")
    process = subprocess.Popen(
        [sys.executable, "-m", "analyzer", "serve", str(bundle)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=PROJECT,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert line.startswith("export KUBECONFIG="), line
        kubeconfig = Path(line.strip().split("=", 1)[1])
        wait_for(kubeconfig, process)
        assert kubeconfig.is_relative_to(private_tmpdir)
        served = Served(process, kubeconfig, private_tmpdir / "home")
        assert "hv-node1" in served.kubectl("get", "nodes").stdout
        during = [p.name for p in private_tmpdir.iterdir()]
        assert any(name.startswith("bundle-analyzer-serve-") for name in during), during
        code, _, err = served.stop(signal.SIGINT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert code == 130
    assert err.strip().splitlines()[-1] == "bundle-analyzer: interrupted (signal 2)"
    assert "Traceback" not in err
    assert not kubeconfig.exists()
    left = sorted(p.name for p in private_tmpdir.iterdir() if p.name != "home")
    assert left == []


def test_sigterm_removes_a_named_kubeconfig(tmp_path: Path) -> None:
    with serving(KUBE_VIP, tmp_path / "home") as served:
        code, out, err = served.stop(signal.SIGTERM)
    assert code == 143 and "Traceback" not in err
    assert not served.kubeconfig.exists()
    assert out == f"export KUBECONFIG={served.kubeconfig}\n"


def test_an_existing_kubeconfig_is_never_overwritten(tmp_path: Path) -> None:
    mine = tmp_path / "config"
    mine.write_text("mine")
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "serve", str(KUBE_VIP), "--kubeconfig", str(mine)],
        capture_output=True,
        text=True,
        cwd=PROJECT,
        timeout=120,
    )
    assert done.returncode == 2 and "exists" in done.stderr
    assert mine.read_text() == "mine"
