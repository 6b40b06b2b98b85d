"""KubeVirt sources: VirtualMachineInstances and their live migrations.

A VMI's ``LiveMigratable`` condition says whether (and why not) it can move off its node,
which is what blocks a node drain during an upgrade; a migration's state names both nodes
and, when it failed, why. Both are read from kubevirt.io in whatever version was dumped.
"""

from __future__ import annotations

from typing import Any

from analyzer.sources.core import Sources, dig, source
from analyzer.sources.workloads import _conditions


@source(
    "vmis",
    "per VirtualMachineInstance: name, namespace, node, phase, migratable (the "
    "LiveMigratable condition's status: True/False, or null), migratable_reason, "
    "migratable_message, conditions (by type: Ready, LiveMigratable, Paused ...), "
    "migration (the last migration's {source_node, target_node, completed, failed, "
    "failure_reason, start, end})",
)
def build_vmis(src: Sources) -> list[dict[str, Any]]:
    items = src.require_kind(
        "kubevirt.io/virtualmachineinstances",
        "VirtualMachineInstances (yamls/namespaced/<ns>/kubevirt.io/v1/"
        "virtualmachineinstances.yaml)",
    )
    records = []
    for vmi in items:
        name, namespace = dig(vmi, "metadata", "name"), dig(vmi, "metadata", "namespace")
        conditions = _conditions(dig(vmi, "status", "conditions"))
        state = dig(vmi, "status", "migrationState")
        record = {
            "name": name,
            "namespace": namespace,
            "node": dig(vmi, "status", "nodeName"),
            "phase": dig(vmi, "status", "phase"),
            "migratable": dig(conditions, "LiveMigratable", "status"),
            "migratable_reason": dig(conditions, "LiveMigratable", "reason"),
            "migratable_message": dig(conditions, "LiveMigratable", "message"),
            "conditions": conditions,
            "migration": _migration_state(state) if isinstance(state, dict) else None,
        }
        where = src.cite(vmi)
        excerpt = (
            f"VirtualMachineInstance {namespace}/{name} on {record['node']}: {record['phase']}"
        )
        if record["migratable"] is not None:
            excerpt += f", LiveMigratable {record['migratable']}" + (
                f" ({record['migratable_reason']})" if record["migratable_reason"] else ""
            )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


def _migration_state(state: dict[str, Any]) -> dict[str, Any]:
    return {
        "source_node": state.get("sourceNode"),
        "target_node": state.get("targetNode"),
        "completed": bool(state.get("completed")),
        "failed": bool(state.get("failed")),
        "failure_reason": state.get("failureReason"),
        "start": state.get("startTimestamp"),
        "end": state.get("endTimestamp"),
    }


@source(
    "migrations",
    "per VirtualMachineInstanceMigration: name, namespace, vmi, phase (Pending ... "
    "Succeeded/Failed), source_node, target_node, failed, failure_reason (the migration "
    "state's, else a Failed condition's message), conditions (by type), start, end",
)
def build_migrations(src: Sources) -> list[dict[str, Any]]:
    items = src.require_kind(
        "kubevirt.io/virtualmachineinstancemigrations",
        "VirtualMachineInstanceMigrations (yamls/namespaced/<ns>/kubevirt.io/v1/"
        "virtualmachineinstancemigrations.yaml)",
    )
    records = []
    for migration in items:
        name, namespace = (dig(migration, "metadata", k) for k in ("name", "namespace"))
        state = dig(migration, "status", "migrationState")
        moved = _migration_state(state if isinstance(state, dict) else {})
        conditions = _conditions(dig(migration, "status", "conditions"))
        phase = dig(migration, "status", "phase")
        failed = phase == "Failed" or moved["failed"]
        reason = moved["failure_reason"] or (
            dig(conditions, "Failed", "message") or dig(conditions, "Failed", "reason")
            if failed
            else None
        )
        record = {
            "name": name,
            "namespace": namespace,
            "vmi": dig(migration, "spec", "vmiName"),
            "phase": phase,
            "source_node": moved["source_node"],
            "target_node": moved["target_node"],
            "failed": failed,
            "failure_reason": reason,
            "conditions": conditions,
            "start": moved["start"],
            "end": moved["end"],
        }
        where = src.cite(migration)
        excerpt = (
            f"Migration {namespace}/{name} of VMI {record['vmi']}: {phase}, "
            f"{record['source_node']} -> {record['target_node']}"
            + (f": {reason}" if reason else "")
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records
