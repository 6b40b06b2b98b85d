"""Rule files are validated at load time; every problem names the file and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer.errors import RuleError
from analyzer.rulebook import check_rules, load_rules

BASE = """\
id: {id}
title: A rule
severity: medium
description: Something.
when: "length(nodes) > `0`"
message: "{{ nodes | length }} nodes"
remediation: Do something.
"""


def write_rules(root: Path, **rules: str) -> Path:
    for name, text in rules.items():
        category, _, rule_id = name.partition("__")
        path = root / "rules" / category / f"{rule_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("{id}", rule_id))
    return root / "rules"


def problems(tmp_path: Path, **rules: str) -> list[str]:
    book, found = check_rules(write_rules(tmp_path, **rules))
    assert book is None or not found
    return found


def test_a_valid_rule_loads(tmp_path):
    book = load_rules(write_rules(tmp_path, general__ok=BASE))
    rule = book.rules["ok"]
    assert rule.category == "general" and rule.sources == {"nodes"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("severity: medium", "severty: medium"),
            "rules/k/r.yaml -> severty: unknown key (did you mean 'severity'?)",
        ),
        (
            ("severity: medium", "severity: urgent"),
            "rules/k/r.yaml -> severity: 'urgent' is not one of critical, high, medium, low, info",
        ),
        (
            ('when: "length(nodes) > `0`"', 'when: "lenght(nodes) > `0`"'),
            "rules/k/r.yaml -> when: unknown jmespath function 'lenght'",
        ),
        (
            ('when: "length(nodes) > `0`"', 'when: "nodes[?ready == "'),
            "rules/k/r.yaml -> when: Invalid jmespath expression: Incomplete expression at "
            "column 17",
        ),
        (
            ('when: "length(nodes) > `0`"', 'when: "length(node) > `0`"'),
            "rules/k/r.yaml -> when: unknown name 'node' (not a source or an earlier fact) "
            "(did you mean 'nodes'?)",
        ),
        (
            ('when: "length(nodes) > `0`"', "when: {every: [nodes]}"),
            "rules/k/r.yaml -> when.every: unknown operator",
        ),
        (
            ('message: "{{ nodes | length }} nodes"', 'message: "{{ nodes | length }"'),
            "rules/k/r.yaml -> message: template error on line 1: unexpected '}'",
        ),
        (
            ('message: "{{ nodes | length }} nodes"', 'message: "{{ nodez }}"'),
            "rules/k/r.yaml -> message: unknown name 'nodez' in template (did you mean 'nodes'?)",
        ),
        (("id: {id}", "id: other"), "rules/k/r.yaml -> id: 'other' must equal the file name 'r'"),
        (("title: A rule\n", ""), "rules/k/r.yaml -> title: is required"),
    ],
)
def test_problem_names_file_and_field(tmp_path, change, expected):
    text = BASE.replace(*change)
    assert expected in problems(tmp_path, k__r=text)[0]


def test_bad_regex_and_log_source(tmp_path):
    text = BASE + textwrap.dedent("""\
        logs:
          - name: hits
            source: node_logs
            files: "*/kubelet.log"
            pattern: "unclosed (group"
          - name: other
            source: pod_log
            files: "*"
            pattern: x
        """)
    found = problems(tmp_path, k__r=text)
    assert any("rules/k/r.yaml -> logs[0].pattern: invalid regex: missing )" in p for p in found)
    assert any(
        "rules/k/r.yaml -> logs[1].source: 'pod_log' is not one of pod_logs, node_logs" in p
        for p in found
    )


def test_bad_version_range(tmp_path):
    text = BASE + 'applies_to:\n  harvester: ">=1.5.x"\n  kubernets: ">=1.32"\n'
    found = problems(tmp_path, k__r=text)
    assert "rules/k/r.yaml -> applies_to.harvester: '>=1.5.x': '1.5.x' is not a version" in found
    assert any(
        "applies_to.kubernets: unknown product (did you mean 'kubernetes'?)" in p for p in found
    )


def test_unknown_rule_ids(tmp_path):
    found = problems(
        tmp_path,
        k__a=BASE + "requires:\n  rules: [mixed-node-version]\nexplains: [nope]\n",
        **{"k__mixed-node-versions": BASE},
    )
    assert (
        "rules/k/a.yaml -> requires.rules[0]: unknown rule id 'mixed-node-version' "
        "(did you mean 'mixed-node-versions'?)"
    ) in found
    assert "rules/k/a.yaml -> explains[0]: unknown rule id 'nope'" in found


def test_dependency_and_causal_cycles(tmp_path):
    found = problems(
        tmp_path,
        k__a=BASE + "requires:\n  rules: [b]\nexplains: [c]\n",
        k__b=BASE + "requires:\n  rules: [a]\n",
        k__c=BASE + "explains: [a]\n",
    )
    assert "rules/k/a.yaml -> requires.rules: cycle a -> b -> a" in found
    assert "rules/k/a.yaml -> explains: cycle a -> c -> a" in found


def test_fact_shadowing_a_source_and_fact_order(tmp_path):
    text = BASE + 'facts:\n  later: "earlier"\n  nodes: "`1`"\n  earlier: "`2`"\n'
    found = problems(tmp_path, k__r=text)
    assert any("facts.later: unknown name 'earlier'" in p for p in found)
    assert any("facts.nodes: 'nodes' is the name of a source" in p for p in found)


def test_objects_need_a_kind(tmp_path):
    found = problems(
        tmp_path, k__r=BASE.replace('"length(nodes) > `0`"', '"length(objects) > `0`"')
    )
    assert any("when: objects must be followed by a kind" in p for p in found)


def test_load_rules_raises_first_problem_with_count(tmp_path):
    root = write_rules(tmp_path, k__r=BASE.replace("severity: medium", "severty: medium"))
    with pytest.raises(RuleError, match=r"severty: unknown key .* \(and 1 more problems\)$"):
        load_rules(root)


def test_invalid_yaml_and_missing_directory(tmp_path):
    root = tmp_path / "rules" / "k"
    root.mkdir(parents=True)
    (root / "r.yaml").write_text("id: r\ntitle: [unclosed\n")
    assert problems(tmp_path)[0].startswith("rules/k/r.yaml: invalid YAML: line 3:")
    assert check_rules(tmp_path / "absent")[1] == [
        f"{tmp_path / 'absent'}: no such rules directory"
    ]


def test_rule_files_exclude_test_cases(tmp_path):
    root = write_rules(tmp_path, k__r=BASE)
    (root / "k" / "r.test.yaml").write_text("cases: []\n")
    assert list(load_rules(root).rules) == ["r"]


def test_shipped_rule_pack_is_valid():
    from analyzer.rulebook import default_rules_dir

    book, found = check_rules(default_rules_dir())
    assert found == []
    assert book is not None and len(book.rules) >= 5


def test_the_documented_example_is_a_valid_rule(tmp_path):
    import re
    import shutil

    from tests.conftest import PROJECT

    doc = (PROJECT / "docs" / "rule-format.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", doc, re.DOTALL).group(1)
    rules = tmp_path / "rules"
    shutil.copytree(PROJECT / "rules", rules)
    (rules / "kubernetes" / "node-authorizer-mixed-versions.yaml").write_text(example)
    assert check_rules(rules)[1] == []
