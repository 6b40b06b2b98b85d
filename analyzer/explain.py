"""``analyze --explain RULE``: what one rule read, what each check gave, why it fired or not.

The trace quotes the bundle (versions, records, values, the message), so it goes through the
same guards as the reports: secrets are redacted unless ``redact=False`` (``--no-redact``),
and every line is stripped of control characters by the terminal summary's own function, so
a crafted log line can neither leak a token nor drive the terminal. Values are redacted whole,
then shortened, so a cut cannot leave half a secret that no pattern recognises.

Formats: ``text`` (the trace, one step a line), ``md`` (the same in a fenced block, for a
ticket), ``json`` (the trace as an object: the steps, each with its described value).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from analyzer.engine import Analysis
from analyzer.errors import AnalyzerError
from analyzer.formats import EXPLAIN_FORMATS
from analyzer.redact import redact
from analyzer.render.markdown import fenced
from analyzer.render.terminal import strip_controls
from analyzer.rulebook import RuleBook
from analyzer.sizes import text_size
from analyzer.sources import Sources, open_sources

_MAX_RECORDS = 5
_MAX_EXCERPT = 160
_MAX_VALUE = 300
_MAX_MESSAGE = 500
_SECRET_MARGIN = 8192
#: the largest value shown as JSON (of which _MAX_VALUE characters are printed)
_MAX_SHOWN = 100_000


@dataclass
class Explanation:
    """One rule's trace over one bundle; every string already redacted and stripped."""

    rule_id: str
    path: str
    title: str
    status: str
    #: "applies_to.<product> <range>: cluster runs <version> (<where>)"
    applies_to: list[str] = field(default_factory=list)
    #: "requires <rule>: <status>"
    requires: list[str] = field(default_factory=list)
    #: each check: where in the rule, what it evaluates, the value as lines
    steps: list[dict[str, Any]] = field(default_factory=list)
    verdict: str = ""
    #: secrets replaced; None when redaction was turned off
    redactions: int | None = 0


class _Cleaner:
    """Redaction (unless turned off) then control-character stripping, counting secrets."""

    def __init__(self, redacting: bool) -> None:
        self.redacting = redacting
        self.count = 0

    def __call__(self, text: Any, limit: int | None = None) -> str:
        value = str(text)
        if limit is not None:
            # A value can be megabytes of JSON: redact what is shown plus a margin longer than
            # any secret, so one that starts in the shown part is still whole when redacted.
            value = value[: limit + _SECRET_MARGIN]
        if self.redacting:
            value, found = redact(value)
            self.count += found
        value = strip_controls(value)
        return value if limit is None or len(value) <= limit else value[:limit] + " ..."


def _describe(value: Any, sources: Sources, clean: _Cleaner) -> list[str]:
    """A value as lines: cited records as "excerpt (file:line)", anything else as JSON.

    Only a list whose every item is a record the sources can place is shown as records; a
    string, a number or a mixed list is shown as the value itself."""
    records = value if isinstance(value, list) else [value]
    cited = [sources.cite(v) if isinstance(v, dict) else None for v in records]
    if records and all(c is not None for c in cited):
        lines = [f"{len(records)} record(s)"] + [
            f"  - {clean(c.excerpt, _MAX_EXCERPT)} ({clean(c.location())})"
            for c in cited[:_MAX_RECORDS]
            if c is not None
        ]
        if len(records) > _MAX_RECORDS:
            lines.append(f"  - ... and {len(records) - _MAX_RECORDS} more")
        return lines
    if not isinstance(value, str) and text_size(value, _MAX_SHOWN) > _MAX_SHOWN:
        # Only 300 characters are shown: a value that shares parts may be huge as JSON.
        size = f" of {len(value)} items" if isinstance(value, (list, dict)) else ""
        return [f"a {type(value).__name__}{size}, over {_MAX_SHOWN} characters as JSON"]
    text = value if isinstance(value, str) else json.dumps(value, default=str, sort_keys=True)
    return [clean(text, _MAX_VALUE)]


def explain(
    bundle: Path | str | list[Path], book: RuleBook, rule_id: str, *, redact: bool = True
) -> Explanation:
    """The trace of one rule over one bundle."""
    rule = book.rules.get(rule_id)
    if rule is None:
        raise AnalyzerError(f"no rule '{rule_id}' in {' + '.join(str(p) for p in book.packs)}")
    clean = _Cleaner(redact)
    with open_sources(bundle) as sources:
        analysis = Analysis(sources, book)
        analysis.run()
        finding = analysis.outcomes[rule_id]
        result = Explanation(
            rule.id, clean(rule.path), clean(rule.title), finding.status, redactions=None
        )
        for product, wanted in rule.applies_to.items():
            found = analysis.versions.get(product)
            where = analysis.sources.version_refs.get(product)
            origin = f" ({where.location()})" if where else ""
            result.applies_to.append(
                clean(f"applies_to.{product} {wanted.text}: cluster runs {found}{origin}")
            )
        for dependency in rule.requires:
            result.requires.append(f"requires {dependency}: {analysis.outcomes[dependency].status}")
        trace = analysis.traces.get(rule_id)
        for where, text, value in trace.steps if trace else []:
            result.steps.append(
                {
                    "where": clean(where),
                    "check": clean(text),
                    "value": _describe(value, analysis.sources, clean),
                }
            )
        if finding.fired:
            result.verdict = "fired: " + clean(finding.message, _MAX_MESSAGE)
        elif finding.status == "pass":
            result.verdict = "did not fire: the condition is false (see the values above)"
        else:
            result.verdict = f"{finding.status}: {clean(finding.message)}"
    result.redactions = clean.count if redact else None
    return result


def _text(e: Explanation) -> str:
    lines = [f"{e.rule_id} ({e.path}): {e.status}", f"  {e.title}", *e.applies_to, *e.requires]
    for step in e.steps:
        described = step["value"]
        lines.append(f"{step['where']}: {step['check']}")
        lines += [f"    = {described[0]}"] + [f"    {line}" for line in described[1:]]
    lines.append(f"=> {e.verdict}")
    if e.redactions:
        lines.append(f"({e.redactions} secret(s) redacted; --no-redact shows them)")
    return "\n".join(lines) + "\n"


def render_explanation(explanation: Explanation, fmt: str) -> str:
    """The trace as ``text``, ``md`` (a fenced block) or ``json``."""
    if fmt == "text":
        return _text(explanation)
    if fmt == "json":
        return json.dumps(asdict(explanation), indent=2, ensure_ascii=False) + "\n"
    if fmt == "md":
        block = fenced(_text(explanation).rstrip("\n").split("\n"), "text", "")
        return f"#### --explain {explanation.rule_id}\n\n{block}\n"
    raise AnalyzerError(
        f"--explain writes {', '.join(EXPLAIN_FORMATS)}, not {fmt} (the HTML report has no trace)"
    )
