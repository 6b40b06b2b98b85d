"""Logical sources: the named facts rules query, mapped to where a bundle keeps them.

Rules never name paths. They read ``nodes``, ``apiservers``, ``objects."longhorn.io/volumes"``,
the hits of their log matchers, and so on. Each source is registered by name: a function
(``@source``) in cluster.py or workloads.py, or a log source in logs.py; where their files
are in a bundle is a layout map (layout.py). core.py builds them on demand, once, and
remembers where every record came from so evidence can cite file and line.
"""

from analyzer.sources import (  # noqa: F401 - registers the builders
    alerts,
    cluster,
    kind,
    kube,
    logs,
    storage,
    upgrade,
    virt,
    workloads,
)
from analyzer.sources.core import KIND_KEY, SOURCES, Sources, open_sources
from analyzer.sources.logs import LOG_SOURCES
from analyzer.sources.missing import SourceBroken, SourceMissing


def sources_table() -> str:
    """The sources rules can read, as a Markdown table, from the registries themselves."""
    rows = ["| source | what it holds |", "|---|---|"]
    rows += [f"| `{name}` | {_cell(src.description)} |" for name, src in sorted(SOURCES.items())]
    rows += [f"| `{name}` (logs) | {_cell(log.description)} |" for name, log in LOG_SOURCES.items()]
    return "\n".join(rows)


def _cell(text: str) -> str:
    # Our own words, but "<node>" in them would read as an HTML tag, "|" as a column.
    return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


__all__ = [
    "KIND_KEY",
    "LOG_SOURCES",
    "SOURCES",
    "SourceBroken",
    "SourceMissing",
    "Sources",
    "logs",
    "open_sources",
    "sources_table",
]
