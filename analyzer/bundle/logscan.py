"""One streaming pass over a log file for every pattern that wants it.

A log is read in blocks of whole lines, never as a whole: memory stays bounded by the block
size whatever the file size, and a line longer than ``MAX_LINE`` (a binary blob, a 300 MB line
without a newline) is cut there and the rest of it skipped. Patterns run over whole blocks in
the regex engine rather than line by line in Python, which is what makes the pass cheap; a hit
is then mapped back to its line number and text. Matching is per line, as grep does: a match
that would run across a newline is retried within its first line.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

BLOCK = 1024 * 1024
MAX_LINE = 64 * 1024
# Hits kept per pattern: the first and the last ones (the latest state is usually what
# matters, the first shows when it began); all of them are counted.
KEEP_FIRST = 100
KEEP_LAST = 100
EXCERPT = 1000


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


def scan(
    stream: BinaryIO,
    path: str,
    patterns: dict[Hashable, re.Pattern[bytes]],
    sinks: dict[Hashable, HitSink],
) -> None:
    """Add every pattern's hits in ``stream`` to its sink; at most one hit per line and pattern."""
    for first_line, block in line_blocks(stream):
        for key, regex in patterns.items():
            sink = sinks.setdefault(key, HitSink())
            pos = 0
            counted_to, counted_lines = 0, 0  # newlines are counted incrementally
            while True:
                match = regex.search(block, pos)
                if match is None:
                    break
                start = block.rfind(b"\n", 0, match.start()) + 1
                end = block.find(b"\n", match.start())
                if match.end() > end:
                    match = regex.search(block, match.start(), end)
                    if match is None:
                        pos = end + 1
                        continue
                counted_lines += block.count(b"\n", counted_to, start)
                counted_to = start
                groups = {
                    name: (value.decode("utf-8", "replace") if value is not None else None)
                    for name, value in match.groupdict().items()
                }
                sink.add(
                    LogHit(path, first_line + counted_lines, _decode(block[start:end]), groups)
                )
                pos = end + 1
