"""Escaping for the Markdown report, one function per context, and the Jinja environment
that makes escaping the default.

Contexts: inline text (``md_text``, one line), prose (``md_prose``: paragraphs and ``- ``
lists kept), a code span (``md_code_span``), a table cell (``md_cell``), a link (``md_link``),
text inside the report's own raw HTML (``md_html``), a fenced block of log lines
(``md_context``). Each returns :class:`MdSafe`. The environment's ``finalize`` passes MdSafe
through and escapes anything else as inline text, so a value written without a filter is
over-escaped at worst, never live (a ``<img onerror>``, a ``javascript:`` link, a ``|`` that
splits a table row, a backtick run that opens a code span nobody closes).

The input is plain text in which backticks mark code spans (rule messages use them): spans
are found by CommonMark's rule (a run of n backticks closes only at the next run of exactly
n) and written again by ``md_code_span``; every other character that CommonMark or GFM would
act on is escaped. "<1.5.0" and ">= 1.32" stay as typed: only what could start a tag, an
entity or a blockquote is touched there, so the raw text still reads well in Jira.
"""

from __future__ import annotations

import bisect
import re
from typing import Any

import jinja2
from markupsafe import escape

from analyzer.render.escape import link_target, visible
from analyzer.render.prose import prose_blocks


class MdSafe(str):
    """Markdown that an escaping function produced: written to the report as it is."""

    __slots__ = ()


# -- inline text --------------------------------------------------------------------------------
_INLINE = re.compile(
    r"[\\`*~\[\]|]"  # escapes, code, emphasis, strikethrough, links and images, table cells
    r"|(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])"  # emphasis; snake_case stays as typed
    r"|<(?=[A-Za-z/!?]|$)"  # a tag, comment, autolink; "<1.5" is no tag
    r"|&(?=#?[A-Za-z0-9]+;|$)"  # an entity such as &lt; (shown as typed, not decoded)
)
#: what makes a line something else than a paragraph, after at most one space (inline text
#: has no more): a heading, a blockquote, a bullet or ordered list item, a setext underline
#: or thematic break made of "-" or "=". The rest (fences, tables, HTML blocks, link
#: definitions, "***" and "___" breaks) cannot start with what ``_inline`` leaves.
_LINE_START = re.compile(
    r"^( ?)(?:(#)(?=#{0,5}(?:[ \t]|$))|(>)|([-+])(?=[ \t]|$)|([-=])(?=[-= \t]*$))"
    r"|^( ?\d{1,9})([.)])(?=[ \t]|$)"
)
_BACKTICKS = re.compile(r"`+")


def _inline(text: str) -> str:
    # A backslash escape, never an entity: GitHub shows "\<" as "<", while an entity such as
    # "&lt;" is shown as typed wherever a viewer does not decode it (Jira, e-mail, the raw text).
    return _INLINE.sub(lambda match: "\\" + match.group(), text)


def _line_start(line: str) -> str:
    def one(m: re.Match[str]) -> str:
        if m[6] is not None:
            return f"{m[6]}\\{m[7]}"
        return f"{m[1]}\\{m[2] or m[3] or m[4] or m[5]}"

    return _LINE_START.sub(one, line, count=1)


def _code_spans(text: str) -> list[tuple[bool, str]]:
    """``text`` cut into (is_code, part): backtick runs pair as CommonMark pairs them (the
    same length, not part of a longer run); an unpaired run is plain text."""
    runs = [(m.start(), m.end()) for m in _BACKTICKS.finditer(text)]
    by_length: dict[int, list[int]] = {}
    for index, (start, end) in enumerate(runs):
        by_length.setdefault(end - start, []).append(index)
    parts: list[tuple[bool, str]] = []
    last, index = 0, 0
    # Each run is looked up once by bisect: a line of distinct run lengths stays O(n log n).
    while index < len(runs):
        start, end = runs[index]
        same = by_length[end - start]
        at = bisect.bisect_right(same, index)
        if at == len(same):
            index += 1  # unpaired: its backticks are plain text
            continue
        close = same[at]
        parts.append((False, text[last:start]))
        parts.append((True, text[end : runs[close][0]]))
        last = runs[close][1]
        index = close + 1
    parts.append((False, text[last:]))
    return [part for part in parts if part[1] or part[0]]


def _escape_line(text: str) -> str:
    """One line of text: code spans rewritten, the rest escaped."""
    out = [md_code_span(part) if code else _inline(part) for code, part in _code_spans(text)]
    return _line_start("".join(out))


def md_text(text: Any) -> MdSafe:
    """Inline text on one line (line breaks become spaces): for headings, list items, cells."""
    if isinstance(text, MdSafe):
        return text
    # Whitespace runs become one space, kept at the ends: ", " between two values stays.
    return MdSafe(_escape_line(re.sub(r"\s+", " ", visible(text))))


def md_cell(text: Any) -> MdSafe:
    """A table cell. Inline text is already one line with its pipes escaped, and code spans
    carry none (``md_code_span``), so a cell keeps its row's column count."""
    return md_text(text)


def md_prose(text: Any) -> MdSafe:
    """A rule's message or remediation: a paragraph or ``- `` list item per line (GitHub shows
    each newline as a break, so wrapped lines are joined), fenced blocks kept line for line."""
    out: list[str] = []
    previous = ""
    for block in prose_blocks(visible(text)):
        if block.kind == "code":
            line = fenced(block.text.split("\n"), block.language, "")
        else:
            line = ("- " if block.kind == "li" else "") + _prose_line(block.text)
        # List items follow each other; anything else is set apart by a blank line.
        out.append(("\n" if block.kind == previous == "li" else "\n\n") + line)
        previous = block.kind
    return MdSafe("".join(out).lstrip("\n"))


def _prose_line(text: str) -> str:
    """One paragraph on one line: code spans kept (prose is never in a table, so a pipe in a
    code span stays as written), the rest escaped."""
    out = [_code(part, cell=False) if code else _inline(part) for code, part in _code_spans(text)]
    return _line_start("".join(out))


def fenced(lines: list[str], language: str, indent: str) -> str:
    """Lines in a fenced block: the fence is longer than any backtick run inside, and nothing
    inside a fence is read as Markdown or HTML."""
    longest = max((len(run) for line in lines for run in _BACKTICKS.findall(line)), default=0)
    fence = "`" * max(3, longest + 1)
    return "\n".join(indent + line for line in [fence + language, *lines, fence])


# -- code, links, raw HTML ------------------------------------------------------------------------
def md_code_span(text: Any) -> MdSafe:
    """An inline code span that closes whatever ``text`` holds: its fence is longer than any
    backtick run inside. Whitespace runs become one space (a line break could end the list
    item around it); a pipe becomes ``¦``, since GitHub splits table cells even inside code,
    and inline text may stand in a table cell."""
    return _code(text, cell=True)


def _code(text: Any, cell: bool) -> MdSafe:
    value = " ".join(visible(text).split())
    if cell:
        value = value.replace("|", "¦")
    if not value:
        return MdSafe("` `")
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space each side when both are there: padding keeps a backtick at
    # either end from joining the fence.
    pad = " " if value.startswith("`") or value.endswith("`") or longest else ""
    return MdSafe(f"{fence}{pad}{value}{pad}{fence}")


def md_link(url: Any) -> MdSafe:
    """A reference: an autolink when it is an http(s) URL, else shown as code, not linked."""
    target = link_target(url)
    return MdSafe(f"<{target}>") if target else md_code_span(url)


def md_html(text: Any) -> MdSafe:
    """Text inside the report's own HTML (``<summary>``): Markdown is not read there, so it is
    HTML-escaped, on one line (a blank line would end the HTML block)."""
    return MdSafe(str(escape(" ".join(visible(text).split()))))


def md_context(window: Any, indent: str) -> MdSafe:
    """Cited log lines with the lines around them (one evidence, or a window that several of
    the same file share, see :func:`evidence_windows`): a fenced block, line numbers in front,
    each cited line marked ``>``. A line break inside a line (which would end the fence's list
    item, and so the fence) becomes a space."""
    window = window if isinstance(window, tuple) else (window,)
    numbered: dict[int, tuple[str, str]] = {}
    for e in window:
        for i, text in enumerate(e.before):
            numbered.setdefault(e.line - len(e.before) + i, (" ", text))
        for i, text in enumerate(e.after):
            numbered.setdefault(e.line + 1 + i, (" ", text))
    for e in window:
        numbered[e.line] = (">", e.excerpt)
    width = len(str(max(numbered)))
    lines = [
        f"{n:>{width}} {mark} {visible(text).replace(chr(10), ' ')}"
        for n, (mark, text) in sorted(numbered.items())
    ]
    return MdSafe(fenced(lines, "text", indent))


def evidence_windows(evidence: Any) -> list[tuple[Any, ...]]:
    """Evidence grouped for the Markdown report: log lines of the same file whose context
    windows overlap or touch share one block (so no line is printed twice), at the place of
    the first; an object or a line without context stands alone."""
    groups: list[list[Any]] = []
    for e in evidence:
        if (e.before or e.after) and e.line:
            start, end = e.line - len(e.before), e.line + len(e.after)
            for group in groups:
                last = group[-1]
                if last.path == e.path and (last.before or last.after) and last.line:
                    g_start = min(x.line - len(x.before) for x in group)
                    g_end = max(x.line + len(x.after) for x in group)
                    if start <= g_end + 1 and g_start <= end + 1:
                        group.append(e)
                        break
            else:
                groups.append([e])
        else:
            groups.append([e])
    return [tuple(sorted(g, key=lambda x: x.line)) if len(g) > 1 else (g[0],) for g in groups]


# -- the environment ------------------------------------------------------------------------------
def _finalize(value: Any) -> Any:
    """Every ``{{ value }}`` of a Markdown template: escaped as inline text unless an escaping
    function made it; an absent ``else`` branch stays empty."""
    if isinstance(value, (MdSafe, jinja2.Undefined)):
        return value
    return md_text(value)


def md_template(text: Any) -> MdSafe:
    """The output of one of the template's own macros: its values were escaped as it rendered
    them (finalize applies inside macros too), so it is written as it is."""
    return MdSafe(text)


FILTERS = {
    "md_text": md_text,
    "md_prose": md_prose,
    "md_code": md_code_span,
    "md_cell": md_cell,
    "md_link": md_link,
    "md_html": md_html,
    "md_context": md_context,
    "evidence_windows": evidence_windows,
    "md_template": md_template,
}


def markdown_environment(loader: jinja2.BaseLoader) -> jinja2.Environment:
    """The Jinja environment of the Markdown report: escaping by default, filters for each
    context."""
    env = jinja2.Environment(
        loader=loader,
        autoescape=False,  # HTML autoescaping would be the wrong escaping for Markdown
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(FILTERS)
    return env
