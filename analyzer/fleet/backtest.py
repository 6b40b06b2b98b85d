"""A changed or new rule pack tried on an archive already analyzed (``fleet analyze --out``).

Only the rules of the new pack run (with the rules they require), over the bundles of the
baseline's index (no search of the archive again, no other rule evaluated); each rule's
outcome per bundle is compared with the baseline's: newly firing, no longer firing, unchanged.
A bundle the baseline or the backtest could not analyze, or where the rule could not be
evaluated on one side, is "not comparable", never counted as a change.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analyzer.fleet.run import RunOptions, run_tasks
from analyzer.fleet.store import read_results
from analyzer.fleet.task import TaskSpec
from analyzer.render.markdown import md_cell, md_code_span


@dataclass
class RuleChange:
    rule_id: str
    new_rule: bool
    #: (bundle path, evidence path:line) per bundle
    newly_firing: list[tuple[str, str]] = field(default_factory=list)
    no_longer_firing: list[tuple[str, str]] = field(default_factory=list)
    still_firing: int = 0
    still_quiet: int = 0
    not_comparable: list[tuple[str, str]] = field(default_factory=list)


def backtest(
    baseline: Path,
    packs: tuple[str, ...],
    rule_ids: tuple[str, ...],
    options: RunOptions,
    now: str,
) -> list[RuleChange]:
    """Run ``rule_ids`` of ``packs`` over the baseline's bundles and compare per rule."""
    bundles, findings = read_results(baseline)
    before = {(f["bundle_sha256"], f["rule_id"]): f for f in findings}
    known = {f["rule_id"] for f in findings}
    usable = [b for b in bundles if b["status"] == "ok" and Path(b["path"]).exists()]
    changes = {r: RuleChange(r, r not in known) for r in sorted(rule_ids)}
    for row in bundles:
        if row not in usable:
            why = row["error"] or "no longer at this path"
            for change in changes.values():
                change.not_comparable.append((row["path"], f"baseline: {row['status']}: {why}"))
    paths = {b["sha256"]: b["path"] for b in usable}
    specs = [
        TaskSpec(b["path"], _parts(b["path"]), b["sha256"], packs, now, tuple(rule_ids))
        for b in usable
    ]

    def compare(spec: TaskSpec, outcome: dict[str, Any]) -> None:
        row = outcome["bundle"]
        after = {f["rule_id"]: f for f in outcome["findings"]}
        for rule_id, change in changes.items():
            old = before.get((spec.sha256, rule_id))
            new = after.get(rule_id)
            path = paths[spec.sha256]
            if row["status"] != "ok" or new is None:
                change.not_comparable.append((path, f"now: {row['status']}: {row['error']}"))
            elif new["status"] in ("skip", "error") or (old and old["status"] in ("skip", "error")):
                why = new["message"] if new["status"] in ("skip", "error") else old["message"]
                change.not_comparable.append((path, why.splitlines()[0] if why else ""))
            elif new["fired"] and not (old and old["fired"]):
                change.newly_firing.append((path, new["evidence"]))
            elif old and old["fired"] and not new["fired"]:
                change.no_longer_firing.append((path, old["evidence"]))
            elif new["fired"]:
                change.still_firing += 1
            else:
                change.still_quiet += 1

    run_tasks(specs, options, compare)
    for change in changes.values():
        for items in (change.newly_firing, change.no_longer_firing, change.not_comparable):
            items.sort()
    return list(changes.values())


def _parts(path: str) -> tuple[str, ...]:
    # A split bundle is indexed by its first part; the reader finds the others beside it.
    return (path,)


def render_backtest(changes: list[RuleChange], fmt: str) -> str:
    """Markdown (for a rule change's pull request), HTML (as the fleet report's) or JSON."""
    if fmt == "json":
        return json.dumps([asdict(c) for c in changes], indent=2, sort_keys=True) + "\n"
    if fmt == "html":
        from analyzer.fleet.render import render_page

        return render_page("backtest.html.j2", changes=changes)
    lines = ["# Backtest", ""]
    lines += [
        "| rule | newly firing | no longer firing | still firing | still quiet | not comparable |"
    ]
    lines += ["|---|---|---|---|---|---|"]
    for c in changes:
        name = md_code_span(c.rule_id) + (" (new)" if c.new_rule else "")
        lines.append(
            f"| {name} | {len(c.newly_firing)} | {len(c.no_longer_firing)} | {c.still_firing} "
            f"| {c.still_quiet} | {len(c.not_comparable)} |"
        )
    for c in changes:
        for title, items in (
            ("newly firing", c.newly_firing),
            ("no longer firing", c.no_longer_firing),
            ("not comparable", c.not_comparable),
        ):
            if items:
                lines += ["", f"## {md_cell(c.rule_id)}: {title}", ""]
                lines += ["| bundle | evidence or reason |", "|---|---|"]
                lines += [f"| {md_code_span(p)} | {md_cell(e)} |" for p, e in items]
    return "\n".join(lines) + "\n"
