"""One streaming pass over a log file for every pattern that wants it.

Patterns run in RE2 (google-re2): matching is linear in the input whatever the pattern, so a
rule shared by another team cannot hang the analysis with catastrophic backtracking, and RE2
matches within one line by construction (``never_nl``), as grep does.

A log is read in blocks of whole lines, never as a whole: memory stays bounded by the block
size whatever the file size, and a line longer than ``MAX_LINE`` (a binary blob, a 300 MB line
without a newline) is cut there and the rest of it skipped. Each block is first run through an
RE2 set of all the file's patterns, one pass that says which patterns occur in it at all; only
those are then searched to find their lines. Adding patterns therefore adds little to the
cost of reading the file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import re2

BLOCK = 1024 * 1024
MAX_LINE = 64 * 1024
# Hits kept per pattern: the first and the last ones (the latest state is usually what
# matters, the first shows when it began); all of them are counted.
KEEP_FIRST = 100
KEEP_LAST = 100
EXCERPT = 1000


class PatternError(ValueError):
    """A pattern RE2 cannot compile (the message says why)."""


def _options() -> re2.Options:
    options = re2.Options()
    options.log_errors = False  # errors are raised, not written to stderr
    options.never_nl = True  # a match never spans lines
    return options


def compile_pattern(text: str) -> re2._Regexp:
    """A log pattern: ``^`` and ``$`` are line anchors, and a match stays within one line."""
    try:
        return re2.compile(b"(?m)" + text.encode("utf-8"), options=_options())
    except re2.error as exc:
        message = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if "(?!" in text or "(?=" in text or "(?<" in text.replace("(?P<", ""):
            message += " (lookarounds are not supported: use the matcher's exclude: instead)"
        raise PatternError(message) from None


@dataclass(frozen=True)
class LogPattern:
    regex: re2._Regexp
    exclude: re2._Regexp | None = None


@dataclass(frozen=True)
class LogHit:
    path: str
    line: int
    text: str
    groups: dict[str, str | None]


@dataclass
class HitSink:
    """The hits of one pattern: a count and a bounded sample in file order."""

    count: int = 0
    first: list[LogHit] = field(default_factory=list)
    last: deque[LogHit] = field(default_factory=lambda: deque(maxlen=KEEP_LAST))

    def add(self, hit: LogHit) -> None:
        self.count += 1
        if len(self.first) < KEEP_FIRST:
            self.first.append(hit)
        else:
            self.last.append(hit)

    def hits(self) -> list[LogHit]:
        return self.first + list(self.last)


def line_blocks(stream: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """(number of the first line, block) pairs; each block ends with a newline."""
    lineno = 1
    carry = b""
    skipping = False  # inside an overlong line whose head was already yielded
    while True:
        data = stream.read(BLOCK)
        if not data:
            break
        if skipping:
            newline = data.find(b"\n")
            if newline < 0:
                continue
            data = data[newline + 1 :]
            skipping = False
        data = carry + data
        cut = data.rfind(b"\n")
        if cut < 0:
            carry = data
        else:
            block, carry = data[: cut + 1], data[cut + 1 :]
            yield lineno, block
            lineno += block.count(b"\n")
        if len(carry) > MAX_LINE:
            yield lineno, carry[:MAX_LINE] + b"\n"
            lineno += 1
            carry = b""
            skipping = True
    if carry:
        yield lineno, carry + b"\n"


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")[:EXCERPT]


class Scanner:
    """Scans files for sets of patterns; the RE2 set of each pattern combination is kept."""

    def __init__(self) -> None:
        self._sets: dict[tuple[Hashable, ...], re2.Set] = {}

    def _prefilter(self, patterns: dict[Hashable, LogPattern]) -> re2.Set:
        key = tuple(patterns)
        found = self._sets.get(key)
        if found is None:
            found = re2.Set.SearchSet(_options())
            for pattern in patterns.values():
                found.Add(pattern.regex.pattern)
            found.Compile()
            self._sets[key] = found
        return found

    def scan(
        self,
        stream: BinaryIO,
        path: str,
        patterns: dict[Hashable, LogPattern],
        sinks: dict[Hashable, HitSink],
    ) -> None:
        """Add every pattern's hits in ``stream`` to its sink; one hit per line and pattern."""
        keys = list(patterns)
        prefilter = self._prefilter(patterns)
        for first_line, block in line_blocks(stream):
            # Match gives the indices of the patterns found in the block, or None.
            for index in prefilter.Match(block) or ():
                key = keys[index]
                _search_block(
                    block, first_line, path, patterns[key], sinks.setdefault(key, HitSink())
                )


def _search_block(
    block: bytes, first_line: int, path: str, pattern: LogPattern, sink: HitSink
) -> None:
    pos = 0
    counted_to, counted_lines = 0, 0  # newlines are counted incrementally
    while True:
        match = pattern.regex.search(block, pos)
        if match is None:
            return
        start = block.rfind(b"\n", 0, match.start()) + 1
        end = block.find(b"\n", match.start())
        pos = end + 1
        if pattern.exclude is not None and pattern.exclude.search(block, start, end):
            continue
        counted_lines += block.count(b"\n", counted_to, start)
        counted_to = start
        groups = {
            (name.decode() if isinstance(name, bytes) else name): (
                value.decode("utf-8", "replace") if value is not None else None
            )
            for name, value in match.groupdict().items()
        }
        sink.add(LogHit(path, first_line + counted_lines, _decode(block[start:end]), groups))


def scan(
    stream: BinaryIO,
    path: str,
    patterns: dict[Hashable, LogPattern],
    sinks: dict[Hashable, HitSink],
) -> None:
    """One file, once: a convenience over ``Scanner`` for callers with a single file."""
    Scanner().scan(stream, path, patterns, sinks)
