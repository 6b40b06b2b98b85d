"""What `diff` compares besides findings: the facts of one bundle, read through its sources.

Objects are reduced to digests (spec and status apart, each top-level spec field too) so two
large bundles are compared without keeping both sets of objects in memory. What changes on
every collection without meaning anything is left out: ``managedFields`` and
``resourceVersion`` (metadata is not compared at all, but for the UID, whose change means the
object was recreated), Events and Leases (they are renewed every few seconds), and the
suffixes Kubernetes generates for a controller's pods and ReplicaSets (``virt-launcher-vm1-x7k2p``
is ``virt-launcher-vm1-*``: a restarted pod is the same pod, not one removed and one added).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from analyzer.report import Report
from analyzer.sources import SourceMissing, Sources
from analyzer.sources.core import dig

#: kinds whose objects change on every collection: their changes would bury the others
IGNORED_KINDS = frozenset({"events", "events.k8s.io/events", "coordination.k8s.io/leases"})
#: the settings' kinds, and how their names are shown; objects hold ``value`` and ``default``
SETTINGS_KINDS = {"harvesterhci.io/settings": "", "management.cattle.io/settings": "rancher/"}
#: what an object holds apart from its spec and status (Secrets, ConfigMaps, Settings)
_NOT_SPEC = frozenset({"apiVersion", "kind", "metadata", "status"})


def _digest(value: Any) -> str:
    try:
        text = json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)
    except TypeError:  # keys of mixed types ({1: a, b: c}) cannot be sorted: as text
        text = json.dumps(_text_keys(value), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _text_keys(value: Any) -> Any:
    # The bundle's YAML reader bounds the nesting, so this recursion is bounded too.
    if isinstance(value, dict):
        return {str(k): _text_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_text_keys(v) for v in value]
    return value


def _spec(item: dict[str, Any]) -> dict[str, Any]:
    spec = item.get("spec")
    if isinstance(spec, dict):
        return spec
    return {k: v for k, v in item.items() if k not in _NOT_SPEC and isinstance(k, str)}


def stable_name(item: dict[str, Any]) -> tuple[str, bool]:
    """The object's name with a generated suffix replaced by ``*``, and whether it had one."""
    name = str(dig(item, "metadata", "name") or "?")
    generate = dig(item, "metadata", "generateName")
    template_hash = dig(item, "metadata", "labels", "pod-template-hash")
    base = None
    if isinstance(generate, str) and generate and name.startswith(generate):
        base = generate.rstrip("-")
    elif isinstance(template_hash, str) and name.endswith(f"-{template_hash}"):
        base = name[: -len(template_hash) - 1]  # a Deployment's ReplicaSet
    if base is None:
        return name, False
    if isinstance(template_hash, str):  # a Deployment's pod: the ReplicaSet's hash too
        base = base.removesuffix(f"-{template_hash}")
    return f"{base}-*", True


def _object_facts(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per object (``namespace/name``), its UID and digests; controller replicas that share a
    stable name are told apart by their order (``name-*#2``)."""
    keyed: list[tuple[str, str, dict[str, Any], bool]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        stable, generated = stable_name(item)
        namespace = dig(item, "metadata", "namespace")
        key = f"{namespace}/{stable}" if namespace else stable
        keyed.append((key, str(dig(item, "metadata", "name")), item, generated))
    facts: dict[str, dict[str, Any]] = {}
    for key, _, item, generated in sorted(keyed, key=lambda k: (k[0], k[1])):
        unique, count = key, 1
        while unique in facts:
            count += 1
            unique = f"{key}#{count}"
        spec = _spec(item)
        facts[unique] = {
            "uid": None if generated else dig(item, "metadata", "uid"),
            "spec": _digest(spec),
            "fields": {str(k): _digest(v) for k, v in spec.items()},
            "status": _digest(item.get("status")),
        }
    return facts


def _settings(items: list[dict[str, Any]], prefix: str) -> dict[str, str | None]:
    values = {}
    for item in items:
        if isinstance(item, dict):
            value = item.get("value") or item.get("default")
            name = f"{prefix}{dig(item, 'metadata', 'name')}"
            values[name] = None if value is None else str(value)
    return values


def _restarts(src: Sources, pods: list[dict[str, Any]]) -> dict[str, int]:
    """Restart count per ``namespace/pod/container``, pods by their stable name."""
    stable = {
        (dig(p, "metadata", "namespace"), dig(p, "metadata", "name")): stable_name(p)[0]
        for p in pods
        if isinstance(p, dict)
    }
    try:
        containers = src.get("containers")
    except SourceMissing:
        return {}
    counts: dict[str, int] = {}
    for c in containers:
        pod = stable.get((c["namespace"], c["pod"]), c["pod"])
        restarts = c["restarts"] if isinstance(c["restarts"], int) else 0
        key = f"{c['namespace']}/{pod}/{c['container']}"
        counts[key] = max(counts.get(key, 0), restarts)
    return counts


def bundle_facts(src: Sources) -> dict[str, Any]:
    """The facts of one bundle that `diff` compares; kinds that cannot be read are listed."""
    try:
        metadata = src.get("metadata")
    except SourceMissing:
        metadata = {}
    objects: dict[str, dict[str, dict[str, Any]]] = {}
    unreadable: list[str] = []
    settings: dict[str, str | None] = {}
    pods: list[dict[str, Any]] = []
    for kind in src.object_kinds():
        if kind in IGNORED_KINDS:
            continue
        try:
            items = src.kind(kind)
        except SourceMissing as exc:
            unreadable.append(f"{kind}: {exc}")
            continue
        objects[kind] = _object_facts(items)
        if kind in SETTINGS_KINDS:
            settings.update(_settings(items, SETTINGS_KINDS[kind]))
        elif kind == "pods":
            pods = items
    uuid = metadata.get("projectnamespaceuuid")
    return {
        "namespace_uuid": None if uuid is None else str(uuid),
        "objects": objects,
        "unreadable": unreadable,
        "settings": settings,
        "restarts": _restarts(src, pods),
    }


def log_counts(report: Report) -> dict[str, int]:
    """Matched log lines per rule that cites log lines: the error signatures the rules know,
    by how often they occur (evidence_total counts every match, not only those shown)."""
    return {
        f.rule_id: f.evidence_total
        for f in report.findings
        if f.fired and any(e.span is not None for e in f.evidence)
    }
