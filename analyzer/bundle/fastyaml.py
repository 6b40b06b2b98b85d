"""A fast path for the YAML the collector writes: one emitter, one canonical block style.

support-bundle-kit dumps objects with Go's YAML marshaller: block mappings and sequences,
sequences at their key's indentation (or deeper), ``{}`` and ``[]`` for empty collections,
plain, single- and double-quoted scalars (long ones folded onto continuation lines), and
``|`` literal blocks. Reading that line by line, with a stack of open containers, costs a
fraction of going through libyaml's event objects, and lets ``managedFields`` be skipped by
indentation alone (a third of a pods.yaml: its lines are passed over, checking only the
outline of the value, so a document malformed deeper inside it alone is read where libyaml
would refuse it; everywhere else both agree).

Anything outside that style (flow collections with content, anchors, aliases, tags,
comments, tabs, folded ``>`` blocks, directives, a document that is not a mapping ...)
raises NotCanonical, and the caller parses the file with the general event parser. Values
are typed by the caller's function, the same as on that path, so both give the same objects;
tests compare them on every file of a real bundle and on generated documents.

The state between lines is named (``_Reader``): the open containers and their indentation,
a key whose value is on the next lines, a scalar that may go on, a skipped value. Each line
goes through the steps of ``_Reader.read`` in order: it may continue a scalar begun above,
lie inside a skipped value, open the container of a ``key:`` or ``-`` above, close
containers, be a sequence entry, and then a mapping entry. The steps most lines take run in
place, on locals: as methods, on attributes, they made the parse of a pods.yaml 10 to 17 %
slower (benchmarks/fastyaml_speed.py); the rare ones (a scalar over lines, a quoted key or
value, a scalar entry) are methods. Scalar syntax is in analyzer/bundle/yamlscalars.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from analyzer.bundle.yamlscalars import (
    NO_VALUE,
    NOT_PLAIN_START,
    NotCanonical,
    OpenScalar,
    extend,
    finish,
    is_entry,
    scalar_value,
    split_key,
)

__all__ = ["BudgetSpent", "NotCanonical", "parse"]

# a plain scalar value starting with these (or with "-") goes the long way
_NOT_FAST_VALUE = NOT_PLAIN_START | {" ", "-"}


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
    reader = _Reader(typed, str_tag, skipped, item_lines, budget)
    for block in _blocks(text):
        reader.read(block.split("\n"))
    return reader.document(text)


class _Reader:
    """The state between lines: the open containers, a pending key, an open scalar, a
    skipped value. Memos of typed scalars live as long as the reader: dumps repeat values."""

    __slots__ = (
        "containers",
        "indents",
        "item_lines",
        "last_plain",
        "left",
        "memo",
        "number",
        "pending",
        "quoted",
        "root",
        "scalar",
        "skip_at",
        "skip_inner",
        "skip_is_sequence",
        "skipped",
        "str_tag",
        "typed",
    )

    def __init__(
        self,
        typed: Any,
        str_tag: str,
        skipped: frozenset[str],
        item_lines: list[int] | None,
        budget: int,
    ) -> None:
        self.typed, self.str_tag = typed, str_tag
        self.skipped, self.item_lines = skipped, item_lines
        self.left = budget
        self.memo: dict[str, Any] = {}  # plain scalars, typed
        self.quoted: dict[str, Any] = {}  # quoted scalars without escapes, typed
        self.root: dict[Any, Any] = {}
        # The open containers, outermost (the root mapping) first, and the indentation of
        # each one's entries. A container's depth is its index: the root's values are at 1,
        # the items of its "items:" at 2. Two lists, not a list of records: a container
        # opens every few lines, and making an object for each costs a tenth of the parse.
        self.containers: list[Any] = [self.root]
        self.indents: list[int] = [0]
        # The key (or index) of the innermost container whose value, if any, is on the next
        # lines ("key:", "-").
        self.pending: Any = NO_VALUE
        self.scalar: OpenScalar | None = None
        # The last plain scalar read in place when a block ends: the next block's first
        # line may continue it.
        self.last_plain: OpenScalar | None = None
        # Inside the value of a skipped key written at skip_at: its lines are passed over,
        # checking only the outline (the first line's indentation and kind) as libyaml would.
        self.skip_at = self.skip_inner = -1
        self.skip_is_sequence = False
        self.number = 0

    def read(self, lines: list[str]) -> None:
        """Read these lines, the next of the document."""
        memo, typed, skipped, item_lines = self.memo, self.typed, self.skipped, self.item_lines
        no_value = NO_VALUE  # a local: read on every line
        containers, indents = self.containers, self.indents
        number, pending, scalar = self.number, self.pending, self.scalar
        # The innermost open container, read on every line.
        top, top_at = containers[-1], indents[-1]
        top_is_sequence = top.__class__ is list
        skip_at, skip_inner, skip_is_sequence = self.skip_at, self.skip_inner, self.skip_is_sequence
        left = self.left
        # The last one-line plain scalar, stored already, that the next lines may fold onto:
        # an OpenScalar if one does, but most are not continued, and no object is made for
        # them (the hot state of this loop is in locals; attributes cost more).
        last_in: Any = None
        last_key: Any = None
        last_at, last_text = 0, ""
        if self.last_plain is not None:
            last = self.last_plain
            last_in, last_key, last_at, last_text = (
                last.container,
                last.key,
                last.indent,
                last.lines[0],
            )
        for line in lines:
            number += 1
            body = line.lstrip(" ")
            at = len(line) - len(body)
            if last_in is not None:
                if not body or at > last_at:
                    scalar = OpenScalar("", last_in, last_key, last_at, [last_text])
                last_in = None
            if scalar is not None:
                if self._continue_scalar(scalar, line, body, at):
                    continue
                scalar = None
            if not body:
                continue
            is_item = body[0] == "-" and body[1:2] in (" ", "")
            if skip_at >= 0:
                # Inside a skipped value (a third of a pods.yaml's lines: in place, no call),
                # checking its outline: its first line sets the indentation and kind of all.
                if at > skip_at or (at == skip_at and is_item):
                    if skip_inner < 0:
                        skip_inner, skip_is_sequence = at, is_item
                    elif at < skip_inner or (at == skip_inner and is_item is not skip_is_sequence):
                        raise NotCanonical
                    continue
                skip_at = skip_inner = -1
            if pending is not no_value:
                # The line under "key:" or "-" (pending, its index) opens its container, or
                # that value was null.
                if at > top_at or (at == top_at and is_item and not top_is_sequence):
                    child: Any = [] if is_item else {}
                    left -= 4
                    top[pending] = child
                    if item_lines is not None and top_is_sequence and len(containers) == 2:
                        item_lines.append(number)
                    containers.append(child)
                    indents.append(at)
                    top, top_at, top_is_sequence = child, at, is_item
                else:
                    left -= 1
                pending = no_value
            if left < 0:
                raise BudgetSpent
            if top_at != at or top_is_sequence is not is_item:
                # Close the containers this line is outside of; it must fit the one it is in.
                while top_at > at or (top_at == at and top_is_sequence and not is_item):
                    containers.pop()
                    indents.pop()
                    if not containers:
                        raise NotCanonical
                    top, top_at = containers[-1], indents[-1]
                    top_is_sequence = top.__class__ is list
                if top_at != at or top_is_sequence is not is_item:
                    raise NotCanonical
            if is_item:
                # An entry of the sequence on top. It may open containers on the same line
                # ("- - x", "- key: value"), each becoming the top with the rest of the line;
                # in place, as the entry of every list of objects.
                while True:
                    rest = body[1:].lstrip(" ")
                    if not rest:
                        body = ""
                        break
                    if rest[0] == "-" and rest[1:2] in (" ", ""):
                        child: Any = []
                    elif is_entry(rest):
                        child = {}
                    else:
                        body = rest
                        break
                    left -= 4
                    top.append(child)
                    if item_lines is not None and len(containers) == 2:
                        item_lines.append(number)
                    at += len(body) - len(rest)
                    containers.append(child)
                    indents.append(at)
                    top, top_at, body = child, at, rest
                    top_is_sequence = child.__class__ is list
                    if not top_is_sequence:
                        break
                if top_is_sequence:
                    if body:  # the line ends in a scalar entry
                        scalar = self._scalar_entry(top, body, at)
                        left -= 1
                    else:  # "-" alone: its value, if any, is on the next lines
                        top.append(None)
                        pending = len(top) - 1
                    continue
            # A mapping entry. The common one, "key: value" with both plain, is read here.
            colon = body.find(": ")
            if colon < 0 and body[-1] == ":":
                colon = len(body) - 1  # "key:", its value on the next lines
            if colon > 0 and body[0] not in NOT_PLAIN_START:
                key_text = body[:colon]
                if " #" in key_text or key_text[-1] == " ":
                    raise NotCanonical
                try:  # keys repeat more than values: a miss (and its exception) is rare
                    key = memo[key_text]
                except KeyError:
                    key = memo[key_text] = typed(key_text, None)
                rest = body[colon + 2 :]
                if not rest and colon + 1 < len(body):
                    raise NotCanonical  # "key: " and only spaces: leave it to libyaml
            else:
                key, rest = self._quoted_key(body)
            left -= 1
            skip = key in skipped and len(containers) > 1
            if not rest:
                if skip:
                    skip_at = at
                else:
                    top[key] = None  # until a nested block says otherwise
                    pending = key
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
                value = memo.get(rest, no_value)
                if value is no_value:
                    value = memo[rest] = typed(rest, None)
                target[key] = value
                last_in, last_key, last_at, last_text = target, key, at, rest
                continue
            scalar = self._mapping_value(target, key, rest, at)
        self.number, self.pending, self.left, self.scalar = number, pending, left, scalar
        self.skip_at, self.skip_inner, self.skip_is_sequence = skip_at, skip_inner, skip_is_sequence
        self.last_plain = None
        if last_in is not None:
            self.last_plain = OpenScalar("", last_in, last_key, last_at, [last_text])

    def document(self, text: str) -> tuple[Any, int]:
        """The document once every line is read, and the budget left."""
        if self.scalar is not None:
            self._store(self.scalar)
        if self.left < 0:
            raise BudgetSpent
        if not self.root and not text.strip(" \n"):
            return None, self.left
        return self.root, self.left

    # -- the steps of a line that read() calls, in the order it takes them ----------------
    def _continue_scalar(self, scalar: OpenScalar, line: str, body: str, at: int) -> bool:
        """Whether the open scalar takes this line; if not, it ends and is stored."""
        if (not body or at > scalar.indent) and extend(scalar, line, body):
            return True
        self._store(scalar)
        return False

    def _scalar_entry(self, sequence: list[Any], text: str, at: int) -> OpenScalar | None:
        """Append the scalar an entry ("- text") starts; it, if it may go on below."""
        value, open_lines = scalar_value(text, self._plain, self.typed, self.str_tag)
        sequence.append(value)
        if open_lines is None:
            return None
        return OpenScalar(open_lines[0], sequence, len(sequence) - 1, at, open_lines[1])

    def _quoted_key(self, body: str) -> tuple[Any, str]:
        """A mapping entry whose key is not plain, or a plain key the in-place read left."""
        key, rest = split_key(body, self._plain, self.typed, self.str_tag)
        if rest:
            if rest[0] != " ":
                raise NotCanonical
            rest = rest[1:]
        return key, rest

    def _mapping_value(self, target: Any, key: Any, rest: str, at: int) -> OpenScalar | None:
        """Store a value that is not plain on one line: quoted, a literal block, {} or [];
        it, if it may go on below."""
        quote = rest[0]
        if (quote == '"' or quote == "'") and rest[-1] == quote and len(rest) > 1:
            inner = rest[1:-1]
            if quote not in inner and "\\" not in inner:  # no escapes to read
                value = self.quoted.get(inner, NO_VALUE)
                if value is NO_VALUE:
                    value = self.quoted[inner] = self.typed(inner, self.str_tag)
                target[key] = value
                return None
        rest = rest.lstrip(" ")
        if not rest:
            raise NotCanonical
        value, open_lines = scalar_value(rest, self._plain, self.typed, self.str_tag)
        target[key] = value
        if open_lines is None:
            return None
        return OpenScalar(open_lines[0], target, key, at, open_lines[1])

    def _plain(self, value: str) -> Any:
        found = self.memo.get(value, NO_VALUE)
        if found is NO_VALUE:
            found = self.memo[value] = self.typed(value, None)
        return found

    def _store(self, scalar: OpenScalar) -> None:
        value = finish(scalar, self.typed, self.str_tag)
        if value is not NO_VALUE:
            scalar.container[scalar.key] = value


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
