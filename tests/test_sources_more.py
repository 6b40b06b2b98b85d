"""The typed sources of issue 12 item 4, read from the healthy-v161 fixture (as a folder and
zipped as users send it) and from variants of it holding the failing shapes; each with the
kind of query a rule would ask of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from analyzer.query import compile_query
from analyzer.sources import SOURCES, SourceMissing, Sources, open_sources
from fixtures import sources_more as more
from fixtures.scenarios import healthy_v161
from fixtures.synth import write_bundle
from tests.conftest import make_form

NEW = (
    "jobs",
    "pdbs",
    "vmis",
    "migrations",
    "longhorn_nodes",
    "longhorn_engines",
    "engine_images",
    "settings",
    "node_resources",
    "alerts",
)
NODES = ["hv-node1", "hv-node2", "hv-node3"]
LH = "yamls/namespaced/longhorn-system/longhorn.io"


def ask(src: Sources, text: str) -> Any:
    """A rule's fact: the query over the sources it names, as the engine builds them."""
    query = compile_query(text)
    root: dict[str, Any] = {n: src.get(n) for n in query.names if n in SOURCES and n != "objects"}
    if query.object_kinds:
        root["objects"] = {kind: src.kind(kind) for kind in query.object_kinds}
    return query.search(root)


def variant(tmp_path: Path, **objects: list[dict[str, Any]]) -> Path:
    """healthy-v161 with List files replaced (keys: paths with / written as __)."""
    cluster = healthy_v161()
    for key, items in objects.items():
        cluster.objects[key.replace("__", "/")] = items
    return write_bundle(cluster, tmp_path / "bundle")


@pytest.fixture(params=["dir", "zip-deflated"])
def healthy(request, tmp_path) -> Path:
    return make_form("healthy-v161", request.param, tmp_path)


def test_every_new_source_is_registered_with_a_description():
    for name in NEW:
        assert SOURCES[name].build is not None
        assert len(SOURCES[name].description) > 40, name


def test_the_healthy_fixture_has_data_for_every_new_source(healthy):
    with open_sources(healthy) as src:
        for name in NEW:
            value = src.get(name)
            assert value, name
        assert not src.notes


def test_jobs_know_their_node_and_cite_their_object(healthy):
    with open_sources(healthy) as src:
        jobs = src.get("jobs")
        assert sorted(j["node"] for j in jobs) == NODES
        job = jobs[0]
        assert job["succeeded"] == 1 and job["failed"] == 0 and not job["deadline_exceeded"]
        assert job["conditions"]["Complete"]["status"] == "True"
        assert job["owner"] == {"kind": "Plan", "name": "sync-additional-ca"}
        where = src.cite(job)
        assert where.path.endswith("cattle-system/batch/v1/jobs.yaml") and where.line > 1
        assert ask(src, "jobs[?failed > `0`].name") == []


def test_jobs_name_the_deadline_and_the_backoff_limit(tmp_path):
    created = healthy_v161().created_at
    bundle = variant(
        tmp_path,
        yamls__namespaced__cattle_system=[],
        **{
            "yamls__namespaced__cattle-system__batch__v1__jobs.yaml": [
                more.job(
                    "prepare-on-hv-node2", "cattle-system", "hv-node2", created, "DeadlineExceeded"
                ),
                more.job(
                    "prepare-on-hv-node3",
                    "cattle-system",
                    "hv-node3",
                    created,
                    "BackoffLimitExceeded",
                ),
                more.job("done-on-hv-node1", "cattle-system", "hv-node1", created, None),
            ]
        },
    )
    with open_sources(bundle) as src:
        assert ask(src, "jobs[?deadline_exceeded].node") == ["hv-node2"]
        assert ask(src, "jobs[?backoff_limit_exceeded].name") == ["prepare-on-hv-node3"]
        assert ask(src, "jobs[?conditions.Failed].failed_reason") == [
            "DeadlineExceeded",
            "BackoffLimitExceeded",
        ]
        assert ask(src, "jobs[?deadline_exceeded] | [0].active_deadline_seconds") == 900


def test_pdbs_that_block_a_drain(healthy):
    with open_sources(healthy) as src:
        blocking = ask(src, "pdbs[?disruptions_allowed == `0`]")
        assert [p["name"] for p in blocking] == ["instance-manager-e-0b1c2d3e"]
        assert blocking[0]["selector"] == {"app": "im"} and blocking[0]["min_available"] == 1
        assert src.cite(blocking[0]).path.endswith(
            "longhorn-system/policy/v1/poddisruptionbudgets.yaml"
        )


def test_vmis_and_migrations(healthy):
    with open_sources(healthy) as src:
        assert ask(src, "vmis[?migratable == 'True'].{vm: name, node: node}") == [
            {"vm": "web-01", "node": "hv-node2"}
        ]
        assert ask(src, "migrations[].[vmi, phase, source_node, target_node, failed]") == [
            ["web-01", "Succeeded", "hv-node1", "hv-node2", False]
        ]


def test_a_vmi_that_cannot_migrate_and_a_failed_migration(tmp_path):
    ns = "yamls/namespaced/default/kubevirt.io/v1"
    bundle = variant(
        tmp_path,
        **{
            f"{ns}/virtualmachineinstances.yaml".replace("/", "__"): [
                more.vmi("db-01", "hv-node3", False)
            ],
            f"{ns}/virtualmachineinstancemigrations.yaml".replace("/", "__"): [
                more.migration(
                    "db-01-m", "db-01", "hv-node3", "hv-node1", "target pod unschedulable"
                )
            ],
        },
    )
    with open_sources(bundle) as src:
        stuck = ask(src, "vmis[?migratable == 'False'] | [0]")
        assert stuck["migratable_reason"] == "DisksNotLiveMigratable"
        assert stuck["node"] == "hv-node3"
        assert ask(src, "migrations[?failed].failure_reason") == ["target pod unschedulable"]


def test_longhorn_nodes_disks_engines_and_engine_images(healthy):
    with open_sources(healthy) as src:
        disks = ask(src, "longhorn_nodes[].disks[]")
        assert len(disks) == 3 and {d["path"] for d in disks} == {"/var/lib/harvester/defaultdisk"}
        assert ask(src, "longhorn_nodes[?ready != 'True' || disks[?ready != 'True']]") == []
        assert disks[0]["conditions"]["Schedulable"]["status"] == "True"
        assert disks[0]["storage_maximum"] == 394085056512
        engine = ask(src, "longhorn_engines[?state == 'running'] | [0]")
        assert engine["instance_manager"] == "instance-manager-hv-node2"
        assert engine["image"] == more.ENGINE_IMAGE and engine["volume"] == "pvc-3f1c2a9e-web-01"
        assert ask(src, "engine_images[?state == 'deployed'].undeployed_nodes") == [[]]
        assert ask(src, "engine_images[0].node_deployment_map") == dict.fromkeys(NODES, True)


def _v1beta1_node(node: str) -> dict[str, Any]:
    """The v1beta1 form (Longhorn 1.2, Harvester 1.0): conditions and disk conditions are
    maps keyed by type, the engine image in spec.engineImage."""
    v2 = more.longhorn_node_v1beta2(node, ready="False")
    disk = next(iter(v2["status"]["diskStatus"]))
    status = v2["status"]["diskStatus"][disk]
    status["conditions"] = {c["type"]: c for c in status["conditions"]}
    v2["status"]["conditions"] = {c["type"]: c for c in v2["status"]["conditions"]}
    v2["apiVersion"] = "longhorn.io/v1beta1"
    return v2


def test_longhorn_v1beta1_maps_read_as_v1beta2_lists(tmp_path):
    engine = more.engine("pvc-1", "hv-node1")
    engine["spec"]["engineImage"] = engine["spec"].pop("image")
    del engine["status"]["currentImage"]
    cluster = healthy_v161()
    for kind in ("nodes", "engines", "engineimages", "settings", "backuptargets"):
        cluster.objects.pop(f"{LH}/v1beta2/{kind}.yaml")
    cluster.objects[f"{LH}/v1beta1/nodes.yaml"] = [_v1beta1_node("hv-node1")]
    cluster.objects[f"{LH}/v1beta1/engines.yaml"] = [engine]
    with open_sources(write_bundle(cluster, tmp_path / "b")) as src:
        node = src.get("longhorn_nodes")[0]
        assert node["ready"] == "False" and node["disks"][0]["ready"] == "False"
        assert node["disks"][0]["uuid"].endswith("8a6b80cc12b4")
        assert ask(src, "longhorn_nodes[].disks[?conditions.Ready.status == 'False'][].name") == [
            "default-disk-hv-node1"
        ]
        assert src.get("longhorn_engines")[0]["image"] == more.ENGINE_IMAGE
        assert src.get("engine_images") == []
        assert src.get("settings")["longhorn"] == {}


def test_settings_by_name_with_their_effective_value(healthy):
    with open_sources(healthy) as src:
        settings = src.get("settings")
        assert ask(src, 'settings.harvester."server-version".value') == "v1.6.1"
        timeout = settings["harvester"]["support-bundle-timeout"]
        # "null" is how the collector writes an empty value: the default applies.
        assert timeout["value"] is None and timeout["effective"] == timeout["default"]
        assert ask(src, 'settings.longhorn."backup-target".value') is None
        assert (
            ask(src, 'settings.longhorn."storage-over-provisioning-percentage".effective') == "100"
        )
        assert src.cite(settings["longhorn"]["backup-target"]).path.endswith("settings.yaml")


def test_settings_missing_only_when_neither_kind_can_be(tmp_path):
    cluster = healthy_v161()
    cluster.objects = {}
    with open_sources(write_bundle(cluster, tmp_path / "b")) as src:
        # longhorn-system holds no file at all now: not collected; Harvester's still read
        assert src.get("settings")["longhorn"] == {}
        assert "server-version" in src.get("settings")["harvester"]
        with pytest.raises(SourceMissing, match="longhorn-system was not collected"):
            src.get("longhorn_nodes")
        with pytest.raises(SourceMissing, match="batch Jobs"):
            src.get("jobs")


def test_node_resources(healthy):
    with open_sources(healthy) as src:
        rows = ask(
            src,
            "node_resources[].{node: node, cpu: allocatable.cpu, "
            'ip: annotations."rke2.io/internal-ip"}',
        )
        assert [r["node"] for r in rows] == NODES
        assert all(r["cpu"] and r["ip"] for r in rows)
        assert ask(src, "node_resources[?taints[?effect == 'NoSchedule']]") == []
