"""YAML as the collector writes it: Kubernetes ``kind: List`` dumps and small config files.

Objects are built straight from libyaml's event stream (PyYAML's C parser) rather than through
PyYAML's composer and constructor, which resolve and wrap every scalar in Python and are
several times slower; the result is what ``yaml.safe_load`` gives, with the collector's quirks
handled once, for every caller:

- the string ``"null"`` that support-bundle-kit writes for empty values reads as null;
- timestamps stay strings (they are compared and shown as text), tagged ones too;
- every value is plain data (str, int, float, bool, null, list, map): an explicit tag that
  would make anything else (``!!binary`` bytes, ``!!python/...``, ``!!set``) gives the text,
  and an integer too long to print (Python refuses ``str()`` past 4300 digits) stays text;
- anchors and aliases are refused: Kubernetes dumps never contain them, and an alias bomb
  could otherwise expand without bound in later processing;
- ``metadata.managedFields``, the bulk of every object and read by no rule, is skipped
  without being built.

Plain scalars are typed with PyYAML's own resolvers and constructors (YAML 1.1: ``yes`` is
true, ``0x1F`` is 31), memoised for one file because dumps repeat the same few values: no
memo outlives a parse, and the cyclic collector, off while a file is parsed, is restored.
"""

from __future__ import annotations

import gc
import io
import sys
from dataclasses import dataclass
from typing import Any, BinaryIO

import yaml
from yaml import events

from analyzer.bundle import fastyaml

try:
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

_STR = "tag:yaml.org,2002:str"
_TIMESTAMP = "tag:yaml.org,2002:timestamp"
#: the explicit tags whose constructors make plain data; any other tag gives the text
_DATA_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null")
)
#: far beyond Kubernetes' int64, far below the 4300 digits where str() of an int fails
_MAX_INT_BITS = 256
_SKIPPED_KEYS = frozenset({"managedFields"})
_NO_KEY = object()
#: a memo of typed plain scalars is emptied past this: a crafted file of distinct values
#: would otherwise double what it makes
_MEMO_LIMIT = 100_000
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


class YamlFileError(Exception):
    """The file cannot be used; the message says why, without the path (callers add it)."""


class ParseBudget:
    """How many more values a run may build from YAML: a container counts 4, a scalar 1.

    Bytes do not bound memory: a crafted file of tiny mappings takes 26 times its size in
    Python objects, a real dump about 4 times. Values do: about 39 bytes each at worst, so
    the default 16 million keep every parse of one run near 650 MB, while real dumps, about
    145,000 values per MB (fewer with managedFields skipped), may total over 110 MB.
    """

    def __init__(self, values: int = 16_000_000) -> None:
        self.left = values
        self.total = values


@dataclass
class ObjectList:
    """The items of a ``kind: List`` and the 1-based line where each item starts."""

    items: list[dict[str, Any]]
    lines: list[int]


def _typed(value: str, tag: str | None) -> Any:
    """A scalar's value: plain scalars (``tag`` None) typed as PyYAML's safe loader does,
    minus timestamps; quoted scalars are strings; explicit tags use PyYAML's constructors."""
    if tag is None:
        resolvers = _RESOLVERS.get(value[:1], []) + _RESOLVERS.get(None, [])
        resolved = next((t for t, regexp in resolvers if regexp.match(value)), _STR)
        return _typed(value, resolved)
    if tag == _STR:
        return None if value == "null" else value
    if tag not in _DATA_TAGS:
        return value
    try:
        result = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, value))
    except (ValueError, OverflowError, yaml.YAMLError):
        return value
    if isinstance(result, int) and result.bit_length() > _MAX_INT_BITS:
        return value
    return result


def _spent(budget: ParseBudget) -> YamlFileError:
    return YamlFileError(f"over the parsing budget of {budget.total} values for one run")


def _refuse(event: events.Event, problem: str) -> YamlFileError:
    return YamlFileError(f"line {event.start_mark.line + 1}: {problem}")


def _describe(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def _build(stream: BinaryIO, item_lines: list[int] | None, budget: ParseBudget | None) -> Any:
    """The first document of ``stream``; the start line of each root ``items`` entry is
    appended to ``item_lines`` when given."""
    left = budget.left if budget is not None else sys.maxsize
    parser = _Parser(stream)
    check, get = parser.check_event, parser.get_event
    stack: list[list[Any]] = []  # [container, pending key] frames
    plain_values: dict[str, Any] = {}  # plain scalars typed, for this file
    root: list[Any] = []
    documents = 0
    try:
        while check():
            event = get()
            kind = event.__class__
            if kind is events.ScalarEvent:
                if event.implicit[0] and not event.style:  # plain
                    value: Any = plain_values.get(event.value, _NO_KEY)
                    if value is _NO_KEY:
                        if len(plain_values) > _MEMO_LIMIT:
                            plain_values.clear()
                        value = plain_values[event.value] = _typed(event.value, None)
                else:
                    value = _typed(event.value, _STR if event.implicit[1] else event.tag)
                new = None
                left -= 1
            elif kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
                if event.anchor:
                    raise _refuse(event, "YAML anchors are not accepted in bundle files")
                value = new = {} if kind is events.MappingStartEvent else []
                left -= 4
            elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
                stack.pop()
                continue
            elif kind is events.AliasEvent:
                raise _refuse(event, "YAML aliases are not accepted in bundle files")
            elif kind is events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise _refuse(event, "more than one YAML document")
                continue
            else:
                continue
            if kind is events.ScalarEvent and event.anchor:
                raise _refuse(event, "YAML anchors are not accepted in bundle files")
            if left < 0:
                assert budget is not None
                raise _refuse(
                    event, f"over the parsing budget of {budget.total} values for one run"
                )
            if not stack:
                root.append(value)
            else:
                frame = stack[-1]
                container = frame[0]
                if container.__class__ is list:
                    container.append(value)
                    # Items of a List (root mapping -> items) or of a bare top-level list.
                    if item_lines is not None and len(stack) <= 2 and new is not None:
                        item_lines.append(event.start_mark.line + 1)
                elif frame[1] is _NO_KEY:
                    if new is not None:
                        raise _refuse(event, "a mapping key that is not a scalar")
                    if value in _SKIPPED_KEYS and len(stack) > 1:
                        _skip_value(check, get)
                        continue
                    frame[1] = value
                else:
                    container[frame[1]] = value
                    frame[1] = _NO_KEY
            if new is not None:
                stack.append([new, _NO_KEY])
    except yaml.YAMLError as exc:
        raise YamlFileError(_describe(exc)) from None
    except TypeError:
        raise YamlFileError("a mapping key that cannot be used as a key") from None
    finally:
        parser.dispose()
        if budget is not None:
            budget.left = max(left, 0)
    return root[0] if root else None


def _skip_value(check: Any, get: Any) -> None:
    """Consume the events of one value without building it."""
    depth = 0
    while check():
        kind = get().__class__
        if kind is events.MappingStartEvent or kind is events.SequenceStartEvent:
            depth += 1
        elif kind is events.MappingEndEvent or kind is events.SequenceEndEvent:
            depth -= 1
        if depth == 0:
            return


def _parse(stream: BinaryIO, lines: list[int] | None, budget: ParseBudget | None) -> Any:
    """The canonical fast path when the file allows it, else the general event parser."""
    raw = stream.read()
    # Parsing makes containers by the hundred thousand, none of them garbage: the cyclic
    # collector would walk them all again and again (a third of the time on a pods.yaml).
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _parse_bytes(raw, lines, budget)
    finally:
        if collecting:
            gc.enable()


def _parse_bytes(raw: bytes, lines: list[int] | None, budget: ParseBudget | None) -> Any:
    left = budget.left if budget is not None else sys.maxsize
    try:
        data, left = fastyaml.parse(raw.decode("utf-8"), _typed, _STR, _SKIPPED_KEYS, lines, left)
    except (fastyaml.NotCanonical, UnicodeDecodeError, RecursionError):
        data = _NO_KEY
    except fastyaml.BudgetSpent:
        assert budget is not None
        budget.left = 0
        raise _spent(budget) from None
    if data is _NO_KEY:
        # Outside the except block: there the traceback would keep the fast parser's frame,
        # and all it had built, alive while the general parser builds it all again.
        if lines is not None:
            lines.clear()
        return _build(io.BytesIO(raw), lines, budget)
    if budget is not None:
        budget.left = left
    return data


def load_list(stream: BinaryIO, budget: ParseBudget | None = None) -> ObjectList:
    """Parse a Kubernetes List dump; YamlFileError if it is not valid YAML or not a List."""
    lines: list[int] = []
    raw = stream.read()
    data = _parse(io.BytesIO(raw), lines, budget)
    if data is None:
        raise YamlFileError("empty file")
    if isinstance(data, list) and all(isinstance(item, dict) for item in data):
        # A bare list of objects (Longhorn's legacy dumps, troubleshoot's older JSON): the
        # fast parser notes the lines of a List's items only, the general one of both.
        lines.clear()
        _build(io.BytesIO(raw), lines, budget)
        return ObjectList(data, lines)
    if not isinstance(data, dict):
        raise YamlFileError("not a Kubernetes List (no top-level mapping)")
    if "items" not in data:
        raise YamlFileError("not a Kubernetes List (no items:)")
    items = data["items"]
    if items is None:
        # Old bundles write an empty list as "items: []"; null means none just the same.
        return ObjectList([], [])
    if not isinstance(items, list):
        raise YamlFileError("not a Kubernetes List (items: is not a list)")
    if not all(isinstance(item, dict) for item in items):
        raise YamlFileError("not a Kubernetes List (an item is not an object)")
    return ObjectList(items, lines)


def load_document(stream: BinaryIO, budget: ParseBudget | None = None) -> Any:
    """Parse a single YAML (or JSON) document such as metadata.yaml or an rke2 config file."""
    return _parse(stream, None, budget)
