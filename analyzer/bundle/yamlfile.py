"""YAML as the collector writes it: Kubernetes ``kind: List`` dumps and small config files.

The C loader is used when PyYAML has it (several times faster on a pods.yaml of tens of MB).
Two collector quirks are handled here, once, for every caller: the string ``"null"`` that
support-bundle-kit writes for empty values reads as null, and timestamps stay strings (they
are compared and shown as text). Anchors and aliases are refused: Kubernetes dumps never
contain them, and an alias bomb could otherwise expand without bound in later processing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, BinaryIO

import yaml

try:
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class YamlFileError(Exception):
    """The file cannot be used; the message says why, without the path (callers add it)."""


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    yaml_implicit_resolvers = {
        first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
        for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
    }

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # A node is met a second time only through an alias.
        if node in self.constructed_objects:
            raise yaml.constructor.ConstructorError(
                None, None, "YAML aliases are not accepted in bundle files", node.start_mark
            )
        return super().construct_object(node, deep)


def _construct_str(loader: _Loader, node: yaml.ScalarNode) -> str | None:
    value = loader.construct_scalar(node)
    return None if value == "null" else value


_Loader.add_constructor("tag:yaml.org,2002:str", _construct_str)


@dataclass
class ObjectList:
    """The items of a ``kind: List`` and the 1-based line where each item starts."""

    items: list[dict[str, Any]]
    lines: list[int]


def _describe(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def load_list(stream: BinaryIO) -> ObjectList:
    """Parse a Kubernetes List dump; YamlFileError if it is not valid YAML or not a List."""
    loader = _Loader(stream)
    try:
        root = loader.get_single_node()
        if root is None:
            raise YamlFileError("empty file")
        if not isinstance(root, yaml.MappingNode):
            raise YamlFileError("not a Kubernetes List (no top-level mapping)")
        items_node = next(
            (value for key, value in root.value if getattr(key, "value", None) == "items"), None
        )
        if items_node is None:
            raise YamlFileError("not a Kubernetes List (no items:)")
        if not isinstance(items_node, yaml.SequenceNode):
            # Old bundles write an empty list as "items: []" (a sequence); null means none.
            if isinstance(items_node, yaml.ScalarNode) and items_node.value in ("", "null", "~"):
                return ObjectList([], [])
            raise YamlFileError("not a Kubernetes List (items: is not a list)")
        lines = [child.start_mark.line + 1 for child in items_node.value]
        data = loader.construct_document(root)
    except yaml.YAMLError as exc:
        raise YamlFileError(_describe(exc)) from None
    except RecursionError:
        raise YamlFileError("nesting too deep") from None
    finally:
        loader.dispose()
    items = data.get("items") or []
    if not all(isinstance(item, dict) for item in items):
        raise YamlFileError("not a Kubernetes List (an item is not an object)")
    return ObjectList(items, lines)


def load_document(stream: BinaryIO) -> Any:
    """Parse a single YAML (or JSON) document such as metadata.yaml or an rke2 config file."""
    loader = _Loader(stream)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise YamlFileError(_describe(exc)) from None
    except RecursionError:
        raise YamlFileError("nesting too deep") from None
    finally:
        loader.dispose()
