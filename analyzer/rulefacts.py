"""Facts of the rule format beyond a bare jmespath query: time windows (``within:``) and
shared facts, defined once per pack in ``_facts.yaml`` and used by name (``uses:``).

A window keeps what happened within a duration before the bundle was made, the filter that
rules used to type as ``[?age_hours(time) == `null` || age_hours(time) < `24`]``. Its
reference is the bundle's creation time (metadata.yaml, else the time in the bundle's name):
every log time is read relative to it already, and it is the moment the customer saw the
problem. What has no time is kept (a line in a format we do not date, an object never
restarted): dropping it would hide evidence silently, and a rule that needs a time filters
on it (``[?time]``). What is after the reference (a clock ahead) is kept: it is not old. When
the creation time is unknown the window is not applied, and ``--explain`` says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from analyzer.query import OPTIONS, Query

_DURATION = re.compile(r"^([1-9][0-9]*)(m|h|d)$")
_UNIT = {"m": "minutes", "h": "hours", "d": "days"}

#: hours from a time to the bundle's creation; None when either is unknown
AgeHours = Callable[[Any], "float | None"]


def parse_duration(text: Any) -> timedelta | None:
    """``30m``, ``24h``, ``7d``: a whole number and a unit; None for anything else."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    return timedelta(**{_UNIT[match[2]]: int(match[1])}) if match else None


@dataclass(frozen=True)
class Window:
    """``within: <duration>``: keep what happened less than ``span`` before the reference."""

    text: str
    span: timedelta

    def note(self, undated: bool) -> str:
        """What ``--explain`` says of the window (``undated``: no creation time)."""
        # Without the bundle's creation time there is nothing to measure from: everything
        # is kept, and the trace says the window was not applied.
        if undated:
            return f" (within {self.text}: not applied, the bundle's creation time is unknown)"
        return f" within {self.text}"

    def keep(self, items: Iterable[Any], time_of: Callable[[Any], Any], age: AgeHours) -> list:
        hours = self.span.total_seconds() / 3600
        kept = []
        for item in items:
            elapsed = age(time_of(item))
            if elapsed is None or elapsed < hours:
                kept.append(item)
        return kept


@dataclass(frozen=True)
class Fact:
    """A named query; with ``within``, the items of its list whose ``time`` (a query over
    each item) is outside the window are dropped."""

    name: str
    query: Query
    within: Window | None = None
    time: Query | None = None

    def value(self, root: dict[str, Any], options: Any, age: AgeHours) -> Any:
        found = self.query.search(root, options)
        if self.within is None or not isinstance(found, list):
            return found
        time = self.time
        assert time is not None
        return self.within.keep(found, lambda item: time.search(item, OPTIONS), age)


@dataclass(frozen=True)
class SharedFact:
    """A fact of ``_facts.yaml``: ``needs`` are the shared facts its query reads."""

    fact: Fact
    needs: tuple[str, ...]
    where: str  # ``<pack>/_facts.yaml -> <name>``, for messages


def expand(names: Iterable[str], shared: dict[str, SharedFact]) -> list[Fact]:
    """The shared facts ``names`` read, each after those it needs (unknown names and cycles
    are reported when the pack loads)."""
    ordered: list[Fact] = []
    seen: set[str] = set()

    def visit(name: str) -> None:
        # A fact the pack could not define is reported where it is defined.
        if name in seen or name not in shared:
            return
        seen.add(name)
        for need in shared[name].needs:
            visit(need)
        ordered.append(shared[name].fact)

    for name in names:
        visit(name)
    return ordered


def cycles(edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """One cycle of each strongly connected part of the graph ``edges`` make, from its
    smallest name, sorted: stable messages, and linear time whatever a rule pack holds
    (listing every simple cycle is exponential on a dense graph)."""
    import networkx as nx  # loaded with the rule pack only: start-up stays light

    graph = nx.DiGraph(edges)
    found = []
    for part in nx.strongly_connected_components(graph):
        start = min(part)
        if len(part) == 1 and not graph.has_edge(start, start):
            continue
        # The shortest way back to the start inside the part (one search): a cycle through it.
        inner = graph.subgraph(part)
        to_start = nx.single_target_shortest_path(inner, start)
        back = min((to_start[v] for v in inner.successors(start)), key=lambda p: (len(p), p))
        found.append([start, *back[:-1]])
    return sorted(found)
