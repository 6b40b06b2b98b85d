"""The line of one field of an object in a YAML dump, to cite the field rather than the object.

An object's citation names its first line (``- apiVersion: v1`` of a List item); a reader then
hunts through 50 lines for the ``--feature-gates`` argument the finding is about. Given the
dump's lines, the object's first line and a path to the field, this finds the field's own
line, so it can be cited and quoted.

Paths are dotted keys with list selectors, as in the rule tests' ``set``:
``spec.containers[name=kube-apiserver].command[^--feature-gates]`` — ``[2]`` an index,
``[field=value]`` the first mapping whose field has that value, ``[^prefix]`` the first
scalar that starts with the prefix.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable

import yaml

_SEGMENT = re.compile(
    r"^(?P<key>[^\[\]]+)"
    r"(?:\[(?P<index>\d+)\]|\[(?P<field>[\w.-]+)=(?P<value>[^\]]*)\]|\[\^(?P<prefix>[^\]]+)\])?$"
)
#: a path's segments: split at dots outside brackets (a selected value may hold dots)
_PATH = re.compile(r"(?:[^.\[]|\[[^\]]*\])+")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: an object longer than this is not looked into: its first line is cited instead
MAX_OBJECT_LINES = 20_000


def _object_lines(lines: Iterable[str], first_line: int) -> list[str]:
    """The object's own lines: from its first line to the next line as little indented (the
    next List item or the key after the list), or to the end of a single-object document."""
    rest = itertools.islice(lines, first_line - 1, first_line - 1 + MAX_OBJECT_LINES)
    head = next(rest, None)
    if head is None:
        return []
    head = head.rstrip("\r\n")
    indent = len(head) - len(head.lstrip(" "))
    in_list = head[indent:].startswith("- ")
    found = [head]
    for line in rest:
        line = line.rstrip("\r\n")
        stripped = line.lstrip(" ")
        if line.startswith("---") or (
            in_list
            and stripped
            and not stripped.startswith("#")
            and len(line) - len(stripped) <= indent
        ):
            break
        found.append(line)
    return found


def _value(node: yaml.Node, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((v for k, v in node.value if getattr(k, "value", None) == key), None)


def _matches(item: yaml.Node, field: str, value: str) -> bool:
    found = _value(item, field)
    return isinstance(found, yaml.ScalarNode) and found.value == value


def _select(node: yaml.Node, segment: str) -> yaml.Node | None:
    parts = _SEGMENT.match(segment)
    child = _value(node, parts["key"]) if parts else None
    if parts is None or child is None or not (parts["index"] or parts["field"] or parts["prefix"]):
        return child
    items = child.value if isinstance(child, yaml.SequenceNode) else []
    if parts["index"]:
        index = int(parts["index"])
        return items[index] if index < len(items) else None
    if parts["prefix"]:
        prefix = parts["prefix"]
        scalars = (i for i in items if isinstance(i, yaml.ScalarNode))
        return next((i for i in scalars if i.value.startswith(prefix)), None)
    return next((i for i in items if _matches(i, parts["field"], parts["value"])), None)


def field_line(lines: Iterable[str], first_line: int, path: str) -> tuple[int, str] | None:
    """The line number and the text (stripped) of ``path`` in the object that starts at
    ``first_line`` (1-based) of a YAML dump; None when the object has no such field or cannot
    be read. Only the object's lines are read from ``lines``."""
    own = _object_lines(lines, first_line)
    try:
        root = yaml.compose("\n".join(own), Loader=_Loader)
    except yaml.YAMLError:
        return None
    if isinstance(root, yaml.SequenceNode) and len(root.value) == 1:
        root = root.value[0]  # a List item: "- apiVersion: v1" holds the object
    node: yaml.Node | None = root
    for segment in _PATH.findall(path):
        node = _select(node, segment) if node is not None else None
    if node is None:
        return None
    at = node.start_mark.line
    return first_line + at, own[at].strip()
