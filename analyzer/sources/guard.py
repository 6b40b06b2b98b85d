"""What a source does with a value it did not expect: skip the object, or fail alone.

Any field of any object in a bundle may have the wrong type (a string ``nodeInfo``, an int
name, null anywhere). Builders are written for the objects Kubernetes writes, not against
every odd value; instead, ``Sources`` runs each build under a ``BuildGuard``. When a build
raises, the guard finds the object the builder was reading (the innermost record in the
failing frames that a source handed out), and the build runs again without it: that object
is skipped, with a note naming its file and line. When no such object can be found, or too
many were skipped, the source fails as a whole (``SourceBroken``): the rules that read it
end as ``error`` naming the file, and every other rule runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from analyzer.errors import AnalyzerError
from analyzer.report import Evidence
from analyzer.sources.citations import Citations

#: objects one source may skip before it is given up on: each skip costs a rebuild
MAX_SKIPPED = 20
#: records built by a source's failed attempts before it is given up on: this bounds what
#: rebuilding costs (20 rebuilds of a 200,000-pod dump would take minutes), and being a
#: count, not a time, keeps the report the same on every run
MAX_WASTED = 100_000
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_LONGEST = 300


@dataclass
class Attempt:
    """One run of a builder: the records it remembered (forgotten again if it fails: they
    die with it) and the files it parsed."""

    key: str
    refs: list[Any] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


class BuildGuard:
    """Runs source builders; remembers the objects skipped, for every later reader."""

    def __init__(self, note: Callable[[str], None], missing: type[Exception]) -> None:
        self._note = note
        # A missing input is the builder's own answer; an AnalyzerError (TMPDIR full, say)
        # is about the run, not the source, and ends it with one line: both pass through.
        self._passed = (missing, AnalyzerError)
        self._attempts: list[Attempt] = []  # builds under way, innermost last
        # id -> the object skipped: held, so that its id is never another object's
        self._skipped: dict[int, Any] = {}

    def run(
        self,
        key: str,
        build: Callable[[], Any],
        refs: Citations,
        broken: Callable[[str], Exception],
    ) -> Any:
        """``build()``; where it fails on an object, again without that object. ``refs``
        are the records handed out so far; ``broken(reason)`` makes the source's failure."""
        skipped = wasted = 0
        while True:
            attempt = Attempt(key)
            self._attempts.append(attempt)
            try:
                return build()
            except self._passed:
                _forget(attempt, refs)
                raise
            # Whatever a value of the wrong type or range makes a builder raise.
            except Exception as exc:
                # Not a record this build made: skipping it would not change the next try.
                found = culprit(exc, refs, {id(r) for r in attempt.refs})
                _forget(attempt, refs)
                why = describe(exc)
                wasted += len(attempt.refs)
                if (
                    found is None
                    or id(found[0]) in self._skipped
                    or skipped >= MAX_SKIPPED
                    or wasted > MAX_WASTED
                ):
                    where = found[1].location() if found else files_named(attempt.paths)
                    raise broken(f"source {key} could not be read from {where}: {why}") from None
                self._skipped[id(found[0])] = found[0]
                skipped += 1
                self._note(f"{found[1].location()}: {found[1].excerpt} skipped ({key}: {why})")
            finally:
                self._attempts.pop()

    def remembered(self, record: Any) -> None:
        """A record was handed out by the build under way."""
        if self._attempts:
            self._attempts[-1].refs.append(record)

    def reading(self, path: str) -> None:
        """A file was parsed for the builds under way."""
        for attempt in self._attempts:
            attempt.paths.append(path)

    def without(self, values: Any) -> Any:
        """A source's list without the records skipped since it was built."""
        if self._skipped and isinstance(values, list):
            return [v for v in values if id(v) not in self._skipped]
        return values


def _forget(attempt: Attempt, refs: Citations) -> None:
    # The failed build's records die with it: the table need not keep them alive.
    for record in attempt.refs:
        refs.drop(record)


def describe(exc: BaseException) -> str:
    """The exception as one short line: no control characters from bundle values, bounded."""
    text = _CONTROL.sub(" ", f"{type(exc).__name__}: {exc}").strip()
    return text if len(text) <= _LONGEST else text[: _LONGEST - 3] + "..."


def culprit(exc: BaseException, refs: Citations, made: set[int]) -> tuple[Any, Evidence] | None:
    """The record the failing code was reading: the innermost local of the traceback that is
    a record a source handed out (an object of a YAML dump, a record of another source),
    other than those ``made`` by the failing build itself."""
    frames = []
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame)
        tb = tb.tb_next
    for frame in reversed(frames):
        for value in frame.f_locals.values():
            where = refs.get(value) if isinstance(value, dict) else None
            if where is not None and id(value) not in made:
                return value, where
    return None


def files_named(paths: list[str]) -> str:
    """A few of the files a source read, for a message."""
    unique = sorted(set(paths))
    if not unique:
        return "the bundle"
    shown = ", ".join(unique[:3])
    return shown + (f" and {len(unique) - 3} more" if len(unique) > 3 else "")
