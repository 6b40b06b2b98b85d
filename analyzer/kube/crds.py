"""What a bundle's CustomResourceDefinitions say of their kinds: the Kind, the short names,
and the printer columns `kubectl get` shows (``additionalPrinterColumns``).

Columns are JSONPath expressions; the subset CRDs use is evaluated here: ``.a.b``, ``.a[0]``,
``.a[*].b`` and filters ``.a[?(@.type=="Ready")].status``. An expression outside it shows an
empty cell, as the API server shows a path that finds nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: (column name, priority, JSONPath, type) of one printer column
PrinterColumn = tuple[str, int, str, str]
_STEP = re.compile(
    r"""\.(?P<key>[A-Za-z0-9_\-/]+)|\[(?P<index>\d+|\*)\]"""
    r"""|\[\?\(@\.(?P<field>[A-Za-z0-9_.\-]+)\s*==\s*(?P<quote>["'])(?P<value>[^"']*)(?P=quote)\)\]"""
)
#: a JSONPath longer than this is not evaluated (CRDs' are a few dozen characters)
MAX_PATH = 256


@dataclass(frozen=True)
class CrdFacts:
    kind: str
    short_names: tuple[str, ...]
    columns: tuple[PrinterColumn, ...]


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


def _columns(found: Any, path_key: str) -> tuple[PrinterColumn, ...]:
    columns = []
    for col in found if isinstance(found, list) else []:
        if not isinstance(col, dict):
            continue
        name, path = col.get("name"), col.get(path_key)
        priority = col.get("priority")
        if isinstance(name, str) and isinstance(path, str):
            level = priority if isinstance(priority, int) and not isinstance(priority, bool) else 0
            columns.append((name, level, path, str(col.get("type") or "string")))
    return tuple(columns)


def crd_facts(crds: list[dict[str, Any]]) -> dict[tuple[str, str], CrdFacts]:
    """(group, plural) -> facts, from CRD objects (apiextensions v1 and the older v1beta1)."""
    facts: dict[tuple[str, str], CrdFacts] = {}
    for crd in crds:
        group, plural = _dig(crd, "spec", "group"), _dig(crd, "spec", "names", "plural")
        kind = _dig(crd, "spec", "names", "kind")
        if not (isinstance(group, str) and isinstance(plural, str) and isinstance(kind, str)):
            continue
        versions = [v for v in _dig(crd, "spec", "versions") or [] if isinstance(v, dict)]
        # The columns of the stored version (v1 puts them per version, v1beta1 on the spec).
        stored = [v for v in versions if v.get("storage") is True] or versions
        columns = _columns(stored[0].get("additionalPrinterColumns"), "jsonPath") if stored else ()
        columns = columns or _columns(_dig(crd, "spec", "additionalPrinterColumns"), "JSONPath")
        shorts = _strings(_dig(crd, "spec", "names", "shortNames"))
        facts[(group, plural)] = CrdFacts(kind, shorts, columns)
    return facts


def json_path(obj: Any, path: str) -> list[Any]:
    """The values ``path`` selects in ``obj`` (none for a path outside the subset)."""
    text = path.strip().removeprefix("{").removesuffix("}").strip()
    if len(text) > MAX_PATH:
        return []
    values, at = [obj], 0
    while at < len(text):
        step = _STEP.match(text, at)
        if step is None:
            return []
        at = step.end()
        values = [found for value in values for found in _apply(value, step)]
    return values


def _apply(value: Any, step: re.Match[str]) -> list[Any]:
    if step["key"] is not None:
        return [value[step["key"]]] if isinstance(value, dict) and step["key"] in value else []
    if not isinstance(value, list):
        return []
    if step["index"] == "*":
        return list(value)
    if step["index"] is not None:
        index = int(step["index"])
        return [value[index]] if index < len(value) else []
    wanted = step["value"]
    return [
        item
        for item in value
        if json_path(item, "." + step["field"])
        and str(json_path(item, "." + step["field"])[0]) == wanted
    ]
