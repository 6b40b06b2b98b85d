"""The Harvester upgrade as a view: each Upgrade object, and each node's phase in it.

Harvester's upgrade controller (harvester/harvester pkg/controller/master/upgrade) records an
upgrade's phase in the label ``harvesterhci.io/upgradeState`` and each node's in
``status.nodeStatuses[<node>]`` ({state, reason, message}: no time). The time a node entered
its phase is read from the job that phase runs: the controller sets "Pre-draining" when it
creates the pre-drain job and "Pre-drained" when that job completes, so the job's start or
completion time is when the phase began. Jobs and their pods are deleted some time after they
finish (TTL); their log folders may outlive them, so a job is also found by its pod's log
folder, named after it.
"""

from __future__ import annotations

from typing import Any

from analyzer.bundle.timestamps import iso, parse_rfc3339
from analyzer.sources.core import SourceMissing, Sources, dig, source
from analyzer.sources.workloads import _conditions, _require_namespace

#: the upgrade state label -> the upgrade-level phase (job_controller.go's State* names)
UPGRADE_PHASES = {
    "Upgrading": "upgrade image",
    "CreatingUpgradeImage": "upgrade image",
    "PreparingLoggingInfra": "logging",
    "LoggingInfraPrepared": "logging",
    "PreparingRepo": "repo VM",
    "RepoPrepared": "repo VM",
    "PreparingNodes": "image preload",
    "UpgradingSystemServices": "system services",
    "UpgradingNodes": "nodes",
    "Succeeded": "finished",
    "Failed": "failed",
}
#: without the label: the first condition not True names the phase (upgrade.go's conditions)
_PHASE_CONDITIONS = (
    ("ImageReady", "upgrade image"),
    ("RepoReady", "repo VM"),
    ("NodesPrepared", "image preload"),
    ("SystemServicesUpgraded", "system services"),
    ("NodesUpgraded", "nodes"),
)
#: a node's state -> the job types that run in it (secret_controller.go creates them)
_STATE_JOBS = {
    "Images preloading": ("prepare",),
    "Images preloaded": ("prepare",),
    "Pre-draining": ("pre-drain",),
    "Pre-drained": ("pre-drain",),
    "Post-draining": ("post-drain", "single-node-upgrade"),
    "Waiting Reboot": ("post-drain", "single-node-upgrade"),
}
#: states the controller sets when the phase's job completes, not when it starts
_ON_COMPLETION = {"Images preloaded", "Pre-drained", "Waiting Reboot", "Succeeded"}
_JOB_TYPES = ("pre-drain", "post-drain", "single-node-upgrade", "restore-vm")
_LABEL_UPGRADE = "harvesterhci.io/upgrade"
_LABEL_NODE = "harvesterhci.io/node"
_LABEL_JOB_TYPE = "harvesterhci.io/upgradeJobType"


def _labels(item: Any) -> dict[str, Any]:
    labels = dig(item, "metadata", "labels")
    return labels if isinstance(labels, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _kind(src: Sources, key: str) -> list[dict[str, Any]]:
    # Jobs and pods help; a namespace whose objects were not collected only loses them.
    try:
        return src.kind(key)
    except SourceMissing:
        return []


def _phase(state: Any, conditions: dict[str, dict[str, Any]]) -> str | None:
    if isinstance(state, str) and state in UPGRADE_PHASES:
        return UPGRADE_PHASES[state]
    for kind, phase in _PHASE_CONDITIONS:
        if kind in conditions and conditions[kind]["status"] != "True":
            return phase
    return None


_Inventory = tuple[dict[tuple[str, str], list[dict[str, Any]]], dict[str, list[str]]]


def _inventory(src: Sources) -> _Inventory:
    """The pods of jobs by (namespace, job), and the log files by pod folder, of the two
    namespaces where upgrade jobs run."""
    pods: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for namespace in ("harvester-system", "cattle-system"):
        for pod in _kind(src, f"pods@{namespace}"):
            labels = _labels(pod)
            job = labels.get("batch.kubernetes.io/job-name") or labels.get("job-name")
            if isinstance(job, str):
                pods.setdefault((namespace, job), []).append(pod)
    folders: dict[str, list[str]] = {}
    try:
        logs = src.log_files("pod_logs")  # where the layout keeps them: <namespace>/<pod>/...
    except SourceMissing:
        logs = []
    for logical, path in logs:
        parts = logical.split("/")
        if len(parts) >= 3 and parts[0] in ("harvester-system", "cattle-system"):
            folders.setdefault(f"{parts[0]}/{parts[1]}", []).append(path)
    return pods, folders


def _runs(src: Sources, name: str, inventory: _Inventory) -> list[dict[str, Any]]:
    """The node jobs of one upgrade, each {node, type, job, pod, pods, log, started,
    completed, failed}: from Job objects and their pods, then from log folders no pod names."""
    pods, folders = inventory
    runs = []
    for job in _kind(src, "batch/jobs@harvester-system"):
        labels = _labels(job)
        if labels.get(_LABEL_UPGRADE) == name and labels.get(_LABEL_NODE):
            runs.append(
                _run(job, "harvester-system", labels[_LABEL_NODE], labels.get(_LABEL_JOB_TYPE))
            )
    for job in _kind(src, "batch/jobs@cattle-system"):
        labels = _labels(job)
        if labels.get("upgrade.cattle.io/plan") == f"{name}-prepare":
            runs.append(_run(job, "cattle-system", labels.get("upgrade.cattle.io/node"), "prepare"))
    named = set()
    for run in runs:
        own = sorted(
            pods.get((run["namespace"], run["job"]), []),
            key=lambda p: str(
                dig(p, "status", "startTime") or dig(p, "metadata", "creationTimestamp")
            ),
        )
        if own:
            run["pod"] = str(dig(own[-1], "metadata", "name"))
            run["started"] = run["started"] or _time(
                dig(own[-1], "status", "startTime"), "pod start"
            )
        run["pods"] = [str(dig(p, "metadata", "name")) for p in own]
        named.update(f"{run['namespace']}/{p}" for p in run["pods"])
    by_job = {(r["namespace"], r["job"]): r for r in runs}
    for folder in sorted(set(folders) - named):
        found = _from_folder(folder, name)
        known = by_job.get((found["namespace"], found["job"])) if found else None
        if known is not None and found is not None:
            # The Job is there but its pod is gone: the log folder is that pod's.
            known["pod"] = found["pod"]
            known["pods"].append(found["pod"])
        elif found is not None:
            runs.append(found)
    for run in runs:
        logs = sorted(folders.get(f"{run['namespace']}/{run['pod']}", []))
        current = [f for f in logs if f.endswith(".log")]
        run["log"] = (current or logs or [None])[0]
    return runs


def _time(value: Any, what: str) -> tuple[str, str] | None:
    stamp = iso(parse_rfc3339(value if isinstance(value, str) else None))
    return (stamp, what) if stamp else None


def _run(job: dict[str, Any], namespace: str, node: Any, kind: Any) -> dict[str, Any]:
    failed = next(
        (
            c
            for c in _list(dig(job, "status", "conditions"))
            if isinstance(c, dict) and c.get("type") == "Failed" and c.get("status") == "True"
        ),
        None,
    )
    return {
        "namespace": namespace,
        "node": str(node) if node else None,
        "type": kind if isinstance(kind, str) else None,
        "job": str(dig(job, "metadata", "name")),
        "pod": None,
        "started": _time(dig(job, "status", "startTime"), "job start"),
        "completed": _time(dig(job, "status", "completionTime"), "job completion"),
        "failed": _time(failed.get("lastTransitionTime"), "job failure") if failed else None,
    }


def _from_folder(folder: str, name: str) -> dict[str, Any] | None:
    """A job known only by its pod's log folder: <upgrade>-<type>-<node>-<suffix> in
    harvester-system, apply-<upgrade>-prepare-on-<node>-with-<hash>-<suffix> in cattle-system."""
    namespace, pod = folder.split("/", 1)
    rest = node = kind = None
    if namespace == "harvester-system" and pod.startswith(f"{name}-"):
        rest = pod[len(name) + 1 :]
        kind = next((t for t in _JOB_TYPES if rest.startswith(f"{t}-")), None)
        node = rest[len(kind) + 1 :].rpartition("-")[0] if kind else None
    elif namespace == "cattle-system" and pod.startswith(f"apply-{name}-prepare-on-"):
        kind, node = "prepare", pod[len(f"apply-{name}-prepare-on-") :].partition("-with-")[0]
    if not kind or not node:
        return None
    job = pod.rpartition("-")[0]
    return {
        "namespace": namespace,
        "node": node,
        "type": kind,
        "job": job,
        "pod": pod,
        "pods": [pod],
        "started": None,
        "completed": None,
        "failed": None,
    }


def _phase_run(runs: list[dict[str, Any]], state: Any) -> dict[str, Any] | None:
    """The job of the node's phase: one of the state's types, else the last one started."""
    wanted = _STATE_JOBS.get(state if isinstance(state, str) else "")
    chosen = [r for r in runs if wanted is None or r["type"] in wanted]
    chosen.sort(key=lambda r: ((r["started"] or ("",))[0], r["job"]))
    return chosen[-1] if chosen else None


def _since(run: dict[str, Any] | None, state: Any) -> tuple[str, str] | tuple[None, None]:
    if run is None:
        return None, None
    if state == "Failed" and run["failed"]:
        return run["failed"]
    if state in _ON_COMPLETION and run["completed"]:
        return run["completed"]
    if state not in _ON_COMPLETION and run["started"]:
        return run["started"]
    return None, None


@source(
    "upgrades",
    "Harvester Upgrade objects (any version): name, version, previous_version, state "
    "(the upgradeState label), phase (upgrade image, logging, repo VM, image preload, "
    "system services, nodes, finished, failed), latest, finished (Succeeded, or not the "
    "latest while another is), created, nodes ({node: {state, reason, message}}), "
    "conditions (by type), pods (every pod of its node jobs, from objects or log folders)",
)
def build_upgrades(src: Sources) -> list[dict[str, Any]]:
    _require_namespace(src, "harvester-system")
    upgrades = src.kind("harvesterhci.io/upgrades")
    # An upgrade not labelled latest is finished only where another one is: releases that
    # label none (or a rule test's bare object) leave each upgrade as it stands.
    labelled = any(_is_latest(u) for u in upgrades)
    inventory = _inventory(src)
    records = []
    for upgrade in upgrades:
        labels = _labels(upgrade)
        statuses = dig(upgrade, "status", "nodeStatuses")
        nodes = {
            str(node): {
                "state": dig(status, "state"),
                "reason": dig(status, "reason"),
                "message": dig(status, "message"),
            }
            for node, status in (statuses if isinstance(statuses, dict) else {}).items()
        }
        name = dig(upgrade, "metadata", "name")
        state = labels.get("harvesterhci.io/upgradeState")
        conditions = _conditions(dig(upgrade, "status", "conditions"))
        runs = _runs(src, str(name), inventory)
        record = {
            "name": name,
            "version": dig(upgrade, "spec", "version"),
            "previous_version": dig(upgrade, "status", "previousVersion"),
            "state": state,
            "phase": _phase(state, conditions),
            "latest": _is_latest(upgrade),
            "finished": state == "Succeeded" or (labelled and not _is_latest(upgrade)),
            "created": dig(upgrade, "metadata", "creationTimestamp"),
            "nodes": nodes,
            "conditions": conditions,
            "pods": sorted({p for run in runs for p in run["pods"]}),
        }
        where = src.cite(upgrade)
        excerpt = (
            f"Upgrade {record['name']} to {record['version']}: state {record['state']}, "
            + ", ".join(f"{n} {s['state']}" for n, s in sorted(nodes.items()))
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


def _is_latest(upgrade: dict[str, Any]) -> bool:
    return _labels(upgrade).get("harvesterhci.io/latestUpgrade") == "true"


@source(
    "upgrade_nodes",
    "one record per node of each Upgrade: upgrade, node, state (Images preloading, Images "
    "preloaded, Node-upgrade paused, Pre-draining, Pre-drained, Post-draining, Waiting "
    "Reboot, Succeeded, Failed), reason, message, since (when the node entered the state) "
    "and since_from (job start, pod start, job completion or job failure: the state has no "
    "time of its own), job, job_type (prepare, pre-drain, post-drain, single-node-upgrade), "
    "pod, log (that pod's log file), upgrade_state, upgrade_phase, latest, finished",
)
def build_upgrade_nodes(src: Sources) -> list[dict[str, Any]]:
    upgrades = src.get("upgrades")
    objects = {str(dig(u, "metadata", "name")): u for u in src.kind("harvesterhci.io/upgrades")}
    inventory = _inventory(src)
    records = []
    for upgrade in sorted(upgrades, key=lambda u: (str(u["created"]), str(u["name"]))):
        runs = _runs(src, str(upgrade["name"]), inventory)
        names = set(upgrade["nodes"]) | {r["node"] for r in runs if r["node"]}
        for node in sorted(names):
            status = upgrade["nodes"].get(node) or {}
            state = status.get("state")
            run = _phase_run([r for r in runs if r["node"] == node], state)
            since, since_from = _since(run, state)
            record = {
                "upgrade": upgrade["name"],
                "node": node,
                "state": state,
                "reason": status.get("reason"),
                "message": status.get("message"),
                "since": since,
                "since_from": since_from,
                "job": run["job"] if run else None,
                "job_type": run["type"] if run else None,
                "pod": run["pod"] if run else None,
                "log": run["log"] if run else None,
                "upgrade_state": upgrade["state"],
                "upgrade_phase": upgrade["phase"],
                "latest": upgrade["latest"],
                "finished": upgrade["finished"],
            }
            where = src.cite(objects.get(str(upgrade["name"]))) or src.cite(upgrade)
            # The node's own state line where its name can be a path segment.
            if node in upgrade["nodes"] and not any(c in node for c in ".[]="):
                where = src.cite_field(where, f"status.nodeStatuses.{node}.state") or where
            assert where is not None
            excerpt = (
                f"Upgrade {upgrade['name']} node {node}: {state or 'no state'}"
                + (f" since {since} ({since_from})" if since else "")
                + (f", job {record['job']}" if record["job"] else "")
            )
            records.append(src.remember(record, where.path, where.line, excerpt))
    return records
