"""``analyze --explain RULE``: what one rule read, what each check gave, why it fired or not."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from analyzer.bundle import open_bundle
from analyzer.engine import Analysis
from analyzer.errors import AnalyzerError
from analyzer.rulebook import RuleBook
from analyzer.sizes import text_size
from analyzer.sources import Sources

_MAX_RECORDS = 5
#: the largest value shown as JSON (of which 300 characters are printed)
_MAX_SHOWN = 100_000


def _describe(value: Any, sources: Sources) -> list[str]:
    """A value as lines: cited records as "excerpt (file:line)", anything else as JSON."""
    records = value if isinstance(value, list) else [value]
    cited = [sources.cite(v) for v in records if isinstance(v, dict)]
    if records and all(cited):
        lines = [f"{len(records)} record(s)"] + [
            f"  - {c.excerpt[:160]} ({c.location()})" for c in cited[:_MAX_RECORDS] if c
        ]
        if len(records) > _MAX_RECORDS:
            lines.append(f"  - ... and {len(records) - _MAX_RECORDS} more")
        return lines
    if not isinstance(value, str) and text_size(value, _MAX_SHOWN) > _MAX_SHOWN:
        # Only 300 characters are shown: a value that shares parts may be huge as JSON.
        size = f" of {len(value)} items" if isinstance(value, (list, dict)) else ""
        return [f"a {type(value).__name__}{size}, over {_MAX_SHOWN} characters as JSON"]
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return [text if len(text) <= 300 else text[:300] + " ..."]


def explain(bundle: Path | str | list[Path], book: RuleBook, rule_id: str) -> str:
    """The trace of one rule over one bundle, as text."""
    rule = book.rules.get(rule_id)
    if rule is None:
        raise AnalyzerError(f"no rule '{rule_id}' in {book.root}")
    with open_bundle(bundle) as opened:
        analysis = Analysis(opened, book)
        analysis.run()
        finding = analysis.outcomes[rule_id]
        lines = [f"{rule.id} ({rule.path}): {finding.status}", f"  {rule.title}"]
        for product, wanted in rule.applies_to.items():
            found = analysis.versions.get(product)
            where = analysis.sources.version_refs.get(product)
            origin = f" ({where.location()})" if where else ""
            lines.append(f"applies_to.{product} {wanted.text}: cluster runs {found}{origin}")
        for dependency in rule.requires:
            lines.append(f"requires {dependency}: {analysis.outcomes[dependency].status}")
        trace = analysis.traces.get(rule_id)
        for where, text, value in trace.steps if trace else []:
            described = _describe(value, analysis.sources)
            lines.append(f"{where}: {text}")
            lines += [f"    = {described[0]}"] + [f"    {line}" for line in described[1:]]
        if finding.fired:
            lines.append("=> fired: " + " ".join(finding.message.split())[:500])
        elif finding.status == "pass":
            lines.append("=> did not fire: the condition is false (see the values above)")
        else:
            lines.append(f"=> {finding.status}: {finding.message}")
        return "\n".join(lines) + "\n"
