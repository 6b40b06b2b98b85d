"""Issue 11, item 2: a rule fires or it does not; its severity is carried apart."""

from __future__ import annotations

import json

import pytest

from analyzer import analyze, load_rules, render
from analyzer.ruletest import load_cases, run_case
from fixtures.goldens import BUNDLES
from tests.test_engine import pack
from tests.test_rule_tooling import copy_pack


@pytest.mark.parametrize("severity", ["critical", "high", "medium", "low", "info"])
def test_status_does_not_depend_on_severity(tmp_path, severity):
    rules = pack(tmp_path, gate=f'severity: {severity}\nwhen: "nodes"\nmessage: m\n')
    report = analyze(BUNDLES / "healthy-v161", load_rules(rules))
    finding = report.finding("gate")
    assert (finding.status, finding.severity, finding.fired) == ("fired", severity, True)
    document = json.loads(render(report, "json"))
    assert document["schema_version"] == "2.1"
    assert document["summary"]["statuses"]["fired"] == 1
    assert document["summary"]["worst_severity"] == severity


def _case_pack(tmp_path, severity: str, expect: str):
    rules = pack(tmp_path, gate=f'severity: {severity}\nwhen: "nodes"\nmessage: m\n')
    (rules / "test" / "gate.test.yaml").write_text(
        f"cases:\n  - {{name: fires, fixture: healthy-v161, expect: {expect}}}\n"
        f"  - {{name: quiet, fixture: healthy-v161, remove: [yamls], expect: skip}}\n"
    )
    return load_rules(rules)


@pytest.mark.parametrize("severity", ["critical", "low", "info"])
def test_changing_a_shipped_rules_severity_keeps_its_cases_passing(tmp_path, severity):
    rules = copy_pack(tmp_path)
    rule = rules / "kubernetes" / "node-not-ready.yaml"
    rule.write_text(rule.read_text().replace("severity: high", f"severity: {severity}", 1))
    book = load_rules(rules)
    assert book.rules["node-not-ready"].severity == severity
    cases, _ = load_cases(book)
    results = [run_case(c, book, BUNDLES) for c in cases if c.rule_id == "node-not-ready"]
    assert results and all(r.ok for r in results), [r.why for r in results if not r.ok]


def test_the_statuses_of_schema_1_are_refused_with_a_hint(tmp_path):
    _, problems = load_cases(_case_pack(tmp_path, "high", "fail"))
    assert any("cases[0].expect" in p and "write 'fired'" in p for p in problems), problems
