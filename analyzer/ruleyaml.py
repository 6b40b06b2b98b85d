"""Reading a rule pack's YAML files, which are untrusted like bundles.

A rule or test file must be a regular file inside the pack (a link that leads out of it is
refused: lint would otherwise quote host files), at most ``MAX_RULE_FILE`` bytes, and hold no
YAML aliases: an alias bomb (a few lines that reference each other ten times a level) costs
nothing to load but explodes whatever walks it afterwards, as it does in bundle files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

try:
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

#: the largest rule or test file read; the shipped ones are under 4 KB
MAX_RULE_FILE = 1024 * 1024


class RuleFileError(ValueError):
    """A rule pack file that is not read; the message says why (one line)."""


def inside_pack(path: Path, root: Path) -> bool:
    """Whether ``path``, links resolved, is inside the pack folder ``root``."""
    return path.resolve().is_relative_to(root.resolve())


def load_rule_yaml(path: Path, root: Path) -> Any:
    """The data of one rule pack file; RuleFileError, yaml.YAMLError or OSError if not."""
    if not inside_pack(path, root):
        raise RuleFileError("a link to outside the rule pack")
    with open(path, "rb") as handle:
        raw = handle.read(MAX_RULE_FILE + 1)
    if len(raw) > MAX_RULE_FILE:
        raise RuleFileError(f"larger than {MAX_RULE_FILE // 1024} KiB")
    return parse_without_aliases(raw.decode("utf-8"))


def parse_without_aliases(text: str) -> Any:
    """The first YAML document of ``text``; RuleFileError if it holds an alias."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is not None:
            _refuse_aliases(node)
            return loader.construct_document(node)
        return None
    finally:
        loader.dispose()


def _refuse_aliases(root: yaml.Node) -> None:
    """An alias is the same node object met twice; refuse it (a bounded, iterative walk)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            line = node.start_mark.line + 1 if node.start_mark else "?"
            raise RuleFileError(f"line {line}: YAML aliases are not accepted in rule pack files")
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
