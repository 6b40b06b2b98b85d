"""Scalars of the canonical YAML style: quotes closed, escapes read, lines folded, literal
blocks cut to their indentation, as YAML 1.1 says and libyaml does. The reader
(analyzer/bundle/fastyaml.py) finds where a scalar starts and ends; these turn its text into
the value's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: a plain scalar cannot start with these
NOT_PLAIN_START = frozenset("&*!|>'\"%@`{[#?,]}")
#: "no value yet", apart from None, which is one
NO_VALUE = object()


class NotCanonical(Exception):
    """Outside the style the fast reader reads: use the general parser."""


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


def literal_header(header: str) -> tuple[str, int]:
    chomp, step = "", 0
    for char in header[1:]:
        if char in "+-" and not chomp:
            chomp = char
        elif char.isdigit() and char != "0" and not step:
            step = int(char)
        else:
            raise NotCanonical
    return chomp, step


def literal(header: str, lines: list[str], indent: int) -> str:
    chomp, step = literal_header(header)
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


def closing(fragment: str, quote: str) -> int:
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


def fold(lines: list[str]) -> str:
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


def fold_quoted(fragments: list[str], quote: str) -> str:
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
    return text.replace("''", "'") if quote == "'" else unescape(text)


def unescape(raw: str) -> str:
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


@dataclass(slots=True)
class OpenScalar:
    """A scalar that may go on over the next lines; its value is stored once it ends."""

    kind: str  # the quote, the ``|`` header, or "" for a plain scalar
    container: Any
    key: Any
    indent: int
    lines: list[Any]  # for quoted scalars, None once the closing quote is seen


def is_entry(text: str) -> bool:
    """Whether the rest of a "- " line starts a mapping ("- key: value")."""
    first = text[0]
    if first == "'" or first == '"':
        end = closing(text[1:], first) + 1
        return end > 0 and text[end + 1 : end + 2] == ":" and text[end + 2 : end + 3] in (" ", "")
    if first in NOT_PLAIN_START:
        return False
    return ": " in text or text.endswith(":")


def split_key(body: str, plain: Any, typed: Any, str_tag: str) -> tuple[Any, str]:
    first = body[0]
    if first == "'" or first == '"':
        end = closing(body[1:], first) + 1
        if end < 1 or body[end + 1 : end + 2] != ":":
            raise NotCanonical
        raw = body[1:end]
        key = raw.replace("''", "'") if first == "'" else unescape(raw)
        return typed(key, str_tag), body[end + 2 :]
    if first in NOT_PLAIN_START:
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


def scalar_value(
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
        end = closing(text[1:], first)
        if end < 0:
            return None, (first, [text[1:]])
        if text[end + 2 :].strip(" "):
            raise NotCanonical
        raw = text[1 : end + 1]
        return typed(raw.replace("''", "'") if first == "'" else unescape(raw), str_tag), None
    if first == "|":
        literal_header(text)
        return None, (text, [])
    if first in NOT_PLAIN_START or (first == "-" and text[1:2] in (" ", "")):
        raise NotCanonical
    if " #" in text or ": " in text or text[-1] == ":":
        raise NotCanonical
    text = text.rstrip(" ")
    return plain(text), ("", [text])


def extend(scalar: OpenScalar, line: str, body: str) -> bool:
    """Add a line to an open scalar; False if the scalar was closed before it."""
    kind, parts = scalar.kind, scalar.lines
    if kind == "'" or kind == '"':
        if parts[-1] is None:
            return False  # the closing quote was on an earlier line
        end = closing(body, kind)
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


def finish(scalar: OpenScalar, typed: Any, str_tag: str) -> Any:
    """The value of a scalar once its last line is known; NO_VALUE if it stayed as first set."""
    kind, parts = scalar.kind, scalar.lines
    if kind == "":
        while not parts[-1]:
            parts.pop()
        return typed(fold(parts), None) if len(parts) > 1 else NO_VALUE
    if kind == "'" or kind == '"':
        if parts[-1] is not None:
            raise NotCanonical  # never closed
        return typed(fold_quoted(parts[:-1], kind), str_tag)
    return typed(literal(kind, parts, scalar.indent), str_tag)
