"""Shared facts: defined once in a pack's _facts.yaml, used by name (issue 11, item 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer import analyze
from analyzer.rulebook import check_rules, default_rules_dir, load_rules
from fixtures.goldens import BUNDLES

RULE = """id: {id}
title: Probe
severity: info
description: A test rule.
uses: {uses}
{facts}when: {when}
message: "{{{{ {when} | length }}}}"
remediation: Nothing.
"""


def pack(tmp_path: Path, shared: str, uses: str = "[many]", when: str = "many", facts: str = ""):
    root = tmp_path / "pack"
    (root / "local").mkdir(parents=True, exist_ok=True)
    (root / "_facts.yaml").write_text(shared)
    (root / "local" / "probe.yaml").write_text(
        RULE.format(id="probe", uses=uses, when=when, facts=facts)
    )
    return root


def fired(book, bundle: str = "healthy-v161") -> dict[str, str]:
    return {f.rule_id: f.status for f in analyze(BUNDLES / bundle, book).findings}


def test_a_rule_reads_a_shared_fact_it_uses(tmp_path):
    book = load_rules(pack(tmp_path, 'nodes_seen: "nodes"\nmany: "nodes_seen[1:]"\n'))
    rule = book.rules["probe"]
    # a shared fact brings in those it reads, first
    assert [f.name for f in rule.facts] == ["nodes_seen", "many"]
    assert fired(book)["probe"] == "fired"


def test_the_shipped_pack_defines_enforcing_apiservers_once():
    book = load_rules()
    users = [
        r.id for r in book.rules.values() if "enforcing_apiservers" in [f.name for f in r.facts]
    ]
    assert users == ["console-false-notready", "node-authorizer-mixed-versions"]
    definitions = [
        p for p in default_rules_dir().rglob("*.yaml") if "enforcing_apiservers:" in p.read_text()
    ]
    assert [p.name for p in definitions] == ["_facts.yaml"]


def test_an_overlay_replaces_a_shared_fact_by_name_for_the_shipped_rules(tmp_path):
    shipped = load_rules()
    assert fired(shipped, "rc3-console-notready")["console-false-notready"] == "fired"
    overlay = tmp_path / "overlay"
    overlay.mkdir()
    # No API server enforces the gate any more: the shipped rule that uses it passes.
    (overlay / "_facts.yaml").write_text('enforcing_apiservers: "`[]`"\n')
    book = load_rules(default_rules_dir(), overlay)
    assert fired(book, "rc3-console-notready")["console-false-notready"] == "pass"
    assert book.identity()[1] != shipped.identity()[1]


@pytest.mark.parametrize(
    ("shared", "uses", "facts", "expected"),
    [
        (
            'many: "nodes"\n',
            "[mnay]",
            "",
            "pack/local/probe.yaml -> uses[0]: unknown shared fact 'mnay' (did you mean 'many'?)",
        ),
        (
            'many: "few"\nfew: "many"\n',
            "[many]",
            "",
            "pack/_facts.yaml -> few: cycle few -> many -> few",
        ),
        ('many: "many[0]"\n', "[many]", "", "pack/_facts.yaml -> many: cycle many -> many"),
        (
            'many: "nodez"\n',
            "[many]",
            "",
            "pack/_facts.yaml -> many: unknown name 'nodez'",
        ),
        (
            'many: "nodes"\n',
            "[many]",
            'facts:\n  many: "nodes"\n',
            "pack/local/probe.yaml -> facts.many: 'many' is defined twice",
        ),
        (
            'many:\n  query: "nodes"\n  within: a while\n',
            "[many]",
            "",
            "pack/_facts.yaml -> many.within: 'a while' is not a duration",
        ),
        ('nodes: "`1`"\nmany: "nodes"\n', "[many]", "", "pack/_facts.yaml -> nodes: is the name"),
    ],
)
def test_lint_reports_misused_shared_facts_with_file_and_field(
    tmp_path, shared, uses, facts, expected
):
    problems = check_rules(pack(tmp_path, shared, uses, facts=facts))[1]
    assert any(line.startswith(expected) for line in problems), problems


def test_a_rule_that_reads_a_shared_fact_without_using_it_is_refused(tmp_path):
    problems = check_rules(pack(tmp_path, 'many: "nodes"\n', uses="[]"))[1]
    assert any("when: unknown name 'many'" in line for line in problems), problems


def test_the_schema_documents_uses_and_facts_with_a_window():
    text = (Path(__file__).parent.parent / "docs" / "rule-format.md").read_text()
    for needle in ("| `uses` |", "| `within` |", "_facts.yaml", "source: [node_logs, pod_logs]"):
        assert needle in text


def test_the_rule_reference_lists_the_shared_facts_a_rule_uses():
    text = (Path(__file__).parent.parent / "docs" / "rules.md").read_text()
    assert text.count("- Uses shared facts: `enforcing_apiservers`") == 2
