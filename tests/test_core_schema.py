"""One declared schema for rule files and test cases: it validates, names the field of every
problem, and writes the field tables of docs/rule-format.md (issue 11, item 4)."""

from __future__ import annotations

from pathlib import Path

from analyzer.rulebook import check_rules, load_rules
from analyzer.ruletest import load_cases
from tests.conftest import PROJECT
from tests.test_rulebook import BASE, write_rules

LOG_RULE = BASE.replace(
    'when: "length(nodes) > `0`"',
    "logs:\n"
    "  - {name: hits, source: node_logs, files: '*/kubelet.log', pattern: 'x', EXTRA}\n"
    "when: hits",
)


def rule_problems(tmp_path: Path, text: str) -> list[str]:
    _, found = check_rules(write_rules(tmp_path, k__r=text))
    return found


def case_problems(tmp_path: Path, cases: str) -> list[str]:
    rules = write_rules(tmp_path, k__r=BASE)
    (rules / "k" / "r.test.yaml").write_text(cases)
    _, problems = load_cases(load_rules(rules))
    return problems


def test_the_field_tables_of_the_rule_format_are_current():
    from analyzer.ruleschema import FIELDS_BEGIN, FIELDS_END, field_tables

    document = (PROJECT / "docs" / "rule-format.md").read_text()
    assert FIELDS_BEGIN in document and FIELDS_END in document
    generated = document.split(FIELDS_BEGIN + "\n", 1)[1].split(FIELDS_END, 1)[0]
    assert generated == field_tables(), (
        "docs/rule-format.md is stale: run `bundle-analyzer rules docs`"
    )


def test_a_log_matcher_field_of_the_wrong_shape_is_named(tmp_path):
    found = rule_problems(tmp_path, LOG_RULE.replace("EXTRA", "min: 0"))
    assert found[0] == "rules/k/r.yaml -> logs[0].min: must be a whole number >= 1"


def test_an_unknown_log_matcher_key_is_named_with_a_suggestion(tmp_path):
    found = rule_problems(tmp_path, LOG_RULE.replace("EXTRA", "exclud: y"))
    # The matcher is kept: no second problem for `when`, which reads its fact.
    assert found == ["rules/k/r.yaml -> logs[0].exclud: unknown key (did you mean 'exclude'?)"]


def test_a_null_exclude_is_no_exclude(tmp_path):
    # It was compiled as the pattern 'None', dropping every line that says None.
    book = load_rules(write_rules(tmp_path, k__r=LOG_RULE.replace("EXTRA", "exclude: null")))
    assert book.rules["r"].logs[0].regex.exclude is None


def test_a_log_pattern_must_be_text(tmp_path):
    found = rule_problems(tmp_path, LOG_RULE.replace("pattern: 'x', EXTRA", "pattern: 12"))
    assert found[0] == "rules/k/r.yaml -> logs[0].pattern: must be text"


def test_a_null_required_field_is_reported_once(tmp_path):
    found = rule_problems(tmp_path, BASE.replace('when: "length(nodes) > `0`"', "when:"))
    assert found == ["rules/k/r.yaml -> when: must be a jmespath expression or one of all/any/not"]


CASE = """\
cases:
  - name: fires
    fixture: healthy-v161
    expect: fired
  - name: quiet
    fixture: healthy-v161
    CHANGE
"""


def test_a_case_without_expect_is_told_once(tmp_path):
    found = case_problems(tmp_path, CASE.replace("CHANGE", "root_cause: false"))
    assert [p for p in found if "cases[1]" in p] == [
        "rules/k/r.test.yaml -> cases[1].expect: is required"
    ]


def test_case_texts_must_be_a_list(tmp_path):
    # A bare string was taken letter by letter, so any message holding those letters passed.
    found = case_problems(
        tmp_path, CASE.replace("CHANGE", "expect: pass\n    message_contains: zz")
    )
    assert found[0] == "rules/k/r.test.yaml -> cases[1].message_contains: must be a list of texts"


def test_case_flags_must_be_booleans(tmp_path):
    found = case_problems(tmp_path, CASE.replace("CHANGE", "expect: pass\n    root_cause: 'no'"))
    assert found[0] == "rules/k/r.test.yaml -> cases[1].root_cause: must be true or false"


def test_a_set_that_is_not_a_list_is_named(tmp_path):
    found = case_problems(
        tmp_path,
        CASE.replace("CHANGE", "expect: pass\n    set: {file: a, name: b, path: c, value: d}"),
    )
    assert found[0] == "rules/k/r.test.yaml -> cases[1].set: must be a list"


def test_a_set_edit_lacking_a_field_is_named(tmp_path):
    found = case_problems(
        tmp_path, CASE.replace("CHANGE", "expect: pass\n    set: [{file: a, name: b, path: c}]")
    )
    assert found[0] == "rules/k/r.test.yaml -> cases[1].set[0].value: is required"


def test_the_rule_modules_stay_small():
    for path in sorted((PROJECT / "analyzer").glob("rule*.py")):
        assert len(path.read_text().splitlines()) <= 400, path.name


def test_rules_docs_refreshes_the_field_tables_beside_the_reference(tmp_path, capsys):
    from analyzer.cli import main
    from analyzer.ruleschema import FIELDS_BEGIN, FIELDS_END

    docs = tmp_path / "docs"
    docs.mkdir()
    stale = f"# Writing rules\n\n{FIELDS_BEGIN}\n| `old` | gone |\n{FIELDS_END}\n\nThe end.\n"
    (docs / "rule-format.md").write_text(stale)
    assert main(["rules", "docs", "-o", str(docs / "rules.md")]) == 0
    refreshed = (docs / "rule-format.md").read_text()
    assert "`old`" not in refreshed and "| `when` * |" in refreshed
    assert refreshed.startswith("# Writing rules\n") and refreshed.endswith("The end.\n")
