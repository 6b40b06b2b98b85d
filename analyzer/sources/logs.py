"""Log sources: which files each holds, the one-pass scan of them for every rule, the hits.

Log hits are a logical source like the others: the engine says which patterns it wants over
which log source (``Matcher``), and gets back, per matcher, the hits as records that cite
their file and line. Every file is read once for all patterns (``ParallelScan`` shares the
work with helper processes), while this process builds the other sources the rules read and
a thread hashes the archive; the lines around the cited hits are read again at the end.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol

from analyzer.bundle import NESTED
from analyzer.bundle.logscan import HitSink, LogPattern, Scanner, lines_at
from analyzer.bundle.nestedtar import NestedTar, is_nested_tar
from analyzer.bundle.scanpool import ParallelScan
from analyzer.bundle.timestamps import iso, line_time
from analyzer.errors import BundleError
from analyzer.report import Evidence
from analyzer.sources.missing import READ_ERRORS, REGENERATE, SourceMissing, collect_pod_logs

if TYPE_CHECKING:
    from analyzer.sources.core import Sources


class Matcher(Protocol):
    """What the scan needs of a rule's log matcher: ``files`` are the globs per source."""

    files: dict[str, tuple[str, ...]]
    regex: LogPattern

    def wants(self, source: str, logical_name: str) -> bool: ...


@dataclass
class LogMatches:
    """What one matcher found: its hits, how many files it read, or why it has none."""

    sink: HitSink = field(default_factory=HitSink)
    files: int = 0
    missing: SourceMissing | None = None
    #: files that could not be read: a rule that did not fire cannot say "pass"
    unreadable: list[str] = field(default_factory=list)
    #: path -> the log source it was read as (a matcher may read several)
    source_of: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogSource:
    """One log source: ``files(sources)`` lists (logical name, path), sorted, or raises
    SourceMissing; ``origin(sources, path)`` says which node or pod a file belongs to;
    ``absent(sources, globs)`` explains a matcher that found no file, and how to get it."""

    description: str
    files: Callable[[Sources], list[tuple[str, str]]]
    origin: Callable[[Sources, str], dict[str, Any]]
    absent: Callable[[Sources, tuple[str, ...]], SourceMissing]


def _pod_log_files(src: Sources) -> list[tuple[str, str]]:
    prefix, name = src.layout.pod_logs, src.layout.pod_log_name
    files = sorted((logical, f) for f in src.bundle.files() if (logical := name(f)) is not None)
    if not files:
        raise SourceMissing(f"the bundle has no pod logs ({prefix})", REGENERATE)
    return files


def _pod_log_origin(src: Sources, path: str) -> dict[str, Any]:
    parts = (src.layout.pod_log_name(path) or "").split("/")
    if len(parts) >= 3:
        return {"namespace": parts[0], "pod": parts[1], "file": "/".join(parts[2:])}
    return {"file": path}


def _pod_logs_absent(src: Sources, globs: tuple[str, ...]) -> SourceMissing:
    # Logs are collected per namespace: a namespace with no log at all was not collected,
    # which a new bundle can fix; a pod that is not there may simply not run.
    collected = {logical.split("/", 1)[0] for logical, _ in src.log_files("pod_logs")}
    uncollected = sorted({g.split("/", 1)[0] for g in globs} - collected)
    reason = f"no pod_logs file matches {', '.join(globs)}"
    if uncollected and not any(c in "*?[" for c in "".join(uncollected)):
        names = ", ".join(uncollected)
        return SourceMissing(
            f"{reason} (the bundle has no pod logs of {names})",
            " ".join(collect_pod_logs(ns) for ns in uncollected),
        )
    return SourceMissing(reason)


def _node_log_files(src: Sources) -> list[tuple[str, str]]:
    files = []
    for node, prefix in src.require_node_zips().items():
        for path in src.node_files(node):
            name = src.layout.node_log_name(path[len(prefix) :])
            if name is not None:
                files.append((f"{node}/{name}", path))
    return sorted(files)


def _node_log_origin(src: Sources, path: str) -> dict[str, Any]:
    for node, prefix in src.node_roots().items():
        if path.startswith(prefix):
            return {"node": node, "file": src.layout.node_log_name(path[len(prefix) :]) or path}
    return {"node": None, "file": path}


def _scc_log_files(src: Sources) -> list[tuple[str, str]]:
    # supportconfig's scc/<name>.txz, read in place (analyzer/bundle/nestedtar.py): its text
    # files below the archive's one top folder, by node; an archive that cannot be read is
    # noted and skipped, the other nodes' are still read.
    files: dict[str, str] = {}
    for node, prefix in src.require_node_zips().items():
        for archive in src.node_files(node):
            if not (archive.startswith(prefix + "scc/") and is_nested_tar(archive)):
                continue
            try:
                members = src.bundle.nested(archive).files()
            except BundleError as exc:
                src.note(str(exc))
                continue
            for member in members:
                if member.endswith((".txt", ".log")):
                    inner = member.split("/", 1)[-1]
                    files.setdefault(f"{node}/{inner}", f"{archive}{NESTED}{member}")
    return sorted(files.items())


def _read_order(src: Sources, path: str) -> tuple[str, int]:
    """Files in path order, but a nested tar's members in archive order, where they sit:
    read in that order, a chunk of them costs one pass over the archive, not one each."""
    archive, sep, member = path.rpartition(NESTED)
    if sep and is_nested_tar(archive):
        with contextlib.suppress(BundleError, KeyError):
            tree = src.bundle.nested(archive)
            if isinstance(tree, NestedTar):
                return archive + NESTED, tree.position(member)
    return path, 0


def _scc_log_origin(src: Sources, path: str) -> dict[str, Any]:
    archive, _, member = path.rpartition(NESTED)
    return {**_node_log_origin(src, archive), "file": member.split("/", 1)[-1]}


def _bundle_log_files(src: Sources) -> list[tuple[str, str]]:
    return [(f, f) for f in src.bundle.files() if "/" not in f and f.endswith(".log")]


def _no_file(source: str) -> Callable[[Sources, tuple[str, ...]], SourceMissing]:
    def absent(src: Sources, globs: tuple[str, ...]) -> SourceMissing:
        return SourceMissing(f"no {source} file matches {', '.join(globs)}")

    return absent


#: log source name -> how it is read; the engine and the rule validator know no other list
LOG_SOURCES: dict[str, LogSource] = {
    "pod_logs": LogSource(
        "logs/<namespace>/<pod>/<container>.log[.1], matched as <namespace>/<pod>/<file>",
        _pod_log_files,
        _pod_log_origin,
        _pod_logs_absent,
    ),
    "node_logs": LogSource(
        "logs/ of each node zip (journal units, kubelet.log, console.log, kernel.log with "
        "kernel.log.1/.2 of the two boots before, containerd.log, containerd-images.log: "
        "'ctr images ls'), matched as <node>/<file>",
        _node_log_files,
        _node_log_origin,
        _no_file("node_logs"),
    ),
    "scc_logs": LogSource(
        "the text files of each node zip's supportconfig archive (scc/*.txz: messages.txt, "
        "boot.txt, network.txt ...), read in place, matched as <node>/<file>",
        _scc_log_files,
        _scc_log_origin,
        _no_file("scc_logs"),
    ),
    "bundle_logs": LogSource(
        "the bundle's own top-level logs, e.g. bundleGenerationError.log",
        _bundle_log_files,
        lambda src, path: {"file": path},
        _no_file("bundle_logs"),
    ),
}


def plan(
    src: Sources, matchers: dict[Hashable, Matcher]
) -> tuple[dict[str, dict[Hashable, LogPattern]], dict[Hashable, LogMatches]]:
    """Which patterns to look for in which file (path -> key -> pattern), and per matcher
    how many files it has, or why it has none."""
    wanted: dict[str, dict[Hashable, LogPattern]] = {}
    results: dict[Hashable, LogMatches] = {}
    for key, matcher in matchers.items():
        result = results[key] = LogMatches()
        absent: list[SourceMissing] = []
        for source, globs in matcher.files.items():
            try:
                files = src.log_files(source)
            except SourceMissing as exc:
                absent.append(exc)
                continue
            found = [path for logical, path in files if matcher.wants(source, logical)]
            for path in found:
                wanted.setdefault(path, {})[key] = matcher.regex
                result.source_of[path] = source
            result.files += len(found)
            if not found:
                absent.append(LOG_SOURCES[source].absent(src, globs))
        if not result.files:
            result.missing = _none_of(absent)
    return wanted, results


def _none_of(absent: list[SourceMissing]) -> SourceMissing:
    """Why a matcher has no file: each source's reason; how to collect, of the first that
    says."""
    if len(absent) == 1:
        return absent[0]
    collect = next((a.collect for a in absent if a.collect), None)
    return SourceMissing("; ".join(str(a) for a in absent), collect)


def scan(
    src: Sources,
    matchers: dict[Hashable, Matcher],
    workers: int | None,
    meanwhile: Callable[[], None],
    progress: Callable[[int, int], None],
) -> dict[Hashable, LogMatches]:
    """Scan every log file once for all ``matchers``; ``meanwhile()`` runs while helper
    processes scan (building the other sources: the two costs overlap)."""
    wanted, results = plan(src, matchers)
    paths = sorted(wanted, key=lambda path: _read_order(src, path))
    bundle = src.bundle

    def scan_one(scanner: Scanner, path: str) -> dict[Hashable, HitSink] | str:
        sinks: dict[Hashable, HitSink] = {}
        try:
            with bundle.open(path) as stream:
                scanner.scan(stream, path, wanted[path], sinks)
        except READ_ERRORS as exc:
            return str(exc) if isinstance(exc, BundleError) else f"{path}: cannot read ({exc})"
        except MemoryError:
            return f"{path}: not enough memory to scan it"
        return sinks

    pool = ParallelScan(paths, [bundle.size(p) for p in paths], scan_one, workers)
    # The report names the archive by its sha256: hashing runs outside the GIL, so it
    # overlaps with the rest rather than adding to the end (started after the forks).
    hashing = threading.Thread(target=_digest, args=(src,), daemon=True)
    hashing.start()
    try:
        meanwhile()
        result = pool.result(progress)
    finally:  # stopped early (an error, Ctrl-C, SIGTERM): no helper outlives the run
        pool.close()
    hashing.join()
    for path, why in result.unreadable:
        src.note(why)
        for key in wanted[path]:
            results[key].unreadable.append(why)
    for key, sink in result.sinks.items():
        results[key].sink = sink
    return results


def _digest(src: Sources) -> None:
    # A failure is met again, and reported, where the report asks for the digest.
    with contextlib.suppress(*READ_ERRORS):
        src.bundle.sha256  # noqa: B018 - computed and cached


def hit_records(src: Sources, matches: LogMatches) -> list[dict[str, Any]]:
    """The hits of one matcher as records (path, line, text, time, groups, and the node or
    pod of the file), each citing its line."""
    created = src.created_at()
    records = []
    for hit in matches.sink.hits():
        stamp = iso(line_time(hit.text, created))
        record: dict[str, Any] = {
            "path": hit.path,
            "line": hit.line,
            "text": hit.text,
            "time": stamp,
            "groups": hit.groups,
            **LOG_SOURCES[matches.source_of[hit.path]].origin(src, hit.path),
        }
        records.append(src.remember(record, hit.path, hit.line, hit.text, stamp, hit.span))
    return records


def framed(src: Sources, evidence: Iterable[Evidence], lines: int) -> dict[Evidence, Evidence]:
    """Each cited log line with the ``lines`` before and after it, read again from its file.

    Only the few lines the findings cite are read, after the rules ran (which hits matter is
    known only then); a file is read once, up to the last line needed."""

    def around(line: int) -> range:
        return range(max(1, line - lines), line + lines + 1)

    cited = [e for e in evidence if e.span is not None and e.line]
    wanted: dict[str, set[int]] = {}
    for e in cited:
        assert e.line is not None
        wanted.setdefault(e.path, set()).update(around(e.line))
    text: dict[str, dict[int, str]] = {}
    for path in sorted(wanted):
        try:
            with src.bundle.open(path) as stream:
                text[path] = lines_at(stream, wanted[path])
        except READ_ERRORS:
            continue  # the scan met it already; the evidence simply has no context
    out: dict[Evidence, Evidence] = {}
    for e in cited:
        found = text.get(e.path)
        if found and e.line:
            before = tuple(found[n] for n in around(e.line) if n < e.line and n in found)
            after = tuple(found[n] for n in around(e.line) if n > e.line and n in found)
            out[e] = replace(e, before=before, after=after)
    return out
