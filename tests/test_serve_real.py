"""The stock kubectl against `serve` on the real bundle (../shared/bundles), zipped as received."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from tests.serve_helpers import Served, needs_kubectl, serving

pytestmark = needs_kubectl


def _members(bundle: Path, suffix: str) -> dict[str, bytes]:
    with zipfile.ZipFile(bundle) as archive:
        return {
            name.split("/", 1)[1]: archive.read(name)
            for name in archive.namelist()
            if name.endswith(suffix)
        }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):
    from tests.conftest import REAL_BUNDLE

    if not REAL_BUNDLE.is_file():
        pytest.skip(
            f"the shared real bundle is absent ({REAL_BUNDLE}); it lives outside the project"
        )
    with serving(REAL_BUNDLE, tmp_path_factory.mktemp("real")) as server:
        yield REAL_BUNDLE, server


def test_pods_of_every_namespace(served: tuple[Path, Served]) -> None:
    bundle, server = served
    pods = [
        (item["metadata"]["namespace"], item["metadata"]["name"])
        for name, data in _members(bundle, "/v1/pods.yaml").items()
        if name.startswith("yamls/namespaced/")
        for item in yaml.safe_load(data)["items"] or []
    ]
    out = server.kubectl("get", "pods", "-A", "--no-headers").stdout.splitlines()
    assert len(out) == len(pods) > 50
    assert sorted(tuple(line.split()[:2]) for line in out) == sorted(pods)


def test_nodes_describe_and_custom_resources(served: tuple[Path, Served]) -> None:
    _, server = served
    assert server.kubectl("get", "nodes", "-o", "jsonpath={.items[*].metadata.name}").stdout == (
        "node1"
    )
    described = server.kubectl("describe", "node", "node1").stdout
    assert "Name:               node1" in described and "v1.21.7+rke2r1" in described
    resources = server.kubectl("api-resources", "--no-headers").stdout.splitlines()
    vms = [line.split() for line in resources if line.startswith("virtualmachines ")]
    assert vms == [["virtualmachines", "vm,vms", "kubevirt.io/v1", "true", "VirtualMachine"]]
    # an old bundle: Longhorn dumped as v1beta1, every kind has a file, most empty
    assert "longhorn.io/v1beta1" in server.kubectl("api-resources").stdout
    assert server.kubectl("get", "vm", "-A").returncode == 0


def test_pod_logs(served: tuple[Path, Served]) -> None:
    bundle, server = served
    logs = _members(bundle, ".log")
    path = "logs/harvester-system/default-default-dng8k/network-helper.log"
    out = server.kubectl(
        "logs", "-n", "harvester-system", "default-default-dng8k", "-c", "network-helper"
    ).stdout
    assert out.encode() == logs[path]
