"""Workload sources: containers, Longhorn volumes, events, and collection gaps (upgrades:
upgrade.py).

Each joins what a rule would otherwise have to join itself: a crashed container with the
``.log.1`` that holds its crash output, a Longhorn volume with its replicas, its PVC and the
VMs whose disks it backs, an event with the time it was last seen, whatever its API version.
"""

from __future__ import annotations

from typing import Any

from analyzer.bundle.timestamps import iso, parse_rfc3339
from analyzer.sources.core import SourceMissing, Sources, collect_namespace, dig, source


def _require_namespace(src: Sources, namespace: str) -> None:
    if namespace not in src.namespaces():
        raise SourceMissing(
            f"namespace {namespace} was not collected (no yamls/namespaced/{namespace}/)",
            collect_namespace(namespace),
        )


@source(
    "containers",
    "per container of every pod: namespace, pod, node, container, init, ready, "
    "restarts, state (running/waiting/terminated), waiting_reason, waiting_message, "
    "last_reason, last_exit_code, last_finished, log, previous_log (the .log.1 of the "
    "previous, crashed instance), previous ({path, line, text}: its last line)",
)
def build_containers(src: Sources) -> list[dict[str, Any]]:
    pods = src.require_kind("pods", "pods.yaml (yamls/namespaced/<namespace>/v1/pods.yaml)")
    try:  # logical name (<namespace>/<pod>/<container>.log[.1]) -> path, in any layout
        logs = dict(src.log_files("pod_logs"))
    except SourceMissing:
        logs = {}
    records = []
    for pod in pods:
        namespace = dig(pod, "metadata", "namespace") or "?"
        name = dig(pod, "metadata", "name") or "?"
        where = src.cite(pod)
        statuses = [(True, s) for s in dig(pod, "status", "initContainerStatuses") or []]
        statuses += [(False, s) for s in dig(pod, "status", "containerStatuses") or []]
        for init, status in statuses:
            if not isinstance(status, dict):
                continue
            container = status.get("name") or "?"
            state = dig(status, "state") or {}
            last = dig(status, "lastState", "terminated") or {}
            log = f"{namespace}/{name}/{container}.log"
            record = {
                "namespace": namespace,
                "pod": name,
                "node": dig(pod, "spec", "nodeName"),
                "container": container,
                "init": init,
                "ready": status.get("ready"),
                "restarts": status.get("restartCount") or 0,
                "state": next(iter(state), None) if isinstance(state, dict) else None,
                "waiting_reason": dig(state, "waiting", "reason"),
                "waiting_message": dig(state, "waiting", "message"),
                "last_reason": last.get("reason"),
                "last_exit_code": last.get("exitCode"),
                "last_finished": last.get("finishedAt"),
                "log": logs.get(log),
                "previous_log": logs.get(log + ".1"),
                "previous": None,
            }
            # The crash output is in the previous instance's log; read its last line only
            # for containers that crashed, to keep this cheap on busy clusters.
            if record["previous_log"] and (record["waiting_reason"] or record["last_reason"]):
                tail = src.last_line(record["previous_log"])
                if tail:
                    previous = {"path": record["previous_log"], "line": tail[0], "text": tail[1]}
                    record["previous"] = src.remember(previous, previous["path"], tail[0], tail[1])
            excerpt = (
                f"Pod {namespace}/{name} container {container}: restarts "
                f"{record['restarts']}, {record['waiting_reason'] or record['state']}"
                + (
                    f", last exit {record['last_reason']} ({record['last_exit_code']})"
                    if record["last_reason"]
                    else ""
                )
            )
            records.append(src.remember(record, where.path, where.line, excerpt))
    return records


def _conditions(raw: Any) -> dict[str, dict[str, Any]]:
    """Conditions by type, whether a list (v1beta2) or a map by lower-case type (v1beta1)."""
    items = raw.values() if isinstance(raw, dict) else (raw or [])
    found = {}
    for cond in items:
        if isinstance(cond, dict) and cond.get("type"):
            kind = str(cond["type"])
            found[kind[:1].upper() + kind[1:]] = {
                "status": cond.get("status"),
                "reason": cond.get("reason"),
                "message": cond.get("message"),
                "last_transition": cond.get("lastTransitionTime"),
            }
    return found


@source(
    "longhorn_volumes",
    "Longhorn volumes (any longhorn.io version): name, state, "
    "robustness, size, replicas_wanted, replicas [{name, node, state, failed_at}], "
    "failed_replicas, conditions (by type: Scheduled, ...), pvc, pvc_namespace, vms",
)
def build_longhorn_volumes(src: Sources) -> list[dict[str, Any]]:
    _require_namespace(src, "longhorn-system")
    replicas: dict[str, list[dict[str, Any]]] = {}
    for replica in src.kind("longhorn.io/replicas"):
        replicas.setdefault(dig(replica, "spec", "volumeName") or "", []).append(replica)
    claims: dict[tuple[str, str], set[str]] = {}
    for vm in src.kind("kubevirt.io/virtualmachines"):
        namespace = dig(vm, "metadata", "namespace")
        for volume in dig(vm, "spec", "template", "spec", "volumes") or []:
            claim = dig(volume, "persistentVolumeClaim", "claimName") or dig(
                volume, "dataVolume", "name"
            )
            if claim:
                claims.setdefault((namespace, claim), set()).add(
                    f"{namespace}/{dig(vm, 'metadata', 'name')}"
                )
    records = []
    for volume in src.kind("longhorn.io/volumes"):
        name = dig(volume, "metadata", "name") or "?"
        kube = dig(volume, "status", "kubernetesStatus") or {}
        pvc, pvc_namespace = kube.get("pvcName"), kube.get("namespace")
        vms = set(claims.get((pvc_namespace, pvc), set()))
        for workload in kube.get("workloadsStatus") or []:
            if (
                isinstance(workload, dict)
                and workload.get("workloadType") == "VirtualMachineInstance"
            ):
                vms.add(f"{pvc_namespace}/{workload.get('workloadName')}")
        own = [
            {
                "name": dig(r, "metadata", "name"),
                "node": dig(r, "spec", "nodeID"),
                "state": dig(r, "status", "currentState"),
                "failed_at": dig(r, "spec", "failedAt"),
            }
            for r in replicas.get(name, [])
        ]
        record = {
            "name": name,
            "state": dig(volume, "status", "state"),
            "robustness": dig(volume, "status", "robustness"),
            "size": dig(volume, "spec", "size"),
            "replicas_wanted": dig(volume, "spec", "numberOfReplicas"),
            "replicas": own,
            "failed_replicas": [r["name"] for r in own if r["failed_at"] or r["state"] == "error"],
            "conditions": _conditions(dig(volume, "status", "conditions")),
            "pvc": pvc,
            "pvc_namespace": pvc_namespace,
            "vms": sorted(vms),
        }
        where = src.cite(volume)
        excerpt = f"Volume {name}: robustness {record['robustness']}, state {record['state']}" + (
            f", PVC {pvc_namespace}/{pvc}" if pvc else ""
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


@source(
    "events",
    "Kubernetes events (core v1, else events.k8s.io): namespace, kind, name, "
    "type (Normal/Warning), reason, message, count, last_seen",
)
def build_events(src: Sources) -> list[dict[str, Any]]:
    items = src.kind("events") or src.kind("events.k8s.io/events")
    records = []
    for event in items:
        regarding = event.get("involvedObject") or event.get("regarding") or {}
        last_seen = (
            dig(event, "series", "lastObservedTime")
            or event.get("lastTimestamp")
            or event.get("deprecatedLastTimestamp")
            or event.get("eventTime")
            or event.get("firstTimestamp")
            or dig(event, "metadata", "creationTimestamp")
        )
        record = {
            "namespace": regarding.get("namespace") or dig(event, "metadata", "namespace"),
            "kind": regarding.get("kind"),
            "name": regarding.get("name"),
            "type": event.get("type"),
            "reason": event.get("reason"),
            "message": event.get("message") or event.get("note"),
            "count": event.get("count") or event.get("deprecatedCount") or 1,
            "last_seen": last_seen,
        }
        where = src.cite(event)
        excerpt = (
            f"{record['type']} {record['reason']} {record['kind']} "
            f"{record['namespace']}/{record['name']}: {record['message']}"
        )
        records.append(
            src.remember(
                record, where.path, where.line, excerpt, iso(parse_rfc3339(str(last_seen or "")))
            )
        )
    return records


@source(
    "collection",
    "what the bundle holds: namespaces (collected), node_zips, "
    "uncollected_namespaces [{namespace, volumes, claims}]: namespaces whose "
    "PersistentVolumes (VM disks) are claimed but whose objects were not collected",
)
def build_collection(src: Sources) -> dict[str, Any]:
    collected = src.namespaces()
    claimed: dict[str, list[dict[str, Any]]] = {}
    for volume in src.kind("persistentvolumes"):
        namespace = dig(volume, "spec", "claimRef", "namespace")
        if namespace and namespace not in collected:
            claimed.setdefault(namespace, []).append(volume)
    missing = []
    for namespace, volumes in sorted(claimed.items()):
        claims = sorted(str(dig(v, "spec", "claimRef", "name")) for v in volumes)
        where = src.cite(volumes[0])
        record = {"namespace": namespace, "volumes": len(volumes), "claims": claims}
        excerpt = (
            f"PersistentVolume {dig(volumes[0], 'metadata', 'name')} is claimed from "
            f"namespace {namespace}, which was not collected"
        )
        missing.append(src.remember(record, where.path, where.line, excerpt))
    return {
        "namespaces": sorted(collected),
        "node_zips": sorted(src.node_roots()),
        "uncollected_namespaces": missing,
    }
