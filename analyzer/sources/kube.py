"""Kubernetes and Harvester sources: Jobs, PodDisruptionBudgets, node resources, settings.

Each turns a dumped kind into records a rule can query without knowing its API version or
the collector's habits: conditions by type whatever their form, a Job's node found through
its pods, a setting's effective value (support-bundle-kit writes empty values as the string
"null", which the YAML reader already reads as null).
"""

from __future__ import annotations

from typing import Any

from analyzer.sources.core import SourceMissing, Sources, dig, source
from analyzer.sources.workloads import _conditions

#: the labels a Job's pods carry (batch.kubernetes.io/ since Kubernetes 1.27)
_JOB_LABELS = ("batch.kubernetes.io/job-name", "job-name")
_HOSTNAME = "kubernetes.io/hostname"


def _owner(obj: dict[str, Any]) -> dict[str, Any] | None:
    """The controlling owner reference (else the first), as {kind, name}."""
    refs = [r for r in dig(obj, "metadata", "ownerReferences") or [] if isinstance(r, dict)]
    ref = next((r for r in refs if r.get("controller")), refs[0] if refs else None)
    return {"kind": ref.get("kind"), "name": ref.get("name")} if ref else None


def _job_nodes(src: Sources) -> dict[tuple[Any, Any], list[str]]:
    """(namespace, job) -> the nodes its pods ran on, sorted."""
    try:
        pods = src.kind("pods")
    except SourceMissing:
        return {}
    found: dict[tuple[Any, Any], set[str]] = {}
    for pod in pods:
        labels = dig(pod, "metadata", "labels") or {}
        owner = _owner(pod) or {}
        job = next((labels[k] for k in _JOB_LABELS if labels.get(k)), None)
        job = job or (owner.get("name") if owner.get("kind") == "Job" else None)
        node = dig(pod, "spec", "nodeName")
        if job and node:
            found.setdefault((dig(pod, "metadata", "namespace"), job), set()).add(str(node))
    return {key: sorted(nodes) for key, nodes in found.items()}


@source(
    "jobs",
    "per batch Job: name, namespace, node (where its pods ran, else its template's "
    "nodeName or hostname selector), nodes, active, succeeded, failed, conditions (by type: "
    "Complete, Failed, Suspended ...), failed_reason (e.g. BackoffLimitExceeded, "
    "DeadlineExceeded), deadline_exceeded, backoff_limit_exceeded, active_deadline_seconds, "
    "backoff_limit, start_time, "
    "completion_time, owner {kind, name}, labels",
)
def build_jobs(src: Sources) -> list[dict[str, Any]]:
    jobs = src.require_kind("batch/jobs", "batch Jobs (yamls/namespaced/<ns>/batch/v1/jobs.yaml)")
    ran_on = _job_nodes(src)
    records = []
    for job in jobs:
        name, namespace = dig(job, "metadata", "name"), dig(job, "metadata", "namespace")
        template = dig(job, "spec", "template", "spec") or {}
        nodes = ran_on.get((namespace, name), [])
        planned = template.get("nodeName") or dig(template, "nodeSelector", _HOSTNAME)
        conditions = _conditions(dig(job, "status", "conditions"))
        failed_reason = dig(conditions, "Failed", "reason") or dig(
            conditions, "FailureTarget", "reason"
        )
        record = {
            "name": name,
            "namespace": namespace,
            "node": nodes[-1] if nodes else planned,
            "nodes": nodes,
            "active": dig(job, "status", "active") or 0,
            "succeeded": dig(job, "status", "succeeded") or 0,
            "failed": dig(job, "status", "failed") or 0,
            "conditions": conditions,
            "failed_reason": failed_reason,
            "deadline_exceeded": failed_reason == "DeadlineExceeded",
            "backoff_limit_exceeded": failed_reason == "BackoffLimitExceeded",
            "active_deadline_seconds": dig(job, "spec", "activeDeadlineSeconds"),
            "backoff_limit": dig(job, "spec", "backoffLimit"),
            "start_time": dig(job, "status", "startTime"),
            "completion_time": dig(job, "status", "completionTime"),
            "owner": _owner(job),
            "labels": dig(job, "metadata", "labels") or {},
        }
        where = src.cite(job)
        state = failed_reason or ("complete" if "Complete" in conditions else "running")
        excerpt = (
            f"Job {namespace}/{name}: {state}, active {record['active']}, succeeded "
            f"{record['succeeded']}, failed {record['failed']}"
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


@source(
    "pdbs",
    "per PodDisruptionBudget (policy v1 or v1beta1): name, namespace, selector "
    "(matchLabels), match_expressions, min_available, max_unavailable, disruptions_allowed, "
    "current_healthy, desired_healthy, expected_pods",
)
def build_pdbs(src: Sources) -> list[dict[str, Any]]:
    items = src.require_kind(
        "policy/poddisruptionbudgets",
        "PodDisruptionBudgets (yamls/namespaced/<ns>/policy/v1/poddisruptionbudgets.yaml)",
    )
    records = []
    for pdb in items:
        name, namespace = dig(pdb, "metadata", "name"), dig(pdb, "metadata", "namespace")
        status = dig(pdb, "status") or {}
        record = {
            "name": name,
            "namespace": namespace,
            "selector": dig(pdb, "spec", "selector", "matchLabels") or {},
            "match_expressions": dig(pdb, "spec", "selector", "matchExpressions") or [],
            "min_available": dig(pdb, "spec", "minAvailable"),
            "max_unavailable": dig(pdb, "spec", "maxUnavailable"),
            "disruptions_allowed": status.get("disruptionsAllowed") or 0,
            "current_healthy": status.get("currentHealthy") or 0,
            "desired_healthy": status.get("desiredHealthy") or 0,
            "expected_pods": status.get("expectedPods") or 0,
        }
        where = src.cite(pdb)
        excerpt = (
            f"PodDisruptionBudget {namespace}/{name}: disruptionsAllowed "
            f"{record['disruptions_allowed']}, healthy {record['current_healthy']}/"
            f"{record['desired_healthy']}"
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


@source(
    "node_resources",
    "per Node: node, labels, annotations, capacity, allocatable (maps as dumped: "
    "cpu, memory, pods, devices.kubevirt.io/* ...), taints [{key, value, effect, "
    "time_added}], unschedulable",
)
def build_node_resources(src: Sources) -> list[dict[str, Any]]:
    records = []
    for node in src.require_kind("nodes", "yamls/cluster/v1/nodes.yaml"):
        name = dig(node, "metadata", "name")
        record = {
            "node": name,
            "labels": dig(node, "metadata", "labels") or {},
            "annotations": dig(node, "metadata", "annotations") or {},
            "capacity": dig(node, "status", "capacity") or {},
            "allocatable": dig(node, "status", "allocatable") or {},
            "taints": [
                {
                    "key": t.get("key"),
                    "value": t.get("value"),
                    "effect": t.get("effect"),
                    "time_added": t.get("timeAdded"),
                }
                for t in dig(node, "spec", "taints") or []
                if isinstance(t, dict)
            ],
            "unschedulable": bool(dig(node, "spec", "unschedulable")),
        }
        where = src.cite(node)
        allocatable = record["allocatable"]
        excerpt = (
            f"Node {name}: allocatable cpu {allocatable.get('cpu')}, memory "
            f"{allocatable.get('memory')}, pods {allocatable.get('pods')}"
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


#: settings source -> the kind it is read from
_SETTINGS = {"harvester": "harvesterhci.io/settings", "longhorn": "longhorn.io/settings"}


@source(
    "settings",
    "Harvester and Longhorn settings by name: settings.harvester.<name> and "
    "settings.longhorn.<name>, each {name, value, default (Harvester's, where the object "
    "has one), effective (value, else default), applied (Longhorn v1beta2)}; a kind the "
    "bundle lacks is an empty map",
)
def build_settings(src: Sources) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    missing = []
    for product, kind in _SETTINGS.items():
        try:
            items = src.kind(kind)
        except SourceMissing as exc:  # the namespace (longhorn-system) was not collected
            items, missing = [], [*missing, str(exc)]
        found[product] = {}
        for item in sorted(items, key=lambda i: str(dig(i, "metadata", "name"))):
            name = dig(item, "metadata", "name")
            value, default = item.get("value"), item.get("default")
            record = {
                "name": name,
                "value": value,
                "default": default,
                # Harvester applies the default while the value is empty.
                "effective": value if value not in (None, "") else default,
                "applied": dig(item, "status", "applied"),
            }
            where = src.cite(item)
            excerpt = f"{product} setting {name}: value {value!r}" + (
                f", default {default!r}" if default not in (None, "") else ""
            )
            found[product][str(name)] = src.remember(record, where.path, where.line, excerpt)
    if len(missing) == len(_SETTINGS):
        raise SourceMissing("; ".join(missing))
    return found
