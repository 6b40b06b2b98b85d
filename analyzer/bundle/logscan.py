"""One streaming pass over a log file for every pattern that wants it.

Patterns run in RE2 (google-re2): matching is linear in the input whatever the pattern, so a
rule shared by another team cannot hang the analysis with catastrophic backtracking, and RE2
matches within one line by construction (``never_nl``), as grep does.

A log is read in blocks of whole lines, never as a whole: memory stays bounded by the block
size whatever the file size, and a line longer than ``MAX_LINE`` (a binary blob, a 300 MB line
without a newline) is cut there and the rest of it skipped.

Each block goes through two stages:
1. one search for all the literals the file's patterns require (one of which every match of
   a pattern contains; taken from the patterns themselves), by a multi-literal engine whose
   speed hardly depends on their number (see literals.py): most blocks hold none of them
   and stop here;
2. a search with each pattern whose literal occurred (and each pattern without any), to
   find its lines and groups.
Adding patterns therefore adds little to the cost of reading a file.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Hashable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import re2

from analyzer.bundle.literals import LiteralSet

try:  # Python >= 3.11 keeps the regex parser here; 3.10 has the (now deprecated) module
    from re import _constants as sre_constants
    from re import _parser as sre_parse
except ImportError:  # pragma: no cover
    import sre_constants  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

# Reads of 256 KiB: larger ones are freed back to the OS and faulted in again by the
# allocator at each block (measured: 1 MiB blocks double the page faults and take 8% longer).
BLOCK = 256 * 1024
MAX_LINE = 64 * 1024
# Hits kept per pattern: the first and the last ones (the latest state is usually what
# matters, the first shows when it began); all of them are counted.
KEEP_FIRST = 100
KEEP_LAST = 100
EXCERPT = 1000
#: shorter literals are too common in logs to filter anything out
_MIN_LITERAL = 3


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


def required_literals(text: str) -> frozenset[bytes] | None:
    """Literals one of which every match of ``text`` contains, or None if none is known.

    The pattern is read with Python's own regex parser (RE2 syntax is close enough for the
    literal parts; a pattern it cannot read simply gets no prefilter).
    """
    try:
        parsed = sre_parse.parse(text)
    except (re.error, RecursionError, OverflowError, ValueError):
        return None
    if parsed.state.flags & re.IGNORECASE:
        return None
    best = _best_literals(list(parsed))
    return frozenset(s.encode() for s in best) if best else None


def _best_literals(items: list) -> frozenset[str] | None:
    """The most selective requirement in a sequence of regex items (see required_literals)."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []
    for op, av in [*items, (None, None)]:
        if op is sre_constants.LITERAL:
            run.append(chr(av))
            continue
        if run:
            candidates.append(frozenset({"".join(run)}))
            run = []
        if op is sre_constants.SUBPATTERN:
            found = _best_literals(list(av[-1]))
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT) and av[0] >= 1:
            found = _best_literals(list(av[2]))
        elif op is sre_constants.BRANCH:
            branches = [_best_literals(list(branch)) for branch in av[1]]
            found = frozenset().union(*branches) if all(branches) else None  # type: ignore[arg-type]
        else:
            found = None
        if found:
            candidates.append(found)
    usable = [c for c in candidates if min(len(s) for s in c) >= _MIN_LITERAL]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(len(s) for s in c), -len(c)))


@dataclass(frozen=True)
class LogPattern:
    regex: re2._Regexp
    exclude: re2._Regexp | None = None
    #: one of these occurs in every line the pattern matches (None: unknown)
    literals: frozenset[bytes] | None = None


@dataclass(frozen=True)
class LogHit:
    path: str
    line: int
    text: str
    groups: dict[str, str | None]
    #: where the match lies in ``text`` (characters), for reports to highlight it
    span: tuple[int, int] = (0, 0)


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

    def merge(self, other: HitSink) -> None:
        """Add the hits of a later file: counts add up, the first and last ones stay kept."""
        for hit in other.hits():
            self.add(hit)
        self.count += other.count - len(other.hits())


def line_blocks(stream: BinaryIO) -> Iterator[tuple[int, bytes, int, int]]:
    """(number of the first line, data, start, end): ``data[start:end]`` is whole lines.

    Blocks are the chunks read, not copies of them: only a line that straddles two chunks
    is joined into a small block of its own. Callers search ``data`` between start and end.
    """
    lineno = 1
    carry = b""
    skipping = False  # inside an overlong line whose head was already yielded
    while True:
        data = stream.read(BLOCK)
        if not data:
            break
        start = 0
        if skipping:
            newline = data.find(b"\n")
            if newline < 0:
                continue
            start, skipping = newline + 1, False
        elif carry:
            newline = data.find(b"\n")
            if newline < 0:
                carry += data
            else:
                head = carry + data[: newline + 1]
                carry, start = b"", newline + 1
                yield lineno, head, 0, len(head)
                lineno += head.count(b"\n")
        if not carry:
            cut = data.rfind(b"\n", start)
            if cut >= start:
                yield lineno, data, start, cut + 1
                lineno += data.count(b"\n", start, cut + 1)
                start = cut + 1
            carry = data[start:]
        if len(carry) > MAX_LINE:
            head = carry[:MAX_LINE] + b"\n"
            yield lineno, head, 0, len(head)
            lineno += 1
            carry = b""
            skipping = True
    if carry:
        yield lineno, carry + b"\n", 0, len(carry) + 1


def _decode(raw: bytes) -> str:
    return raw.decode("utf-8", "replace").rstrip("\r")[:EXCERPT]


@dataclass(frozen=True)
class _Plan:
    """How to scan a file for one combination of patterns."""

    keys: tuple[Hashable, ...]
    literals: LiteralSet | None  # every literal of every pattern that has some
    by_literal: tuple[tuple[int, ...], ...]  # literal index -> indexes of its patterns
    always: tuple[int, ...]  # patterns without literals: searched in every block


class Scanner:
    """Scans files for sets of patterns; the plan for each pattern combination is kept.

    Not shared between threads or processes: give each its own.
    """

    def __init__(self) -> None:
        self._plans: dict[tuple[Hashable, ...], _Plan] = {}

    def _plan_for(self, patterns: dict[Hashable, LogPattern]) -> _Plan:
        keys = tuple(patterns)
        plan = self._plans.get(keys)
        if plan is None:
            words: dict[bytes, list[int]] = {}
            always = []
            for index, pattern in enumerate(patterns.values()):
                if not pattern.literals:
                    always.append(index)
                for word in sorted(pattern.literals or ()):
                    words.setdefault(word, []).append(index)
            plan = self._plans[keys] = _Plan(
                keys,
                LiteralSet(list(words)) if words else None,
                tuple(tuple(indexes) for indexes in words.values()),
                tuple(always),
            )
        return plan

    def scan(
        self,
        stream: BinaryIO,
        path: str,
        patterns: dict[Hashable, LogPattern],
        sinks: dict[Hashable, HitSink],
    ) -> None:
        """Add every pattern's hits in ``stream`` to its sink; one hit per line and pattern."""
        plan = self._plan_for(patterns)
        for first_line, data, start, end in line_blocks(stream):
            wanted = set(plan.always)
            if plan.literals is not None:
                for found in plan.literals.occurring(data, start, end):
                    wanted.update(plan.by_literal[found])
            for index in sorted(wanted):
                key = plan.keys[index]
                sink = sinks.setdefault(key, HitSink())
                _search_block(data, start, end, first_line, path, patterns[key], sink)


def _search_block(
    data: bytes,
    start: int,
    end: int,
    first_line: int,
    path: str,
    pattern: LogPattern,
    sink: HitSink,
) -> None:
    pos = start
    counted_to, counted_lines = start, 0  # newlines are counted incrementally
    while True:
        match = pattern.regex.search(data, pos, end)
        # An empty match can sit at ``end``, after the last line: not a line of the block.
        if match is None or match.start() >= end:
            return
        line_start = data.rfind(b"\n", start, match.start()) + 1 or start
        line_end = data.find(b"\n", match.start(), end)
        pos = line_end + 1
        if pattern.exclude is not None and pattern.exclude.search(data, line_start, line_end):
            continue
        counted_lines += data.count(b"\n", counted_to, line_start)
        counted_to = line_start
        groups = {
            (name.decode() if isinstance(name, bytes) else name): (
                value.decode("utf-8", "replace") if value is not None else None
            )
            for name, value in match.groupdict().items()
        }
        text = _decode(data[line_start:line_end])
        span = (_chars(data[line_start : match.start()]), _chars(data[line_start : match.end()]))
        sink.add(LogHit(path, first_line + counted_lines, text, groups, _clamp(span, len(text))))


def _chars(raw: bytes) -> int:
    return len(raw.decode("utf-8", "replace"))


def _clamp(span: tuple[int, int], length: int) -> tuple[int, int]:
    return (min(span[0], length), min(span[1], length))


def lines_at(stream: BinaryIO, wanted: set[int]) -> dict[int, str]:
    """The text of the lines numbered ``wanted``, numbered as the scanner numbers them.

    Reads no further than the last line wanted; overlong lines are cut as in a scan."""
    found: dict[int, str] = {}
    last = max(wanted, default=0)
    for first_line, data, start, end in line_blocks(stream):
        count = data.count(b"\n", start, end)
        if any(first_line <= n < first_line + count for n in wanted):
            for offset, raw in enumerate(data[start:end].split(b"\n")[:count]):
                if first_line + offset in wanted:
                    found[first_line + offset] = _decode(raw)
        if first_line + count > last:
            break
    return found


def scan(
    stream: BinaryIO,
    path: str,
    patterns: dict[Hashable, LogPattern],
    sinks: dict[Hashable, HitSink],
) -> None:
    """One file, once: a convenience over ``Scanner`` for callers with a single file."""
    Scanner().scan(stream, path, patterns, sinks)
