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
from jmespath.visitor import TreeInterpreter

from analyzer.sizes import text_size
from analyzer.versions import compare_versions

#: the most values a query result may hold, each repetition counted (a rule's facts included)
MAX_QUERY_VALUES = 2_000_000
#: the longest text to_string and join may build
MAX_QUERY_TEXT = 4_000_000


class QueryBudgetExceeded(Exception):
    """A query whose result would hold more than MAX_QUERY_VALUES values."""


class _Weights:
    """The weight of each container queries made: 1 plus the weights of its items, where a
    value the queries did not make (the sources) weighs 1. ``[@, @]`` applied 34 times makes
    34 small lists that weigh 2**34: whatever walks the result (to_string, flatten, a
    template, the evidence) would walk that many values, so the weight is what is bounded.

    The engine evaluates a rule's facts, condition and evidence over one root dict that the
    facts are added to, so weights are kept while the root stays the same (a fact built from
    a heavy fact stays heavy) and dropped when a new root comes. The containers are held so
    that their ids stay theirs while they are looked up."""

    def __init__(self) -> None:
        self.root: Any = None
        self.made: dict[int, tuple[Any, int]] = {}

    def follow(self, root: Any) -> None:
        if root is not self.root:
            self.root, self.made = root, {}

    def weigh(self, value: list | dict) -> int:
        made = self.made
        items = value.values() if isinstance(value, dict) else value
        weight = 1 + len(value)
        for item in items:
            known = made.get(id(item))
            if known is not None:
                weight += known[1] - 1
        made[id(value)] = (value, weight)
        return weight


class _Budgeted(TreeInterpreter):
    """jmespath's interpreter, weighing every list or object an expression makes."""

    #: the node types whose value can be a new container (the others return parts of
    #: their input, or scalars)
    MAKING = frozenset(
        {
            "multi_select_list",
            "multi_select_dict",
            "projection",
            "value_projection",
            "filter_projection",
            "flatten",
            "function_expression",
            "slice",
            "literal",
        }
    )

    def __init__(self, options: jmespath.Options, weights: _Weights, text: str) -> None:
        super().__init__(options)
        self.weights, self.text = weights, text

    def visit(self, node: dict, *args: Any, **kwargs: Any) -> Any:
        value = super().visit(node, *args, **kwargs)
        new = (
            node["type"] in self.MAKING
            and isinstance(value, (list, dict))
            and id(value) not in self.weights.made
        )
        if new and self.weights.weigh(value) > MAX_QUERY_VALUES:
            raise QueryBudgetExceeded(
                f"'{self.text[:80]}' would hold more than {MAX_QUERY_VALUES} values "
                "(each repetition counted)"
            )
        return value


class _Functions(functions.Functions):
    """Functions jmespath lacks that rules over cluster state need.

    ``age_hours`` needs the bundle's creation time, so each analysis makes its own instance
    (``options_for``); the one in OPTIONS, used where no bundle is open, answers null.
    """

    def __init__(self, age: Callable[[str | None], float | None] | None = None) -> None:
        super().__init__()
        self._age = age
        #: the values queries over one root built, and their weights (see _Budgeted)
        self.weights = _Weights()

    @functions.signature({"types": []})
    def _func_to_string(self, arg: Any) -> str:
        # json.dumps of a value that shares parts would build its every repetition.
        if not isinstance(arg, str) and text_size(arg, MAX_QUERY_TEXT) > MAX_QUERY_TEXT:
            raise QueryBudgetExceeded(
                f"to_string would build more than {MAX_QUERY_TEXT} characters"
            )
        return super()._func_to_string(arg)

    @functions.signature({"types": ["string"]}, {"types": ["array-string"]})
    def _func_join(self, separator: str, array: list[str]) -> str:
        size = text_size(array, MAX_QUERY_TEXT) + len(separator) * len(array)
        if size > MAX_QUERY_TEXT:
            raise QueryBudgetExceeded(f"join would build more than {MAX_QUERY_TEXT} characters")
        return separator.join(array)

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
        """The value of the expression over ``root``; QueryBudgetExceeded if it would hold
        more than MAX_QUERY_VALUES values, counting every repetition of a shared part."""
        weights = getattr(options.custom_functions, "weights", None) or _Weights()
        weights.follow(root)
        return _Budgeted(options, weights, self.text).visit(self._compiled.parsed, root)


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
