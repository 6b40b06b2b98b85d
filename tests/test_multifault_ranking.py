"""Issue 12 item 5: how competing root causes rank (docs/rule-format.md, "How ranking works").

A hand-written pack of rules that all fire on the healthy fixture, with the severities,
``requires`` and ``explains`` each case needs, analyzed for real: the order of the report's
root causes and of each folded list is the rank, whatever the order the rules load in.
"""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import networkx as nx
import pytest
import yaml

from analyzer import analyze, load_rules
from analyzer.fold import explained_counts, fold
from fixtures.goldens import BUNDLES, GOLDEN_NOW

HEALTHY = BUNDLES / "healthy-v161"


def write_pack(root: Path, rules: dict[str, dict]) -> Path:
    """One rule per entry, each firing on any bundle with nodes; ``spec`` gives severity,
    ``explains`` and ``requires`` (rule ids)."""
    for rule_id, spec in rules.items():
        rule = {
            "id": rule_id,
            "title": f"Rule {rule_id}",
            "severity": spec.get("severity", "medium"),
            "description": "Fires whenever the bundle lists nodes.",
            "when": "nodes",
            "message": f"{rule_id} fired",
            "remediation": "Nothing.",
        }
        if spec.get("explains"):
            rule["explains"] = spec["explains"]
        if spec.get("requires"):
            rule["requires"] = {"rules": spec["requires"]}
        folder = root / "ranking"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{rule_id}.yaml").write_text(yaml.safe_dump(rule), encoding="utf-8")
    return root


def ranked(tmp_path: Path, rules: dict[str, dict]) -> list[tuple[str, tuple[str, ...]]]:
    book = load_rules(write_pack(tmp_path / "pack", rules))
    report = analyze(HEALTHY, book, now=GOLDEN_NOW)
    return [(rc.rule_id, rc.explains) for rc in report.root_causes]


def test_the_root_that_explains_more_ranks_first_whatever_its_severity(tmp_path):
    rules = {
        "a-critical": {"severity": "critical", "explains": ["s-one"]},
        "z-low": {"severity": "low", "explains": ["s-two", "s-three"]},
        "s-one": {"severity": "high"},
        "s-two": {"severity": "high"},
        "s-three": {"severity": "critical"},
    }
    assert ranked(tmp_path, rules) == [
        ("z-low", ("s-three", "s-two")),
        ("a-critical", ("s-one",)),
    ]


def test_explaining_counts_the_whole_chain(tmp_path):
    rules = {
        "a-wide": {"severity": "critical", "explains": ["s-1", "s-2"]},
        "z-deep": {"severity": "low", "explains": ["d-1"]},
        "d-1": {"explains": ["d-2"]},
        "d-2": {"explains": ["d-3"]},
        "d-3": {},
        "s-1": {},
        "s-2": {},
    }
    assert ranked(tmp_path, rules) == [
        ("z-deep", ("d-1", "d-2", "d-3")),
        ("a-wide", ("s-1", "s-2")),
    ]


def test_then_the_more_specific_rule_that_requires_another(tmp_path):
    rules = {
        "a-general": {"severity": "critical", "explains": ["s-one"]},
        "z-specific": {"severity": "low", "requires": ["base"], "explains": ["s-two"]},
        "base": {"severity": "low"},
        "s-one": {},
        "s-two": {},
    }
    assert ranked(tmp_path, rules) == [
        ("z-specific", ("s-two",)),
        ("a-general", ("s-one",)),
        ("base", ()),
    ]


def test_then_severity_then_id(tmp_path):
    rules = {
        "b-high": {"severity": "high"},
        "a-high": {"severity": "high"},
        "c-critical": {"severity": "critical"},
        "d-info": {"severity": "info"},
    }
    assert [rid for rid, _ in ranked(tmp_path, rules)] == [
        "c-critical",
        "a-high",
        "b-high",
        "d-info",
    ]


def test_a_symptom_of_two_roots_lists_the_stronger_first(tmp_path):
    rules = {
        "a-weak": {"severity": "critical", "explains": ["shared"]},
        "z-strong": {"severity": "low", "explains": ["shared", "other"]},
        "shared": {},
        "other": {},
    }
    book = load_rules(write_pack(tmp_path / "pack", rules))
    report = analyze(HEALTHY, book, now=GOLDEN_NOW)
    assert report.finding("shared").explained_by == ("z-strong", "a-weak")
    assert [rc.rule_id for rc in report.root_causes] == ["z-strong", "a-weak"]


@pytest.mark.parametrize("names", [("r1", "r2", "r3"), ("r3", "r2", "r1")])
def test_rank_does_not_depend_on_load_order(tmp_path, names):
    """Same rules, different ids order on disk: the ranks follow content, then id."""
    first, second, third = names
    rules = {
        first: {"severity": "low", "explains": [second]},
        second: {"severity": "critical"},
        third: {"severity": "critical"},
    }
    assert ranked(tmp_path, rules) == [(first, (second,)), (third, ())]


@pytest.mark.parametrize("seed", range(20))
def test_explained_counts_are_the_size_of_each_fold(seed):
    """What ranking counts is what the fold lists, acyclic or (built by hand) cyclic."""
    rng = random.Random(seed)
    nodes = [f"r{i:03d}" for i in range(rng.randint(1, 50))]
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    for u, v in itertools.permutations(nodes, 2):
        # every third seed allows back edges, so some graphs hold cycles
        if rng.random() < 0.08 and (seed % 3 == 0 or u < v):
            graph.add_edge(u, v)
    fired = {n for n in nodes if rng.random() < 0.7}
    explains, _ = fold(graph, fired, lambda r: r)
    assert explained_counts(graph, fired) == {u: len(below) for u, below in explains.items()}
