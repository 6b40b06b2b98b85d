"""Prometheus alerts: ``prometheus-alerts.json`` at the bundle's top (Harvester v1.4+).

support-bundle-kit asks the cluster's Prometheus for its alerts and writes the Go client's
``[]v1.Alert`` with ``json.MarshalIndent``: that struct tags only ``activeAt``, so the other
keys are capitalised (``Labels``, ``Annotations``, ``State``, ``Value``). The Prometheus
HTTP API spells them in lower case; both are read. A firing alert is evidence like a
condition: each record cites the line where its object starts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from analyzer.sources.core import REGENERATE, SourceMissing, Sources, source
from analyzer.sources.missing import READ_ERRORS

#: what may stand between the items of a JSON array (commas are checked by raw_decode's
#: neighbours only loosely: a missing comma still parses, which costs nothing here)
_BETWEEN = re.compile(r"[ \t\r\n,]*")


def _field(alert: dict[str, Any], name: str) -> Any:
    return alert[name] if name in alert else alert.get(name.lower())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _array_items(text: str) -> list[tuple[Any, int]]:
    """The items of a top-level JSON array, each with the line it starts on."""
    decoder, at = json.JSONDecoder(), _BETWEEN.match(text, 0).end()  # type: ignore[union-attr]
    if not text.startswith("[", at):
        raise ValueError("not a JSON array")
    at += 1
    items: list[tuple[Any, int]] = []
    line, counted = 1, 0
    while True:
        at = _BETWEEN.match(text, at).end()  # type: ignore[union-attr]
        if text.startswith("]", at):
            return items
        item, end = decoder.raw_decode(text, at)
        line, counted = line + text.count("\n", counted, at), at
        items.append((item, line))
        at = end


@source(
    "alerts",
    "prometheus-alerts.json (v1.4+ bundles): per alert: alertname, state (firing/pending), "
    "severity, labels, summary, description (annotations), annotations, active_at, value",
)
def build_alerts(src: Sources) -> list[dict[str, Any]]:
    path = src.layout.first_file("prometheus_alerts", src.bundle.files())
    if path is None:
        raise SourceMissing(
            "prometheus-alerts.json is not in the bundle (collected since Harvester v1.4 "
            "when the monitoring add-on runs)",
            REGENERATE,
        )
    limit = src.bundle.limits.max_parse_size
    try:
        if src.bundle.size(path) > limit:
            raise ValueError(f"over the {limit >> 20} MiB parsing limit")
        with src.bundle.open(path) as stream:
            text = stream.read(limit + 1).decode("utf-8", "replace")
        items = _array_items(text)
    except READ_ERRORS as exc:
        src.note(f"{path}: cannot read ({exc})")
        raise SourceMissing(f"{path} cannot be read", REGENERATE) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        src.note(f"{path}: not the JSON list of alerts expected ({why})")
        raise SourceMissing(f"{path} is not a JSON list of alerts ({why})", REGENERATE) from None
    records = []
    for alert, line in items:
        if not isinstance(alert, dict):
            src.note(f"{path}:{line}: not an alert object, skipped")
            continue
        labels = _field(alert, "Labels")
        annotations = _field(alert, "Annotations")
        labels = labels if isinstance(labels, dict) else {}
        annotations = annotations if isinstance(annotations, dict) else {}
        record = {
            "alertname": _text(labels.get("alertname")),
            "state": _text(_field(alert, "State")),
            "severity": _text(labels.get("severity")),
            "labels": labels,
            "summary": _text(annotations.get("summary")),
            "description": _text(annotations.get("description") or annotations.get("message")),
            "annotations": annotations,
            "active_at": _text(alert.get("activeAt")),
            "value": _field(alert, "Value"),
        }
        excerpt = (
            f"alert {record['alertname']} ({record['severity']}) {record['state']} since "
            f"{record['active_at']}: {record['summary'] or record['description']}"
        )
        records.append(src.remember(record, path, line, excerpt))
    return records
