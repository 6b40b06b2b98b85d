"""Longhorn sources: nodes with their disks, engines, engine images.

Longhorn moved from longhorn.io/v1beta1 to v1beta2 (Longhorn 1.3, Harvester 1.1): conditions
went from a map keyed by type to a list, a disk's conditions likewise, and an engine's
image from ``spec.engineImage`` to ``spec.image``. These records read the same either way.
"""

from __future__ import annotations

from typing import Any

from analyzer.sources.core import Sources, dig, source
from analyzer.sources.workloads import _conditions, _require_namespace


@source(
    "longhorn_nodes",
    "per Longhorn node: node, ready, schedulable (condition statuses), conditions "
    "(by type), allow_scheduling, eviction_requested, disks [{name, path, uuid, "
    "allow_scheduling, ready, schedulable, conditions (by type), storage_available, "
    "storage_maximum, storage_scheduled, storage_reserved}]",
)
def build_longhorn_nodes(src: Sources) -> list[dict[str, Any]]:
    _require_namespace(src, "longhorn-system")
    records = []
    for node in src.kind("longhorn.io/nodes"):
        name = dig(node, "metadata", "name")
        conditions = _conditions(dig(node, "status", "conditions"))
        specs = dig(node, "spec", "disks") or {}
        statuses = dig(node, "status", "diskStatus") or {}
        disks = []
        for disk in sorted(set(specs) | set(statuses), key=str):
            spec, status = specs.get(disk) or {}, statuses.get(disk) or {}
            disk_conditions = _conditions(status.get("conditions"))
            disks.append(
                {
                    "name": disk,
                    "path": spec.get("path"),
                    "uuid": status.get("diskUUID"),
                    "allow_scheduling": spec.get("allowScheduling"),
                    "ready": dig(disk_conditions, "Ready", "status"),
                    "schedulable": dig(disk_conditions, "Schedulable", "status"),
                    "conditions": disk_conditions,
                    "storage_available": status.get("storageAvailable"),
                    "storage_maximum": status.get("storageMaximum"),
                    "storage_scheduled": status.get("storageScheduled"),
                    "storage_reserved": spec.get("storageReserved"),
                }
            )
        record = {
            "node": name,
            "ready": dig(conditions, "Ready", "status"),
            "schedulable": dig(conditions, "Schedulable", "status"),
            "conditions": conditions,
            "allow_scheduling": dig(node, "spec", "allowScheduling"),
            "eviction_requested": dig(node, "spec", "evictionRequested"),
            "disks": disks,
        }
        where = src.cite(node)
        excerpt = (
            f"Longhorn node {name}: Ready {record['ready']}, Schedulable "
            f"{record['schedulable']}, {len(disks)} disk(s)"
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


@source(
    "longhorn_engines",
    "per Longhorn engine: name, volume, node, state (currentState), desired_state, "
    "instance_manager, image (the engine image it runs, else the one wanted), "
    "wanted_image, endpoint",
)
def build_longhorn_engines(src: Sources) -> list[dict[str, Any]]:
    _require_namespace(src, "longhorn-system")
    records = []
    for engine in src.kind("longhorn.io/engines"):
        name = dig(engine, "metadata", "name")
        wanted = dig(engine, "spec", "image") or dig(engine, "spec", "engineImage")
        record = {
            "name": name,
            "volume": dig(engine, "spec", "volumeName"),
            "node": dig(engine, "spec", "nodeID") or dig(engine, "status", "ownerID"),
            "state": dig(engine, "status", "currentState"),
            "desired_state": dig(engine, "spec", "desireState"),
            "instance_manager": dig(engine, "status", "instanceManagerName"),
            "image": dig(engine, "status", "currentImage") or wanted,
            "wanted_image": wanted,
            "endpoint": dig(engine, "status", "endpoint"),
        }
        where = src.cite(engine)
        excerpt = (
            f"Longhorn engine {name} of volume {record['volume']} on {record['node']}: "
            f"{record['state']}, instance manager {record['instance_manager']}"
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


@source(
    "engine_images",
    "per Longhorn engine image: name, image, version, state (deployed, deploying, "
    "incompatible ...), ref_count, node_deployment_map {node: deployed?}, "
    "undeployed_nodes, conditions (by type)",
)
def build_engine_images(src: Sources) -> list[dict[str, Any]]:
    _require_namespace(src, "longhorn-system")
    records = []
    for image in src.kind("longhorn.io/engineimages"):
        name = dig(image, "metadata", "name")
        deployed = dig(image, "status", "nodeDeploymentMap") or {}
        record = {
            "name": name,
            "image": dig(image, "spec", "image"),
            "version": dig(image, "status", "version"),
            "state": dig(image, "status", "state"),
            "ref_count": dig(image, "status", "refCount") or 0,
            "node_deployment_map": {str(n): bool(d) for n, d in deployed.items()},
            "undeployed_nodes": sorted(str(n) for n, d in deployed.items() if not d),
            "conditions": _conditions(dig(image, "status", "conditions")),
        }
        where = src.cite(image)
        excerpt = f"Longhorn engine image {record['image']}: {record['state']}" + (
            f", not deployed on {', '.join(record['undeployed_nodes'])}"
            if record["undeployed_nodes"]
            else ""
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records
