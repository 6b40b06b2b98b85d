"""A rule's prose (message, remediation) cut into blocks, once for every output format.

Rule texts are YAML block scalars and templates wrapped at ~100 columns. GitHub (and GitLab)
show each newline inside a paragraph as a line break, so a wrapped paragraph reads as ragged
lines in a ticket: the lines of a paragraph or a list item are joined here, and the renderers
write one line per paragraph. Blank lines still separate paragraphs, ``- `` starts a list
item, and a fenced block (```` ``` ```` or ``~~~``, an optional language) is kept line for
line: commands to copy are written that way.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass

_FENCE = re.compile(r"^(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+-]*)[ \t]*$")


@dataclass(frozen=True)
class Block:
    #: "p" a paragraph, "li" a list item (consecutive ones make one list), "code" a fenced block
    kind: str
    #: p, li: the text on one line; code: its lines, dedented
    text: str
    #: code: the language named after the opening fence ("" if none)
    language: str = ""


def _closes(line: str, fence: str) -> bool:
    # CommonMark: a closing fence is a run of the same character at least as long.
    stripped = line.strip()
    return stripped.startswith(fence) and set(stripped) == {fence[0]}


def prose_blocks(text: str) -> list[Block]:
    """``text`` as paragraphs, list items and code blocks, in order."""
    blocks: list[Block] = []
    joined: list[tuple[str, list[str]]] = []  # p/li blocks being built: (kind, lines)
    open_one: list[str] | None = None  # the lines of the paragraph or item being read
    lines = text.strip("\n").split("\n")
    index = 0

    def flush() -> None:
        for kind, parts in joined:
            blocks.append(Block(kind, " ".join(parts)))
        joined.clear()

    while index < len(lines):
        stripped = lines[index].strip()
        fence = _FENCE.match(stripped)
        index += 1
        if fence:
            body = []
            while index < len(lines) and not _closes(lines[index], fence[1]):
                body.append(lines[index])
                index += 1
            index += 1  # the closing fence; an unclosed block ends with the text
            flush()
            code = textwrap.dedent("\n".join(body)).strip("\n")
            blocks.append(Block("code", code, fence[2]))
            open_one = None
        elif not stripped:
            open_one = None
        elif stripped.startswith("- "):
            open_one = [stripped[2:].strip()]
            joined.append(("li", open_one))
        elif open_one is None:
            open_one = [stripped]
            joined.append(("p", open_one))
        else:
            open_one.append(stripped)
    flush()
    return [b for b in blocks if b.text or b.kind == "code"]
