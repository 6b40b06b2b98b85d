"""Issue 10, item 11: the fold of fired findings (analyzer/fold.py) is the graph's transitive
reach through fired findings, ordered by rank, computed without a search per rule."""

from __future__ import annotations

import itertools
import random

import networkx as nx
import pytest

from analyzer.fold import fold


def slow_fold(graph: nx.DiGraph, fired: set[str], rank) -> tuple[dict, dict]:
    """What the engine computed before: one search per fired rule, each sorted."""
    sub = graph.subgraph(fired)
    explains = {u: tuple(sorted(nx.descendants(sub, u), key=rank)) for u in fired}
    explained_by = {u: tuple(sorted(sub.predecessors(u), key=rank)) for u in fired}
    return explains, explained_by


def rank(rule_id: str) -> tuple[int, str]:
    return (sum(map(ord, rule_id)) % 5, rule_id)


@pytest.mark.parametrize("seed", range(25))
def test_fold_equals_one_search_per_rule(seed):
    rng = random.Random(seed)
    nodes = [f"r{i:03d}" for i in range(rng.randint(1, 60))]
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    # Edges only forward in a shuffled order: a DAG, as lint guarantees.
    order = nodes[:]
    rng.shuffle(order)
    for i, u in enumerate(order):
        for v in order[i + 1 :]:
            if rng.random() < 0.1:
                graph.add_edge(u, v)
    fired = {n for n in nodes if rng.random() < 0.7}
    assert fold(graph, fired, rank) == slow_fold(graph, fired, rank)


def test_a_rule_that_did_not_fire_breaks_the_chain():
    graph = nx.DiGraph([("a", "b"), ("b", "c")])
    explains, explained_by = fold(graph, {"a", "c"}, rank)
    assert explains == {"a": (), "c": ()} and explained_by == {"a": (), "c": ()}


def test_a_cycle_built_by_hand_still_folds():
    graph = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    explains, _ = fold(graph, {"a", "b", "c"}, rank)
    assert set(explains["a"]) == {"b", "c"} and set(explains["b"]) == {"a", "c"}


def test_a_long_chain_folds_into_its_first_rule():
    ids = [f"r{i:05d}" for i in range(3000)]
    graph = nx.DiGraph(itertools.pairwise(ids))
    explains, explained_by = fold(graph, set(ids), lambda r: (0, r))
    assert explains[ids[0]] == tuple(ids[1:]) and explained_by[ids[1]] == (ids[0],)
