"""Report assembly: root causes, what to collect next, upgrade advice, the timeline.

The engine evaluates the rules; this module turns their outcomes into a ``Report``: fired
findings explained by other fired findings are folded under them, the rest are the root
causes (most severe first, then those that explain the most).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from analyzer._version import __version__
from analyzer.fold import explained_counts, fold
from analyzer.report import (
    CollectHint,
    Evidence,
    Finding,
    Report,
    RootCause,
    TimelineEntry,
    UpgradeAdvice,
    UpgradeNode,
    UpgradeProgress,
    run_time,
    severity_rank,
)
from analyzer.rulebook import RuleBook
from analyzer.sources import SourceMissing, Sources
from analyzer.sources.core import scalar_text
from analyzer.versions import compare_versions, parse_version

#: timeline entries kept: the latest ones, which lead up to the bundle
MAX_TIMELINE = 200


def _versions(sources: Sources) -> dict[str, Any]:
    try:
        return sources.get("versions")
    except SourceMissing:  # could not be built (noted): no version is known
        return {}


def assemble(
    sources: Sources,
    book: RuleBook,
    outcomes: dict[str, Finding],
    cited: list[tuple[Evidence, str]],
    now: datetime | None = None,
) -> Report:
    """The report of one analysis: each rule's outcome, folded into root causes, with what
    to collect next, the upgrade that fixes the most, and the timeline."""
    fired = {rid for rid, f in outcomes.items() if f.fired}
    graph = book.explains_graph()
    # Ranking needs how much each finding explains: counted first, then every folded list
    # (and the roots) is ordered by the full rank.
    rank = functools.partial(_rank, book, explained_counts(graph, fired))
    explains, explained_by = fold(graph, fired, rank)
    findings = []
    for rule_id, finding in outcomes.items():
        if rule_id in fired:
            finding = replace(
                finding, explains=explains[rule_id], explained_by=explained_by[rule_id]
            )
        findings.append(finding)
    findings.sort(key=Finding.sort_key)
    roots = sorted(
        (f for f in findings if f.fired and not f.explained_by),
        key=lambda f: rank(f.rule_id),
    )
    return Report(
        bundle=sources.bundle_info(),
        findings=tuple(findings),
        root_causes=tuple(RootCause(f.rule_id, f.explains) for f in roots),
        generated_at=run_time(now),
        tool_version=__version__,
        rules_loaded=len(book.rules),
        rule_pack=book.identity(),
        collect_next=_collect_next(book, findings),
        upgrade=_upgrade(sources, book, findings),
        timeline=_timeline(sources, cited),
        upgrade_progress=_upgrade_progress(sources),
    )


def _collect_next(book: RuleBook, findings: list[Finding]) -> tuple[CollectHint, ...]:
    """What rules could not evaluate and what the rules marked ``collect`` found, and how
    to get it."""
    wanted: dict[str, tuple[set[str], set[str]]] = {}
    for finding in findings:
        if finding.collect:
            how, missing = finding.collect, finding.message
        elif finding.fired and book.rules[finding.rule_id].collect:
            how, missing = finding.remediation, " ".join(finding.message.split())
        else:
            continue
        what, ids = wanted.setdefault(how, (set(), set()))
        what.add(missing)
        ids.add(finding.rule_id)
    return tuple(
        CollectHint(tuple(sorted(what)), how, tuple(sorted(ids)))
        for how, (what, ids) in sorted(wanted.items())
    )


def _upgrade(sources: Sources, book: RuleBook, findings: list[Finding]) -> UpgradeAdvice | None:
    """The newest release that the fired findings' rules name as their fix, if newer."""
    running = _versions(sources).get("harvester")
    fixes: dict[str, list[str]] = {}
    for finding in findings:
        target = book.rules[finding.rule_id].fixed_in.get("harvester")
        newer = compare_versions(running, target)
        if finding.fired and target and newer in (-1, None):
            fixes.setdefault(target, []).append(finding.rule_id)
    if not fixes:
        return None
    best = max(fixes, key=lambda v: parse_version(v) or parse_version("0"))
    every = sorted({rid for ids in fixes.values() for rid in ids})
    return UpgradeAdvice("Harvester", best, tuple(every))


def _upgrade_progress(sources: Sources) -> UpgradeProgress | None:
    """The upgrade the reports show: the one labelled latest, else the newest created.

    Old Upgrade objects stay after they finish; the view is about the current one."""
    try:
        upgrades, nodes = sources.get("upgrades"), sources.get("upgrade_nodes")
    except SourceMissing:  # no harvester-system objects, or unreadable (noted)
        return None
    if not upgrades:
        return None
    current = max(
        upgrades, key=lambda u: (bool(u["latest"]), str(u["created"] or ""), str(u["name"]))
    )
    return UpgradeProgress(
        name=str(current["name"]),
        version=scalar_text(current["version"]),
        previous_version=scalar_text(current["previous_version"]),
        state=scalar_text(current["state"]),
        phase=current["phase"],
        created=scalar_text(current["created"]),
        finished=bool(current["finished"]),
        nodes=tuple(
            UpgradeNode(
                node=n["node"],
                state=scalar_text(n["state"]),
                since=n["since"],
                since_from=n["since_from"],
                message=scalar_text(n["message"]),
                job=n["job"],
                job_type=n["job_type"],
                pod=n["pod"],
                log=n["log"],
            )
            for n in nodes
            if n["upgrade"] == current["name"]
        ),
    )


def _timeline(sources: Sources, cited: list[tuple[Evidence, str]]) -> tuple[TimelineEntry, ...]:
    """Cited log lines and Warning events of all nodes, in time order, the latest kept.

    A line is listed once: an event a rule cites carries that rule, a line cited by
    several rules the first of them (in evaluation order).
    """
    entries: dict[tuple[str, int | None], TimelineEntry] = {}
    try:
        events = sources.get("events")
    except SourceMissing:
        events = []
    for event in events:
        where = sources.cite(event)
        if event["type"] == "Warning" and where is not None and where.time:
            origin = f"{event['kind']} {event['namespace'] or ''}/{event['name']}"
            entries[(where.path, where.line)] = TimelineEntry(
                where.time, origin, where.path, where.line, where.excerpt
            )
    for evidence, rule_id in cited:
        key = (evidence.path, evidence.line)
        known = entries.get(key)
        if known is None:
            origin = sources.origin(evidence.path)
            entries[key] = TimelineEntry(
                evidence.time or "",
                origin,
                evidence.path,
                evidence.line,
                evidence.excerpt,
                rule_id,
            )
        elif not known.rule_id:
            entries[key] = replace(known, rule_id=rule_id)
    return tuple(sorted(entries.values())[-MAX_TIMELINE:])


def _rank(book: RuleBook, explained: Mapping[str, int], rule_id: str) -> tuple[int, int, int, str]:
    """The order of competing findings, first first: the one that explains more fired findings
    (it sits deeper in the causal chain), then the more specific one (a rule that fires only
    after the rules it ``requires`` fired narrows them down: more required rules ranks first),
    then the more severe, then the rule id, so that the order never depends on input order."""
    rule = book.rules[rule_id]
    return (-explained.get(rule_id, 0), -len(rule.requires), severity_rank(rule.severity), rule_id)
