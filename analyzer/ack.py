"""Acknowledged findings (``analyze --ack FILE``): known problems a team has accepted.

The file is a YAML list of ``{rule: ID, match: optional regex, reason: text, until: optional
date}``. An acknowledged finding stays in the report, marked with its reason, and does not
count for ``--fail-on``; after ``until`` (compared with the report's run time, which
SOURCE_DATE_EPOCH fixes, so reports stay reproducible) it counts again. An entry that matched
no fired finding, or expired, is reported, so stale acknowledgements get cleaned up.

The file is untrusted like a rule pack: bounded in size, read without YAML aliases, and its
patterns run in RE2 (no catastrophic backtracking). A problem is one line naming the file, the
entry and the field.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import re2
import yaml

from analyzer.errors import AnalyzerError, printable
from analyzer.report import Finding, Report
from analyzer.ruleyaml import MAX_RULE_FILE, RuleFileError, parse_without_aliases

#: the fields of an entry: required or not
FIELDS = {"rule": True, "match": False, "reason": True, "until": False}
#: the longest pattern and reason accepted (an ack is a line, not a document)
MAX_PATTERN = 1000
MAX_ENTRIES = 10000


class AckFileError(AnalyzerError):
    """An ack file that cannot be used; the message names the file and the field."""


@dataclass(frozen=True)
class Ack:
    rule: str
    reason: str
    match: Any = None  # a compiled re2 pattern, or None: any finding of the rule
    pattern: str | None = None
    until: dt.date | None = None
    index: int = 0  # the entry's position in the file, from 1

    def label(self) -> str:
        scope = f" match {self.pattern!r}" if self.pattern else ""
        return f"ack #{self.index} (rule {self.rule}{scope})"


def load_acks(path: Path) -> tuple[Ack, ...]:
    """The entries of an ack file; AckFileError (one line) if the file or an entry is bad."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_RULE_FILE + 1)
    except OSError as exc:
        raise AckFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_RULE_FILE:
        raise AckFileError(f"{path}: larger than {MAX_RULE_FILE // 1024} KiB")
    try:
        data = parse_without_aliases(raw.decode("utf-8"))
    except (UnicodeDecodeError, RuleFileError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise AckFileError(f"{path}: not valid YAML: {printable(first)}") from None
    if data is None:
        return ()
    if not isinstance(data, list):
        raise AckFileError(f"{path}: expected a list of {{rule, match, reason, until}} entries")
    if len(data) > MAX_ENTRIES:
        raise AckFileError(f"{path}: more than {MAX_ENTRIES} entries")
    return tuple(_entry(path, index, item) for index, item in enumerate(data, 1))


def _entry(path: Path, index: int, item: Any) -> Ack:
    where = f"{path}: entry {index}"
    if not isinstance(item, dict):
        raise AckFileError(f"{where}: expected a map with rule and reason")
    for key in item:
        if key not in FIELDS:
            known = ", ".join(FIELDS)
            raise AckFileError(f"{where}: field {printable(str(key))!r} unknown (known: {known})")
    for key, required in FIELDS.items():
        if required and key not in item:
            raise AckFileError(f"{where}: field '{key}' is required")
    rule, reason = item["rule"], item["reason"]
    for key, value in (("rule", rule), ("reason", reason)):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_PATTERN:
            raise AckFileError(f"{where}: field '{key}' must be text (1-{MAX_PATTERN} characters)")
    pattern, compiled = item.get("match"), None
    if pattern is not None:
        if not isinstance(pattern, str) or len(pattern) > MAX_PATTERN:
            raise AckFileError(f"{where}: field 'match' must be a regex of at most {MAX_PATTERN}")
        try:
            compiled = re2.compile(pattern)
        except re2.error as exc:
            raise AckFileError(f"{where}: field 'match': {printable(str(exc))}") from None
    return Ack(rule, reason.strip(), compiled, pattern, _until(where, item.get("until")), index)


def _until(where: str, value: Any) -> dt.date | None:
    if value is None:
        return None
    # YAML reads 2026-03-01 as a date already; quoted, it is text.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise AckFileError(f"{where}: field 'until' must be a date (YYYY-MM-DD)") from None


def _subjects(finding: Finding) -> list[str]:
    # What a pattern may match: the message, and the objects and lines the evidence cites.
    cited = [text for e in finding.evidence for text in (e.excerpt, e.path)]
    return [finding.message, *cited]


def _matches(ack: Ack, finding: Finding) -> bool:
    if ack.rule != finding.rule_id:
        return False
    return ack.match is None or any(ack.match.search(text) for text in _subjects(finding))


def apply_acks(report: Report, acks: tuple[Ack, ...]) -> Report:
    """The report with the acknowledged fired findings marked, and the entries that matched
    nothing or expired noted. Dates are compared with the report's run time."""
    today = dt.date.fromisoformat(report.generated_at[:10])
    used: set[int] = set()
    notes: list[str] = []
    findings = []
    for finding in report.findings:
        if finding.fired:
            for ack in acks:
                if not _matches(ack, finding):
                    continue
                used.add(ack.index)
                if ack.until is None or today <= ack.until:
                    finding = replace(finding, acknowledged=ack.reason)
                    break
        findings.append(finding)
    rule_ids = {f.rule_id for f in report.findings}
    for ack in acks:
        if ack.rule not in rule_ids:
            notes.append(f"{ack.label()} names no rule of the pack: a typo, or a removed rule")
        elif ack.until is not None and today > ack.until:
            counted = "its finding counts again" if ack.index in used else "it matched nothing"
            notes.append(f"{ack.label()} expired on {ack.until.isoformat()}: {counted}")
        elif ack.index not in used:
            notes.append(f"{ack.label()} matched no fired finding: remove it if it is stale")
    return replace(report, findings=tuple(findings), ack_notes=tuple(notes))
