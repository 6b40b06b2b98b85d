"""A rule's log matcher: which files of which log sources, the pattern, and its window.

One matcher may read several sources as one (``source: [node_logs, pod_logs]``): the same
error is logged by a process that runs on the host in one cluster and in a pod in another,
and one list of hits, counted against ``min`` together, is what the rule means. ``files``
is then a list of globs tried against every source's logical names, or a mapping giving each
source its own globs (a node named like a namespace cannot match a glob meant for pods).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from analyzer.bundle.logscan import LogPattern, PatternError, compile_pattern, required_literals
from analyzer.rulefacts import Window, parse_duration
from analyzer.ruleschema import AddProblem, suggest
from analyzer.sources import LOG_SOURCES


@dataclass(frozen=True)
class LogMatcher:
    """A regex over the lines of the log files whose logical names match ``files``."""

    name: str
    #: log source -> the globs over its logical names, in the order the rule gave them
    files: dict[str, tuple[str, ...]]
    pattern: str
    regex: LogPattern
    min: int
    optional: bool
    file_regex: dict[str, re.Pattern[str]]
    within: Window | None = None

    def wants(self, source: str, logical_name: str) -> bool:
        return self.file_regex[source].match(logical_name) is not None


def glob_to_regex(pattern: str) -> str:
    """``*`` stays within one path segment, ``**`` crosses them, ``?`` is one character."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return "".join(out)


def _globs(value: Any) -> tuple[str, ...] | None:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(g, str) for g in value):
        return tuple(value)
    return None


def _files(entry: dict[str, Any], where: str, add: AddProblem) -> dict[str, tuple[str, ...]]:
    """source -> globs, or {} after reporting why not."""
    names = [entry["source"]] if isinstance(entry["source"], str) else entry["source"]
    sources = list(dict.fromkeys(names))
    for source in sources:
        if source not in LOG_SOURCES:
            add(f"{where}.source", f"'{source}' is not one of {', '.join(LOG_SOURCES)}")
            return {}
    files = entry["files"]
    if not isinstance(files, dict):
        globs = _globs(files)
        assert globs is not None  # the schema checked the shape
        return dict.fromkeys(sources, globs)
    result = {}
    for source, value in files.items():
        if source not in sources:
            add(
                f"{where}.files.{source}",
                f"'{source}' is not a source of this matcher{suggest(str(source), sources)}",
            )
        elif (globs := _globs(value)) is None:
            add(f"{where}.files.{source}", "must be a glob or a list of globs")
        else:
            result[source] = globs
    for source in sources:
        if source not in files:
            add(f"{where}.files", f"no globs for '{source}'")
    return result if len(result) == len(sources) else {}


def parse_log_matcher(entry: dict[str, Any], where: str, add: AddProblem) -> LogMatcher | None:
    """The matcher of a ``logs[]`` entry whose shape the schema accepted, or None after
    reporting what is wrong under ``where``."""
    files = _files(entry, where, add)
    compiled = {}
    for key in ("pattern", "exclude"):
        if entry.get(key) is None:
            continue
        try:
            compiled[key] = compile_pattern(entry[key])
        except PatternError as exc:
            add(f"{where}.{key}", f"invalid regex: {exc}")
    if not files or "pattern" not in compiled:
        return None
    span = parse_duration(entry.get("within"))
    return LogMatcher(
        name=entry["name"],
        files=files,
        pattern=entry["pattern"],
        regex=LogPattern(
            compiled["pattern"], compiled.get("exclude"), required_literals(entry["pattern"])
        ),
        min=entry.get("min") or 1,
        optional=bool(entry.get("optional")),
        file_regex={
            source: re.compile("|".join(f"(?:{glob_to_regex(g)})$" for g in globs))
            for source, globs in files.items()
        },
        within=Window(entry["within"], span) if span else None,
    )
