"""jmespath as rules use it: a few domain functions, and knowing what an expression reads.

A rule's expressions run against one root object whose keys are the logical sources
(``nodes``, ``apiservers``, ``objects``, ...) and the rule's own facts. Before anything is
evaluated, each expression is walked to find the root keys it reads: that is how the engine
loads only the sources active rules need, how ``objects."longhorn.io/volumes"`` turns into
exactly the files of that kind, and how an unknown name or function is reported at load time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jmespath
from jmespath import exceptions as jmespath_errors
from jmespath import functions

from analyzer.versions import compare_versions


class _Functions(functions.Functions):
    """Functions jmespath lacks that rules over cluster state need.

    ``age_hours`` needs the bundle's creation time, so each analysis makes its own instance
    (``options_for``); the one in OPTIONS, used where no bundle is open, answers null.
    """

    def __init__(self, age: Callable[[str | None], float | None] | None = None) -> None:
        super().__init__()
        self._age = age

    @functions.signature({"types": ["string", "null"]})
    def _func_age_hours(self, timestamp: str | None) -> float | None:
        """Hours from ``timestamp`` to the bundle's creation: negative if after it."""
        return self._age(timestamp) if self._age else None

    @functions.signature({"types": ["array"]})
    def _func_unique(self, values: list) -> list:
        """Distinct values, in first-seen order (mixed versions: ``length(unique(...)) > `1```)."""
        seen: list = []
        for value in values:
            if value not in seen:
                seen.append(value)
        return seen

    @functions.signature({"types": ["string", "null"]}, {"types": ["string", "null"]})
    def _func_version_cmp(self, a: str | None, b: str | None) -> int | None:
        """-1/0/1 comparing two versions (``v1.31.4+rke2r1`` < ``v1.32.0``); null if unknown."""
        return compare_versions(a, b)

    @functions.signature({"types": ["string", "null"]})
    def _func_lower(self, value: str | None) -> str | None:
        return value.lower() if value is not None else None

    @functions.signature({"types": ["object", "null"]})
    def _func_items(self, value: dict | None) -> list:
        """An object as ``[{key, value}]`` pairs, sorted by key, to filter maps such as gates."""
        return [{"key": k, "value": v} for k, v in sorted((value or {}).items())]


OPTIONS = jmespath.Options(custom_functions=_Functions())


def options_for(age: Callable[[str | None], float | None]) -> jmespath.Options:
    """Options whose ``age_hours`` measures against one bundle's creation time."""
    return jmespath.Options(custom_functions=_Functions(age))


FUNCTION_NAMES = frozenset(
    name[len("_func_") :] for name in dir(_Functions) if name.startswith("_func_")
)


class QueryError(Exception):
    """An expression that cannot be compiled; the message says what is wrong."""


@dataclass(frozen=True)
class Query:
    """A compiled expression and the root keys it reads (``objects`` keys listed apart)."""

    text: str
    names: frozenset[str]
    object_kinds: frozenset[str]
    functions: frozenset[str]
    _compiled: Any

    def search(self, root: dict[str, Any], options: jmespath.Options = OPTIONS) -> Any:
        return self._compiled.search(root, options=options)


def compile_query(text: str) -> Query:
    try:
        compiled = jmespath.compile(text)
    except jmespath_errors.JMESPathError as exc:
        raise QueryError(_first_line(exc)) from None
    pitfall = _pitfall(compiled.parsed)
    if pitfall:
        raise QueryError(pitfall)
    names: set[str] = set()
    kinds: set[str] = set()
    called: set[str] = set()
    _walk(compiled.parsed, True, names, kinds, called)
    unknown = sorted(called - FUNCTION_NAMES - _BUILTIN_FUNCTIONS)
    if unknown:
        raise QueryError(f"unknown jmespath function '{unknown[0]}'")
    if "objects" in names and not kinds:
        raise QueryError('objects must be followed by a kind, e.g. objects."longhorn.io/volumes"')
    return Query(text, frozenset(names), frozenset(kinds), frozenset(called), compiled)


def _first_line(exc: Exception) -> str:
    # jmespath's own text spans three lines (message, expression, caret); keep it on one.
    head = str(exc).strip().splitlines()[0].rstrip(":")
    if isinstance(exc, jmespath_errors.ParseError) and exc.lex_position is not None:
        return f"{head} at column {exc.lex_position + 1}"
    return head


_BUILTIN_FUNCTIONS = frozenset(
    name[len("_func_") :] for name in dir(functions.Functions) if name.startswith("_func_")
)
# For each node type: which children are evaluated against the same value as the node
# itself (index 0..n) and which against a value derived from it (projections, filters,
# pipes). Only a field read in the root context names a source or a fact.
_DERIVED_CHILDREN = {
    "subexpression": {1},
    "index_expression": {1},
    "projection": {1},
    "value_projection": {1},
    "filter_projection": {1, 2},
    "pipe": {1},
    "expref": {0},
}


def _pitfall(node: dict) -> str | None:
    """Expressions that are valid jmespath but almost never mean what their author meant."""
    kind = node.get("type")
    children = [c for c in node.get("children", []) if isinstance(c, dict)]
    paths = ("subexpression", "projection", "flatten", "index_expression", "filter_projection")
    if kind in paths and children and children[0].get("type") == "not_expression":
        return "'!' applies only to the name right after it here; write !(...) around the path"
    if kind == "projection" and len(children) == 2 and children[0].get("type") == "flatten":
        right = children[1]
        left_of_right = (right.get("children") or [{}])[0]
        if right.get("type") == "filter_projection" and left_of_right.get("type") == "identity":
            return "a filter right after [] filters each element; write '[] | [?...]'"
    for child in children:
        found = _pitfall(child)
        if found:
            return found
    return None


def _walk(node: dict, at_root: bool, names: set, kinds: set, called: set) -> None:
    kind = node.get("type")
    children = node.get("children", [])
    if kind == "field" and at_root:
        names.add(node["value"])
    if kind == "function_expression":
        called.add(node["value"])
    if kind in ("subexpression", "index_expression") and at_root and children:
        left, right = children[0], children[1] if len(children) > 1 else None
        if left.get("value") == "objects" and right and right.get("type") == "field":
            kinds.add(right["value"])
    derived = _DERIVED_CHILDREN.get(kind, set())
    for index, child in enumerate(children):
        if isinstance(child, dict):
            _walk(child, at_root and index not in derived, names, kinds, called)
