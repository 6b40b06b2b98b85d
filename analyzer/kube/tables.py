"""The columns `kubectl get` shows, served as ``meta.k8s.io/v1`` Tables, and printed as text.

The API server builds these columns; kubectl prints whatever Table it receives. A custom
resource whose CRD the bundle holds gets the CRD's printer columns, the common kinds the
server's own columns (priority 1 ones only with ``-o wide``), every other kind Name and Age,
as a CRD without printer columns would. Ages count to when the bundle was made,
not to now: the cluster is seen as it was, and the same bundle always prints the same.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from analyzer.bundle.timestamps import parse_rfc3339
from analyzer.kube.catalog import Resource, meta, text
from analyzer.kube.crds import PrinterColumn, json_path
from analyzer.kube.select import field_value

Object = dict[str, Any]


class Stamp(str):
    """A cell's time, shown as the age it has when the bundle was made."""


#: (column name, priority: 0 always, 1 only with -o wide, the cell of an object)
Column = tuple[str, int, Callable[[Object], Any]]


def human_duration(seconds: float) -> str:
    """A duration as kubectl prints ages (k8s.io/apimachinery duration.HumanDuration)."""
    secs = int(seconds)
    if secs < 0:
        return "<invalid>"
    minutes, hours, days = secs // 60, secs // 3600, secs // 86400
    if secs < 120:
        return f"{secs}s"
    if minutes < 10:
        return f"{minutes}m{secs % 60}s" if secs % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def age(stamp: str, now: datetime) -> str:
    when = parse_rfc3339(stamp) if stamp else None
    return human_duration((now - when).total_seconds()) if when else "<unknown>"


def _conditions(obj: Object) -> dict[str, str]:
    status = obj.get("status")
    found = status.get("conditions") if isinstance(status, dict) else None
    return {
        text(c.get("type")): text(c.get("status"))
        for c in (found if isinstance(found, list) else [])
        if isinstance(c, dict)
    }


def _list(obj: Object, *path: str) -> list[Object]:
    value: Any = obj
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _pod_status(pod: Object) -> str:
    # The reason kubectl shows: a waiting or terminated container's, else the phase.
    reason = field_value(pod, "status.reason") or field_value(pod, "status.phase")
    for state in _list(pod, "status", "containerStatuses"):
        for kind in ("waiting", "terminated"):
            detail = field_value(state, f"state.{kind}.reason")
            if detail and detail != "Completed":
                reason = detail
    if meta(pod, "deletionTimestamp"):
        reason = "Terminating"
    return reason


def _pod_ready(pod: Object) -> str:
    statuses = _list(pod, "status", "containerStatuses")
    ready = sum(1 for s in statuses if s.get("ready") is True)
    return f"{ready}/{len(_list(pod, 'spec', 'containers')) or len(statuses)}"


def _restarts(pod: Object) -> int:
    counts = [s.get("restartCount") for s in _list(pod, "status", "containerStatuses")]
    return sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))


def _node_status(node: Object) -> str:
    ready = _conditions(node).get("Ready")
    shown = {"True": "Ready", "False": "NotReady"}.get(ready or "", "Unknown")
    return shown + (
        ",SchedulingDisabled" if field_value(node, "spec.unschedulable") == "true" else ""
    )


def _roles(node: Object) -> str:
    metadata = node.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    prefix = "node-role.kubernetes.io/"
    keys = [str(k) for k in labels] if isinstance(labels, dict) else []
    return ",".join(sorted(k[len(prefix) :] for k in keys if k.startswith(prefix))) or "<none>"


def _address(node: Object, kind: str) -> str:
    found = [a for a in _list(node, "status", "addresses") if a.get("type") == kind]
    return text(found[0].get("address")) if found else "<none>"


def _ports(svc: Object) -> str:
    ports = _list(svc, "spec", "ports")
    shown = [f"{text(p.get('port'))}/{text(p.get('protocol')) or 'TCP'}" for p in ports]
    return ",".join(shown) or "<none>"


def _seen(event: Object) -> str:
    """When an event last happened: the API server's order of its time fields."""
    for path in ("lastTimestamp", "eventTime", "firstTimestamp", "metadata.creationTimestamp"):
        if found := field_value(event, path):
            return found
    return ""


def _involved(event: Object) -> str:
    kind = field_value(event, "involvedObject.kind").lower()
    return f"{kind}/{field_value(event, 'involvedObject.name')}"


_AGE: Column = ("Age", 0, lambda o: Stamp(meta(o, "creationTimestamp")))


def _field(path: str, empty: str = "") -> Callable[[Object], str]:
    return lambda obj: field_value(obj, path) or empty


#: Kind -> its columns after Name (Age is placed where the API server places it)
COLUMNS: dict[tuple[str, str], list[Column]] = {
    ("", "pods"): [
        ("Ready", 0, _pod_ready),
        ("Status", 0, _pod_status),
        ("Restarts", 0, _restarts),
        _AGE,
        ("IP", 1, _field("status.podIP", "<none>")),
        ("Node", 1, _field("spec.nodeName", "<none>")),
        ("Nominated Node", 1, _field("status.nominatedNodeName", "<none>")),
        ("Readiness Gates", 1, lambda o: "<none>"),
    ],
    ("", "nodes"): [
        ("Status", 0, _node_status),
        ("Roles", 0, _roles),
        _AGE,
        ("Version", 0, _field("status.nodeInfo.kubeletVersion")),
        ("Internal-IP", 1, lambda o: _address(o, "InternalIP")),
        ("External-IP", 1, lambda o: _address(o, "ExternalIP")),
        ("OS-Image", 1, _field("status.nodeInfo.osImage")),
        ("Kernel-Version", 1, _field("status.nodeInfo.kernelVersion")),
        ("Container-Runtime", 1, _field("status.nodeInfo.containerRuntimeVersion")),
    ],
    ("", "namespaces"): [("Status", 0, _field("status.phase")), _AGE],
    ("", "services"): [
        ("Type", 0, _field("spec.type")),
        ("Cluster-IP", 0, _field("spec.clusterIP", "<none>")),
        ("External-IP", 0, lambda o: "<none>"),
        ("Port(s)", 0, _ports),
        _AGE,
    ],
    ("", "events"): [
        ("Last Seen", 0, lambda o: Stamp(_seen(o))),
        ("Type", 0, _field("type")),
        ("Reason", 0, _field("reason")),
        ("Object", 0, _involved),
        ("Message", 0, _field("message")),
    ],
    ("kubevirt.io", "virtualmachineinstances"): [
        _AGE,
        ("Phase", 0, _field("status.phase")),
        ("IP", 0, lambda o: text((_list(o, "status", "interfaces") or [{}])[0].get("ipAddress"))),
        ("NodeName", 0, _field("status.nodeName")),
        ("Ready", 0, lambda o: _conditions(o).get("Ready", "")),
    ],
    ("kubevirt.io", "virtualmachines"): [
        _AGE,
        ("Status", 0, _field("status.printableStatus")),
        ("Ready", 0, lambda o: _conditions(o).get("Ready", "")),
    ],
    ("longhorn.io", "volumes"): [
        ("State", 0, _field("status.state")),
        ("Robustness", 0, _field("status.robustness")),
        ("Size", 0, _field("spec.size")),
        ("Node", 0, _field("status.currentNodeID")),
        _AGE,
    ],
    ("apps", "deployments"): [
        (
            "Ready",
            0,
            lambda o: (
                f"{field_value(o, 'status.readyReplicas') or 0}/"
                f"{field_value(o, 'spec.replicas') or 0}"
            ),
        ),
        ("Up-to-date", 0, lambda o: field_value(o, "status.updatedReplicas") or "0"),
        ("Available", 0, lambda o: field_value(o, "status.availableReplicas") or "0"),
        _AGE,
    ],
}


def columns(res: Resource) -> list[Column]:
    # An event's name is a generated one: the API server shows it with -o wide only.
    name_priority = 1 if (res.group, res.plural) == ("", "events") else 0
    # The bundle's CRD says what its API server showed; the table here is for bundles without.
    own = [_printer(c) for c in res.printer] or COLUMNS.get((res.group, res.plural)) or [_AGE]
    return [("Name", name_priority, lambda o: meta(o, "name")), *own]


def _printer(column: PrinterColumn) -> Column:
    """A CRD's printer column: its JSONPath's first value; a date as an age."""
    name, priority, path, kind = column

    def cell(obj: Object) -> Any:
        found = json_path(obj, path)
        value = found[0] if found else None
        if kind == "date":
            return Stamp(text(value))
        return (
            value
            if kind in ("integer", "number") and isinstance(value, (int, float))
            else text(value)
        )

    return (name, priority, cell)


def _cells(res: Resource, obj: Object, now: datetime) -> list[Any]:
    cells = [cell(obj) for _, _, cell in columns(res)]
    return [age(c, now) if isinstance(c, Stamp) else c for c in cells]


def table(res: Resource, objects: list[Object], now: datetime, include: str) -> Object:
    """A ``meta.k8s.io/v1`` Table; ``include`` is the request's includeObject (None,
    Metadata, Object): kubectl reads the namespace of ``-A`` rows from the metadata."""
    rows = []
    for obj in objects:
        row: Object = {"cells": _cells(res, obj, now)}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = {
                "kind": "PartialObjectMetadata",
                "apiVersion": "meta.k8s.io/v1",
                "metadata": obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {},
            }
        rows.append(row)
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": ""},
        "columnDefinitions": [
            {
                "name": name,
                "type": "integer" if name == "Restarts" else "string",
                "format": "name" if name == "Name" else "",
                "description": "",
                "priority": priority,
            }
            for name, priority, _ in columns(res)
        ],
        "rows": rows,
    }


def text_table(
    res: Resource, objects: list[Object], now: datetime, *, wide: bool, namespaces: bool
) -> str:
    """The table as kubectl prints it: upper-case headers, columns three spaces apart."""
    picked = [i for i, (_, prio, _) in enumerate(columns(res)) if wide or prio == 0]
    header = [columns(res)[i][0].upper() for i in picked]
    lines = [(["NAMESPACE"] if namespaces else []) + header]
    for obj in objects:
        cells = _cells(res, obj, now)
        lines.append(
            ([meta(obj, "namespace")] if namespaces else []) + [str(cells[i]) for i in picked]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "   ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )
