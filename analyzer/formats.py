"""The output formats by name, apart from the renderers, so the command line can offer them
without importing the renderers and their dependencies (start-up time)."""

from __future__ import annotations

from pathlib import Path

#: "text" is the terminal summary (colour only when asked for)
FORMATS = ("md", "html", "json", "text")
#: what --explain writes
EXPLAIN_FORMATS = ("text", "md", "json")
#: what `rules graph` writes
GRAPH_FORMATS = ("mermaid", "dot")

#: other names a user types for a format (any case): -f markdown, -f txt
ALIASES = {"markdown": "md", "htm": "html", "txt": "text"}


def canonical(name: str) -> str | None:
    """The format ``name`` stands for (``Markdown`` -> ``md``), or None."""
    name = name.lower()
    return ALIASES.get(name, name if name in FORMATS else None)


#: a file's extension -> the format written to it
SUFFIX_FORMATS = {f".{name}": canonical(name) for name in (*FORMATS, *ALIASES)}


def format_of(path: Path) -> str | None:
    """The format ``path``'s extension names (``report.HTML`` -> ``html``), or None."""
    return SUFFIX_FORMATS.get(path.suffix.lower())
