"""The output formats by name, apart from the renderers, so the command line can offer them
without importing the renderers and their dependencies (start-up time)."""

from __future__ import annotations

from pathlib import Path

from analyzer.errors import AnalyzerError

#: "text" is the terminal summary (colour only when asked for)
FORMATS = ("md", "html", "json", "text")
#: for CI, not for people: `analyze -f junit` or `-o report.xml` (no golden per fixture)
CI_FORMATS = ("junit",)
#: what --explain writes
EXPLAIN_FORMATS = ("text", "md", "json")
#: what `rules graph` writes
GRAPH_FORMATS = ("mermaid", "dot")

#: other names a user types for a format (any case): -f markdown, -f txt
ALIASES = {"markdown": "md", "htm": "html", "txt": "text", "xml": "junit"}


def canonical(name: str) -> str | None:
    """The format ``name`` stands for (``Markdown`` -> ``md``), or None."""
    name = name.lower()
    return ALIASES.get(name, name if name in (*FORMATS, *CI_FORMATS) else None)


#: a file's extension -> the format written to it
SUFFIX_FORMATS = {f".{name}": canonical(name) for name in (*FORMATS, *ALIASES)}


def format_of(path: Path) -> str | None:
    """The format ``path``'s extension names (``report.HTML`` -> ``html``), or None."""
    return SUFFIX_FORMATS.get(path.suffix.lower())


def output_format(output: Path, fmt: str | None) -> str:
    """The format written to ``output``: -f, else its extension's; an error, before the
    bundle is read, when neither says (a report.yaml is not silently Markdown)."""
    fmt = fmt or format_of(output)
    if fmt is None:
        raise AnalyzerError(
            f"cannot tell the format of {str(output)!r} from its extension: "
            f"use {', '.join(SUFFIX_FORMATS)}, or give -f"
        )
    return fmt
