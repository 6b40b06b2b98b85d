"""Every rule's test cases (rules/<category>/<id>.test.yaml), one pytest each: rule-id::case."""

from __future__ import annotations

import pytest

from analyzer.rulebook import default_rules_dir, load_rules
from analyzer.ruletest import default_fixtures, load_cases, run_case

BOOK = load_rules(default_rules_dir())
CASES, PROBLEMS = load_cases(BOOK)


def test_every_rule_has_cases_that_fire_and_cases_that_do_not():
    assert PROBLEMS == []


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_rule_case(case):
    result = run_case(case, BOOK, default_fixtures(BOOK.rules[case.rule_id].pack))
    assert result.ok, result.why
