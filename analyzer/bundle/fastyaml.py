"""A fast path for the YAML the collector writes: one emitter, one canonical block style.

support-bundle-kit dumps objects with Go's YAML marshaller: block mappings and sequences,
sequences at their key's indentation (or deeper), ``{}`` and ``[]`` for empty collections,
plain, single- and double-quoted scalars (long ones folded onto continuation lines), and
``|`` literal blocks. Reading that line by line, in one loop with a stack of open containers,
costs a fraction of going through libyaml's event objects, and lets ``managedFields`` be
skipped by indentation alone (a third of a pods.yaml: its lines are passed over, checking
only the outline of the value, so a document malformed deeper inside it alone is read where
libyaml would refuse it; everywhere else both agree).

Anything outside that style (flow collections with content, anchors, aliases, tags,
comments, tabs, folded ``>`` blocks, directives, a document that is not a mapping ...)
raises NotCanonical, and the caller parses the file with the general event parser. Values
are typed by the caller's function, the same as on that path, so both give the same objects;
tests compare them on every file of a real bundle and on generated documents.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

_NOT_PLAIN_START = frozenset("&*!|>'\"%@`{[#?,]}")
_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "t": "\t",
    "\t": "\t",
    "n": "\n",
    "v": "\v",
    "f": "\f",
    "r": "\r",
    "e": "\x1b",
    " ": " ",
    '"': '"',
    "/": "/",
    "\\": "\\",
    "N": "\x85",
    "_": "\xa0",
    "L": "\u2028",
    "P": "\u2029",
}
_HEX = {"x": 2, "u": 4, "U": 8}
_NO_VALUE = object()
# a plain scalar value starting with these (or with "-") goes the long way
_NOT_FAST_VALUE = _NOT_PLAIN_START | {" ", "-"}


class NotCanonical(Exception):
    """Outside the style this parser reads: use the general parser."""


class BudgetSpent(Exception):
    """More values than the parse budget allows."""


def parse(
    text: str,
    typed: Any,
    str_tag: str,
    skipped: frozenset[str],
    item_lines: list[int] | None,
    budget: int,
) -> tuple[Any, int]:
    """(the document, budget left). NotCanonical if ``text`` is outside the canonical style,
    BudgetSpent past the budget (a container counts 4, a scalar 1, as in the event parser).
    ``item_lines`` gets the line of each container in a sequence under the root mapping."""
    if "\t" in text or "\r" in text:
        raise NotCanonical
    memo: dict[str, Any] = {}  # plain scalars and quoted ones, typed: dumps repeat values
    quoted: dict[str, Any] = {}

    def plain(value: str) -> Any:
        found = memo.get(value, _NO_VALUE)
        if found is _NO_VALUE:
            found = memo[value] = typed(value, None)
        return found

    left = budget
    root: dict[Any, Any] = {}
    # The innermost open container in locals (the loop reads them on every line), the ones
    # around it on a stack: (indent, container, is a sequence, depth; the root mapping is 0).
    top_at, top, top_seq, top_depth = 0, root, False, 0
    stack: list[tuple[int, Any, bool, int]] = []
    pending: tuple[Any, Any, int, int] | None = None  # "key:" or "-" awaiting its value
    scalar: list[Any] | None = None  # a scalar over lines: [kind, container, key, indent, lines]
    # The last one-line plain scalar (stored already) that the next lines may continue.
    last_in: Any = None
    last_key: Any = None
    last_at = 0
    last_text = ""
    # Inside the value of a skipped key written at skip_at: lines are passed over, checking
    # only the outline (the indent of the value's first line, its kind) as libyaml would.
    skip_at = -1
    skip_inner = -1
    skip_seq = False
    number = 0
    for block in _blocks(text):
        for line in block.split("\n"):
            number += 1
            body = line.lstrip(" ")
            at = len(line) - len(body)
            if last_in is not None:
                if not body or at > last_at:
                    scalar = ["", last_in, last_key, last_at, [last_text]]
                last_in = None
            if scalar is not None:
                if (not body or at > scalar[3]) and _extend(scalar, line, body):
                    continue
                value = _finish(scalar, typed, str_tag)
                if value is not _NO_VALUE:
                    scalar[1][scalar[2]] = value
                scalar = None
            if not body:
                continue
            is_item = body[0] == "-" and body[1:2] in (" ", "")
            if skip_at >= 0:
                if at > skip_at or (at == skip_at and is_item):
                    if skip_inner < 0:
                        skip_inner, skip_seq = at, is_item
                    elif at < skip_inner or (at == skip_inner and is_item is not skip_seq):
                        raise NotCanonical
                    continue
                skip_at = skip_inner = -1
            if pending is not None:
                container, key, indent, depth = pending
                pending = None
                in_sequence = container.__class__ is list
                if at > indent or (at == indent and is_item and not in_sequence):
                    child: Any = [] if is_item else {}
                    left -= 4
                    container[key] = child
                    stack.append((top_at, top, top_seq, top_depth))
                    top_at, top, top_seq, top_depth = at, child, is_item, depth
                    if item_lines is not None and in_sequence and depth == 2:
                        item_lines.append(number)
                else:
                    left -= 1
            if left < 0:
                raise BudgetSpent
            if top_at != at or top_seq is not is_item:
                while top_at > at or (top_at == at and top_seq and not is_item):
                    if not stack:
                        raise NotCanonical
                    top_at, top, top_seq, top_depth = stack.pop()
                if top_at != at or top_seq is not is_item:
                    raise NotCanonical
            if is_item:
                # An entry of the sequence on top; it may open containers on the same line
                # ("- - x", "- key: value"), each becoming the top with the rest of the line.
                while True:
                    rest = body[1:].lstrip(" ")
                    if not rest:
                        top.append(None)
                        pending = (top, len(top) - 1, at, top_depth + 1)
                        break
                    if rest[0] == "-" and rest[1:2] in (" ", ""):
                        child = []
                    elif _is_entry(rest):
                        child = {}
                    else:
                        left -= 1
                        value, open_lines = _scalar_value(rest, plain, typed, str_tag)
                        top.append(value)
                        if open_lines is not None:
                            scalar = [open_lines[0], top, len(top) - 1, at, open_lines[1]]
                        break
                    left -= 4
                    top.append(child)
                    if item_lines is not None and top_depth == 1:
                        item_lines.append(number)
                    stack.append((top_at, top, top_seq, top_depth))
                    at += len(body) - len(rest)
                    top_at, top, top_seq, top_depth = (
                        at,
                        child,
                        child.__class__ is list,
                        top_depth + 1,
                    )
                    body = rest
                    if not top_seq:
                        break
                if top_seq:
                    continue  # the line ended in the sequence: a scalar entry or an empty "-"
            # A mapping entry. The common one, "key: value" with both plain, is read in place.
            colon = body.find(": ")
            if colon < 0 and body[-1] == ":":
                colon = len(body) - 1  # "key:", its value on the next lines
            if colon > 0 and body[0] not in _NOT_PLAIN_START:
                key_text = body[:colon]
                if " #" in key_text or key_text[-1] == " ":
                    raise NotCanonical
                key = memo.get(key_text, _NO_VALUE)
                if key is _NO_VALUE:
                    key = memo[key_text] = typed(key_text, None)
                rest = body[colon + 2 :]
                if not rest and colon + 1 < len(body):
                    raise NotCanonical  # "key: " and only spaces: leave it to libyaml
            else:
                key, rest = _split_key(body, plain, typed, str_tag)
                if rest:
                    if rest[0] != " ":
                        raise NotCanonical
                    rest = rest[1:]
            left -= 1
            skip = top_depth > 0 and key in skipped
            if not rest:
                if skip:
                    skip_at = at
                else:
                    top[key] = None  # until a nested block says otherwise
                    pending = (top, key, at, top_depth + 1)
                continue
            target = {} if skip else top
            left -= 1
            if (
                rest[0] not in _NOT_FAST_VALUE
                and " #" not in rest
                and ": " not in rest
                and rest[-1] != ":"
                and rest[-1] != " "
            ):
                value = memo.get(rest, _NO_VALUE)
                if value is _NO_VALUE:
                    value = memo[rest] = typed(rest, None)
                target[key] = value
                last_in, last_key, last_at, last_text = target, key, at, rest
                continue
            quote = rest[0]
            if (quote == '"' or quote == "'") and rest[-1] == quote and len(rest) > 1:
                inner = rest[1:-1]
                if quote not in inner and "\\" not in inner:  # no escapes to read
                    value = quoted.get(inner, _NO_VALUE)
                    if value is _NO_VALUE:
                        value = quoted[inner] = typed(inner, str_tag)
                    target[key] = value
                    continue
            rest = rest.lstrip(" ")
            if not rest:
                raise NotCanonical
            value, open_lines = _scalar_value(rest, plain, typed, str_tag)
            target[key] = value
            if open_lines is not None:
                scalar = [open_lines[0], target, key, at, open_lines[1]]
    if scalar is not None:
        value = _finish(scalar, typed, str_tag)
        if value is not _NO_VALUE:
            scalar[1][scalar[2]] = value
    if left < 0:
        raise BudgetSpent
    if not root and not text.strip(" \n"):
        return None, left
    return root, left


def _blocks(text: str, size: int = 1 << 20) -> Iterator[str]:
    """``text`` in pieces of about ``size`` cut at newlines, so that their lines are the
    lines of ``text``: splitting a whole file at once would hold every line of it in memory
    before the first one is read (20 bytes of YAML per line become 60 of Python strings)."""
    start = 0
    while True:
        end = text.find("\n", start + size)
        if end < 0:
            yield text[start:]
            return
        yield text[start:end]
        start = end + 1


def _is_entry(text: str) -> bool:
    """Whether the rest of a "- " line starts a mapping ("- key: value")."""
    first = text[0]
    if first == "'" or first == '"':
        end = _closing(text[1:], first) + 1
        return end > 0 and text[end + 1 : end + 2] == ":" and text[end + 2 : end + 3] in (" ", "")
    if first in _NOT_PLAIN_START:
        return False
    return ": " in text or text.endswith(":")


def _split_key(body: str, plain: Any, typed: Any, str_tag: str) -> tuple[Any, str]:
    first = body[0]
    if first == "'" or first == '"':
        end = _closing(body[1:], first) + 1
        if end < 1 or body[end + 1 : end + 2] != ":":
            raise NotCanonical
        raw = body[1:end]
        key = raw.replace("''", "'") if first == "'" else _unescape(raw)
        return typed(key, str_tag), body[end + 2 :]
    if first in _NOT_PLAIN_START:
        raise NotCanonical
    at = body.find(": ")
    if at < 0:
        if body[-1:] != ":":
            raise NotCanonical
        at = len(body) - 1
    key = body[:at]
    if not key or " #" in key or key[-1] == " ":
        raise NotCanonical
    return plain(key), body[at + 1 :]


def _scalar_value(
    text: str, plain: Any, typed: Any, str_tag: str
) -> tuple[Any, tuple[str, list[str]] | None]:
    """(the value, None), or for a scalar that may go on over the next lines (its value so
    far, (its kind: the quote, the ``|`` header or "" for plain, its lines so far))."""
    first = text[0]
    if first == "{" or first == "[":
        if text == "{}":
            return {}, None
        if text == "[]":
            return [], None
        raise NotCanonical
    if first == "'" or first == '"':
        end = _closing(text[1:], first)
        if end < 0:
            return None, (first, [text[1:]])
        if text[end + 2 :].strip(" "):
            raise NotCanonical
        raw = text[1 : end + 1]
        return typed(raw.replace("''", "'") if first == "'" else _unescape(raw), str_tag), None
    if first == "|":
        _literal_header(text)
        return None, (text, [])
    if first in _NOT_PLAIN_START or (first == "-" and text[1:2] in (" ", "")):
        raise NotCanonical
    if " #" in text or ": " in text or text[-1] == ":":
        raise NotCanonical
    text = text.rstrip(" ")
    return plain(text), ("", [text])


def _extend(scalar: list[Any], line: str, body: str) -> bool:
    """Add a line to an open scalar; False if the scalar was closed before it."""
    kind, parts = scalar[0], scalar[4]
    if kind == "'" or kind == '"':
        if parts[-1] is None:
            return False  # the closing quote was on an earlier line
        end = _closing(body, kind)
        if end < 0:
            parts.append(body)
            return True
        if body[end + 1 :].strip(" "):
            raise NotCanonical
        parts.append(body[:end])
        parts.append(None)
        return True
    if kind == "":
        if body and (
            body[0] == "#"
            or body[:2] in ("- ", "-")
            or " #" in body
            or ": " in body
            or body[-1] == ":"
        ):
            raise NotCanonical
        parts.append(body.rstrip(" "))
        return True
    parts.append(line)  # a literal block keeps its lines whole
    return True


def _finish(scalar: list[Any], typed: Any, str_tag: str) -> Any:
    """The value of a scalar once its last line is known; _NO_VALUE if it stayed as first set."""
    kind, parts = scalar[0], scalar[4]
    if kind == "":
        while not parts[-1]:
            parts.pop()
        return typed(_fold(parts), None) if len(parts) > 1 else _NO_VALUE
    if kind == "'" or kind == '"':
        if parts[-1] is not None:
            raise NotCanonical  # never closed
        return typed(_fold_quoted(parts[:-1], kind), str_tag)
    return typed(_literal(kind, parts, scalar[3]), str_tag)


def _literal_header(header: str) -> tuple[str, int]:
    chomp, step = "", 0
    for char in header[1:]:
        if char in "+-" and not chomp:
            chomp = char
        elif char.isdigit() and char != "0" and not step:
            step = int(char)
        else:
            raise NotCanonical
    return chomp, step


def _literal(header: str, lines: list[str], indent: int) -> str:
    chomp, step = _literal_header(header)
    width = indent + step if step else 0
    content: list[str] = []
    for line in lines:
        body = line.lstrip(" ")
        at = len(line) - len(body)
        if not body:
            if at > width:
                raise NotCanonical  # spaces past (or before) the indentation: libyaml decides
            content.append("")
            continue
        width = width or at
        if at < width:
            raise NotCanonical
        content.append(line[width:])
    trailing = 0
    while content and content[-1] == "":
        content.pop()
        trailing += 1
    text = "\n".join(content)
    if chomp == "-":
        return text
    if chomp == "+":
        return text + "\n" * (trailing + 1) if content else "\n" * trailing
    return text + "\n" if content else ""


def _closing(fragment: str, quote: str) -> int:
    """Where ``quote`` closes the scalar in this fragment of it, or -1."""
    at = fragment.find(quote)
    while at >= 0:
        if quote == "'":
            if fragment[at + 1 : at + 2] != "'":
                return at
            at = fragment.find(quote, at + 2)  # '' is an escaped quote
            continue
        backslashes = at - len(fragment[:at].rstrip("\\"))
        if backslashes % 2 == 0:
            return at
        at = fragment.find(quote, at + 1)  # \" is an escaped quote
    return -1


def _fold(lines: list[str]) -> str:
    """Line folding of flow scalars: a break is a space, each empty line a newline."""
    out = [lines[0]]
    empty = 0
    for line in lines[1:]:
        if not line:
            empty += 1
            continue
        out.append("\n" * empty if empty else " ")
        out.append(line)
        empty = 0
    return "".join(out)


def _fold_quoted(fragments: list[str], quote: str) -> str:
    """A quoted scalar over several lines: each break folds to a space (a newline per empty
    line), spaces around breaks go, and in double quotes an escaped break joins the lines."""
    out: list[str] = []
    empty = 0
    escaped_break = False
    last = len(fragments) - 1
    for k, fragment in enumerate(fragments):
        if k < last:
            trailing_escape = len(fragment) - len(fragment.rstrip("\\"))
            if quote == '"' and trailing_escape % 2:
                piece, next_escaped = fragment[:-1], True
            else:
                piece, next_escaped = fragment.rstrip(" "), False
        else:
            piece, next_escaped = fragment, False
        if 0 < k < last and not piece and not next_escaped:
            empty += 1
            continue
        if k and not escaped_break:
            out.append("\n" * empty if empty else " ")
        out.append(piece)
        empty = 0
        escaped_break = next_escaped
    text = "".join(out)
    return text.replace("''", "'") if quote == "'" else _unescape(text)


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        code = raw[i + 1 : i + 2]
        if code in _ESCAPES:
            out.append(_ESCAPES[code])
            i += 2
        elif code in _HEX:
            digits = raw[i + 2 : i + 2 + _HEX[code]]
            try:
                if len(digits) != _HEX[code]:
                    raise ValueError
                out.append(chr(int(digits, 16)))
            except ValueError:
                raise NotCanonical from None
            i += 2 + _HEX[code]
        else:
            raise NotCanonical
    return "".join(out)
