"""Label and field selectors, with the API server's syntax.

Labels: ``k``, ``!k``, ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, joined
by commas. Fields: ``path=v``, ``path==v``, ``path!=v`` on any dotted path of the object
(``metadata.name``, ``spec.nodeName``, ``status.phase``, ``involvedObject.uid`` ...); the API
server allows a few paths per kind, this reader allows any, which a read-only copy can afford.
A missing field compares as "", as the server's field sets do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from analyzer.errors import AnalyzerError
from analyzer.kube.catalog import text

Object = dict[str, Any]
Test = Callable[[Object], bool]

_SET = re.compile(r"^\s*(?P<key>[^\s!=,()]+)\s+(?P<op>in|notin)\s+\((?P<values>[^()]*)\)\s*$")
_BINARY = re.compile(r"^\s*(?P<key>[^\s!=,()]+)\s*(?P<op>==|!=|=)\s*(?P<value>[^\s!=,()]*)\s*$")
_EXISTS = re.compile(r"^\s*(?P<neg>!?)\s*(?P<key>[^\s!=,()]+)\s*$")
#: a selector longer than this is refused (kubectl's are a few dozen characters)
MAX_SELECTOR = 4096


class SelectorError(AnalyzerError):
    """A selector that does not parse (the API's 400)."""


def _split(selector: str) -> list[str]:
    """The requirements of a selector: split at the commas outside parentheses."""
    parts, depth, current = [], 0, ""
    for char in selector:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]


def _labels(obj: Object) -> dict[str, str]:
    metadata = obj.get("metadata")
    labels = metadata.get("labels") if isinstance(metadata, dict) else None
    return {str(k): text(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


def label_selector(selector: str) -> Test:
    """A test of an object's labels; SelectorError if ``selector`` does not parse."""
    if len(selector) > MAX_SELECTOR:
        raise SelectorError("label selector too long")
    tests: list[Test] = []
    for part in _split(selector):
        if match := _SET.match(part):
            key, wanted = match["key"], {v.strip() for v in match["values"].split(",")}
            inside = match["op"] == "in"
            tests.append(
                lambda o, k=key, w=wanted, i=inside: (
                    (k in _labels(o) and _labels(o)[k] in w)
                    if i
                    else (k not in _labels(o) or _labels(o)[k] not in w)
                )
            )
        elif match := _BINARY.match(part):
            key, value, equal = match["key"], match["value"], match["op"] != "!="
            tests.append(
                lambda o, k=key, v=value, e=equal: (
                    (k in _labels(o) and _labels(o)[k] == v)
                    if e
                    else (k not in _labels(o) or _labels(o)[k] != v)
                )
            )
        elif match := _EXISTS.match(part):
            key, present = match["key"], not match["neg"]
            tests.append(lambda o, k=key, p=present: (k in _labels(o)) == p)
        else:
            raise SelectorError(f"unable to parse requirement: {part.strip()[:100]!r}")
    return lambda obj: all(test(obj) for test in tests)


def field_value(obj: Object, path: str) -> str:
    """The value at a dotted path as text, "" when absent."""
    value: Any = obj
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return text(value)


def field_selector(selector: str) -> Test:
    """A test of an object's fields; SelectorError if ``selector`` does not parse."""
    if len(selector) > MAX_SELECTOR:
        raise SelectorError("field selector too long")
    tests: list[Test] = []
    for part in _split(selector):
        match = _BINARY.match(part)
        if not match:
            raise SelectorError(f"invalid field selector: {part.strip()[:100]!r}")
        path, value, equal = match["key"], match["value"], match["op"] != "!="
        tests.append(lambda o, p=path, v=value, e=equal: (field_value(o, p) == v) == e)
    return lambda obj: all(test(obj) for test in tests)


def selected(
    objects: list[Object], labels: str | None = None, fields: str | None = None
) -> list[Object]:
    """The objects that both selectors (either may be absent) select."""
    tests = [label_selector(labels)] if labels else []
    tests += [field_selector(fields)] if fields else []
    return [o for o in objects if all(test(o) for test in tests)]
