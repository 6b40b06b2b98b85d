"""The numbers of the fleet report, from the two result tables: how often each root cause
occurs (in how many bundles, which share), by Harvester version and by month of bundle
creation, which findings come together, and which bundles were slow or failed.

Shares are of the bundles analyzed (status ok): a bundle that could not be read says nothing
about how often a failure occurs.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from analyzer.versions import parse_version

#: rows shown in the tables of co-occurrence, slowest and failed bundles
TOP = 15


@dataclass(frozen=True)
class Prevalence:
    rule_id: str
    severity: str
    bundles: int
    share: float  # of the bundles analyzed


@dataclass(frozen=True)
class FleetSummary:
    statuses: dict[str, int]
    analyzed: int
    prevalence: tuple[Prevalence, ...]
    #: rule id -> {version or month: bundles where it is a root cause}
    by_version: dict[str, dict[str, int]]
    by_month: dict[str, dict[str, int]]
    #: bundles analyzed per version / month (the denominators)
    versions: dict[str, int]
    months: dict[str, int]
    co_occurring: tuple[tuple[str, str, int], ...]
    slowest: tuple[tuple[str, float, str], ...]
    failed: tuple[tuple[str, str, str], ...]
    rule_packs: tuple[str, ...]


def summarize(bundles: list[dict[str, Any]], findings: list[dict[str, Any]]) -> FleetSummary:
    """The fleet report's figures; deterministic for the same rows in any order."""
    statuses = Counter(row["status"] for row in bundles)
    ok = {row["sha256"]: row for row in bundles if row["status"] == "ok"}
    roots: dict[str, set[str]] = {}
    fired: dict[str, set[str]] = {}
    severity: dict[str, str] = {}
    for row in findings:
        if not row["fired"] or row["bundle_sha256"] not in ok:
            continue
        fired.setdefault(row["bundle_sha256"], set()).add(row["rule_id"])
        severity[row["rule_id"]] = row["severity"]
        if row["role"] == "root cause":
            roots.setdefault(row["rule_id"], set()).add(row["bundle_sha256"])
    analyzed = len(ok)
    prevalence = sorted(
        (
            Prevalence(rule_id, severity[rule_id], len(shas), len(shas) / analyzed)
            for rule_id, shas in roots.items()
        ),
        key=lambda p: (-p.bundles, p.rule_id),
    )
    version = {sha: row["harvester_version"] or "unknown" for sha, row in ok.items()}
    month = {sha: (row["created_at"] or "unknown")[:7] for sha, row in ok.items()}
    pairs: Counter[tuple[str, str]] = Counter()
    for rules in fired.values():
        pairs.update(combinations(sorted(rules), 2))
    slowest = sorted(bundles, key=lambda r: (-(r["seconds"] or 0.0), r["path"]))[:TOP]
    failed = sorted((r["path"], r["status"], r["error"]) for r in bundles if r["status"] != "ok")
    return FleetSummary(
        statuses={s: statuses[s] for s in ("ok", "error", "timeout", "crashed")},
        analyzed=analyzed,
        prevalence=tuple(prevalence),
        by_version=_split(roots, version),
        by_month=_split(roots, month),
        versions=dict(
            sorted(Counter(version.values()).items(), key=lambda i: _version_order(i[0]))
        ),
        months=dict(sorted(Counter(month.values()).items())),
        co_occurring=tuple(
            (a, b, n) for (a, b), n in sorted(pairs.items(), key=lambda i: (-i[1], i[0]))[:TOP]
        ),
        slowest=tuple((r["path"], r["seconds"] or 0.0, r["status"]) for r in slowest),
        failed=tuple(failed[: TOP * 10]),
        rule_packs=tuple(sorted({r["rule_pack"] for r in bundles if r["rule_pack"]})),
    )


def _version_order(text: str) -> tuple[bool, object, str]:
    # Releases in release order (v1.5.0-rc3 before v1.5.0); "unknown" and dev builds first.
    parsed = parse_version(text)
    return (parsed is not None, parsed or 0, text)


def _split(roots: dict[str, set[str]], key: dict[str, str]) -> dict[str, dict[str, int]]:
    return {
        rule_id: dict(sorted(Counter(key[sha] for sha in shas).items()))
        for rule_id, shas in sorted(roots.items())
    }
