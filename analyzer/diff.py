"""`diff OLD NEW`: what changed between two bundles of a cluster.

Both bundles are analyzed with the same rule book; their findings are matched by rule id (one
finding per rule) and by the objects their evidence cites: **new**, **resolved**,
**persisting**, **changed** (severity, message or the objects concerned). A rule that could
not be evaluated in one of the bundles (skipped, or broken) is **not comparable**: its finding
is never called resolved because the second bundle lacked the input. On top of the findings:
the root causes before and after, versions (cluster and per node), nodes, settings, object
changes by kind, restart counts that grew, and the log error signatures the rules count.

The result is a plain JSON-ready document (docs/report-schema.md, "The diff document"); every
string taken from a bundle is redacted, and the renderers escape it for their format.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from analyzer import __version__
from analyzer.difffacts import bundle_facts, log_counts
from analyzer.engine import analyze
from analyzer.report import VERSIONED, Finding, Report, run_time
from analyzer.rulebook import RuleBook
from analyzer.secrets import redact
from analyzer.sources import open_sources

DIFF_SCHEMA_VERSION = "1.0"
FINDING_SETS = ("new", "resolved", "persisting", "changed", "not_comparable")
_PRODUCTS = ("harvester", "kubernetes", "rancher")


def _side(path: Path | str | Sequence[Path | str], book: RuleBook, now: datetime | None) -> tuple:
    with open_sources(path) as sources:
        # The engine builds its own sources over the open bundle; these give the facts.
        report = analyze(sources.bundle, book, now=now, redact=False)
        facts = bundle_facts(sources)
    return report, facts


def diff_bundles(
    old: Path | str | Sequence[Path | str],
    new: Path | str | Sequence[Path | str],
    book: RuleBook,
    *,
    now: datetime | None = None,
    redact_secrets: bool = True,
) -> dict[str, Any]:
    """The diff document of two bundles (each a path, or the parts of a split bundle)."""
    before, old_facts = _side(old, book, now)
    after, new_facts = _side(new, book, now)
    document = compare(before, old_facts, after, new_facts, run_time(now))
    return _redacted(document) if redact_secrets else document


def _identity(report: Report, facts: dict[str, Any]) -> dict[str, Any]:
    info = report.bundle
    return {
        "path": info.name,
        "sha256": info.sha256,
        "created_at": info.created_at,
        "namespace_uuid": facts["namespace_uuid"],
        **{f"{p}_version": getattr(info, f"{p}_version") for p in _PRODUCTS},
        "nodes": len(info.nodes),
        "notes": list(info.notes) + [f"not compared: {u}" for u in facts["unreadable"]],
    }


def _warnings(before: Report, old: dict[str, Any], after: Report, new: dict[str, Any]) -> list:
    warnings = []
    uuids = (old["namespace_uuid"], new["namespace_uuid"])
    if all(uuids) and uuids[0] != uuids[1]:
        warnings.append(
            f"the bundles come from different clusters (namespace UUID {uuids[0]} and {uuids[1]})"
        )
    nodes = ({n.name for n in before.bundle.nodes}, {n.name for n in after.bundle.nodes})
    if all(nodes) and not nodes[0] & nodes[1]:
        warnings.append("the bundles share no node: they may come from different clusters")
    created = (before.bundle.created_at, after.bundle.created_at)
    if all(created) and str(created[1]) < str(created[0]):
        warnings.append(f"NEW was made before OLD ({created[1]} < {created[0]}): swapped?")
    return warnings


def _objects_cited(finding: Finding) -> set[str]:
    # Object evidence (no matched span): "Node hv-node3: Ready=..." names the object first.
    return {e.excerpt.split(":")[0] for e in finding.evidence if e.span is None and e.excerpt}


def _unevaluated(finding: Finding) -> bool:
    """The rule could not tell: it broke, lacked input or was disabled. A rule that does not
    apply to the versions, or whose prerequisite did not fire, did judge: no finding."""
    if finding.status == "error":
        return True
    return finding.status == "skip" and finding.skip_kind not in ("not-applicable", "dependency")


def _entry(f: Finding) -> dict[str, Any]:
    return {"rule_id": f.rule_id, "title": f.title, "severity": f.severity, "message": f.message}


def _findings(before: Report, after: Report) -> dict[str, list[dict[str, Any]]]:
    sets: dict[str, list[dict[str, Any]]] = {name: [] for name in FINDING_SETS}
    old = {f.rule_id: f for f in before.findings}
    new = {f.rule_id: f for f in after.findings}
    for rule_id in sorted(old.keys() | new.keys()):
        a, b = old.get(rule_id), new.get(rule_id)
        fired = (a is not None and a.fired, b is not None and b.fired)
        if not any(fired):
            continue
        unknown = [f for f in (a, b) if f is None or _unevaluated(f)]
        if unknown:
            sets["not_comparable"].append(
                {
                    "rule_id": rule_id,
                    "title": (b or a).title,  # type: ignore[union-attr]
                    "old_status": a.status if a else "absent",
                    "new_status": b.status if b else "absent",
                    "reason": unknown[0].message if unknown[0] else "not in this rule pack",
                }
            )
        elif fired == (False, True):
            sets["new"].append(_entry(b))  # type: ignore[arg-type]
        elif fired == (True, False):
            sets["resolved"].append(_entry(a))  # type: ignore[arg-type]
        else:
            assert a is not None and b is not None
            gone, came = (
                _objects_cited(a) - _objects_cited(b),
                _objects_cited(b) - _objects_cited(a),
            )
            if (a.severity, a.message) == (b.severity, b.message) and not gone | came:
                sets["persisting"].append(_entry(b))
                continue
            sets["changed"].append(
                {
                    "rule_id": rule_id,
                    "title": b.title,
                    "old": {"severity": a.severity, "message": a.message},
                    "new": {"severity": b.severity, "message": b.message},
                    "objects_gone": sorted(gone),
                    "objects_new": sorted(came),
                }
            )
    return sets


def _pairs(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, Any]]:
    """``{name, old, new}`` for every key whose value differs (None: absent)."""
    return [
        {"name": k, "old": old.get(k), "new": new.get(k)}
        for k in sorted(old.keys() | new.keys())
        if old.get(k) != new.get(k)
    ]


def _nodes(before: Report, after: Report) -> dict[str, Any]:
    old = {n.name: n for n in before.bundle.nodes}
    new = {n.name: n for n in after.bundle.nodes}
    both = sorted(old.keys() & new.keys())
    versions = [
        {"node": name, "product": product, "old": old[name].version(product), "new": v}
        for name in both
        for product in VERSIONED
        if (v := new[name].version(product)) != old[name].version(product)
    ]
    return {
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "readiness": [
            {"node": name, "old": old[name].ready, "new": new[name].ready}
            for name in both
            if old[name].ready != new[name].ready
        ],
        "versions": versions,
    }


def _kind_changes(kind: str, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    both = sorted(old.keys() & new.keys())
    recreated = [
        k for k in both if old[k]["uid"] and new[k]["uid"] and old[k]["uid"] != new[k]["uid"]
    ]
    spec = [
        {
            "name": k,
            "fields": sorted(
                f
                for f in old[k]["fields"].keys() | new[k]["fields"].keys()
                if old[k]["fields"].get(f) != new[k]["fields"].get(f)
            ),
        }
        for k in both
        if old[k]["spec"] != new[k]["spec"]
    ]
    changes = {
        "kind": kind,
        "added": sorted(new.keys() - old.keys()),
        "removed": sorted(old.keys() - new.keys()),
        "recreated": recreated,
        "spec_changed": spec,
        "status_changed": [k for k in both if old[k]["status"] != new[k]["status"]],
    }
    return changes if any(changes[key] for key in changes if key != "kind") else None


def compare(
    before: Report, old: dict[str, Any], after: Report, new: dict[str, Any], generated_at: str
) -> dict[str, Any]:
    """The diff document of two analyzed bundles and their facts (``difffacts``)."""
    kinds = sorted(old["objects"].keys() | new["objects"].keys())
    objects = [
        change
        for kind in kinds
        if (
            change := _kind_changes(
                kind, old["objects"].get(kind, {}), new["objects"].get(kind, {})
            )
        )
    ]
    restarts = [
        {"container": key, "old": old["restarts"].get(key, 0), "new": count}
        for key, count in sorted(new["restarts"].items())
        if count > old["restarts"].get(key, 0)
    ]
    findings = _findings(before, after)
    old_roots = [rc.rule_id for rc in before.root_causes]
    new_roots = [rc.rule_id for rc in after.root_causes]
    document = {
        "schema_version": DIFF_SCHEMA_VERSION,
        "tool": {"name": "bundle-analyzer", "version": __version__},
        "generated_at": generated_at,
        "rule_pack": {"name": after.rule_pack[0], "sha256": after.rule_pack[1]},
        "old": _identity(before, old),
        "new": _identity(after, new),
        "warnings": _warnings(before, old, after, new),
        "root_causes": {"old": old_roots, "new": new_roots, "changed": old_roots != new_roots},
        "findings": findings,
        "versions": [
            {"product": p, "old": _shown(before, p), "new": v}
            for p in _PRODUCTS
            if (v := _shown(after, p)) != _shown(before, p)
        ],
        "nodes": _nodes(before, after),
        "settings": _pairs(old["settings"], new["settings"]),
        "objects": objects,
        "restarts": restarts,
        "log_signatures": _pairs(log_counts(before), log_counts(after)),
    }
    document["unchanged"] = not any(
        [
            *(findings[s] for s in FINDING_SETS if s != "persisting"),
            document["versions"],
            *document["nodes"].values(),
            document["settings"],
            objects,
            restarts,
            document["log_signatures"],
            document["root_causes"]["changed"],
        ]
    )
    return document


def _shown(report: Report, product: str) -> str:
    if product in VERSIONED:
        return report.bundle.shown_version(product)
    return report.bundle.rancher_version or "unknown"


def _redacted(document: dict[str, Any]) -> dict[str, Any]:
    """Every string of the document through the secret finder. A setting's value is read
    with its name as the key (``name: value``), so that a password setting is hidden even
    when the value alone looks like nothing."""
    for setting in document["settings"]:
        for side in ("old", "new"):
            if setting[side] is not None:
                line = redact(f"{setting['name']}: {setting[side]}")[0]
                setting[side] = line.split(": ", 1)[1] if ": " in line else line
    return _strings(document)


def _strings(value: Any) -> Any:
    """Every string of the document through the secret finder (names, values, messages)."""
    if isinstance(value, str):
        return redact(value)[0]
    if isinstance(value, list):
        return [_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _strings(v) for k, v in value.items()}
    return value
