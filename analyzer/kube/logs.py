"""Pod logs and node journals of a bundle, found through the log sources and streamed.

Pod logs are ``logs/<namespace>/<pod>/<container>.log``, the previous container's
``<container>.log.1``; node journals are the files of ``logs/`` in each node zip. Both are
found in the ``pod_logs`` and ``node_logs`` sources' file lists (analyzer/sources/logs.py),
never by building a path from what a request or the bundle says.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from analyzer.kube.catalog import NotFound
from analyzer.sources import SourceMissing, Sources
from analyzer.sources.missing import READ_ERRORS

CHUNK = 1 << 16


def _files(sources: Sources, source: str) -> dict[str, str]:
    try:
        return dict(sources.log_files(source))
    except SourceMissing:
        return {}


def pod_containers(sources: Sources, namespace: str, pod: str) -> list[str]:
    """The containers of a pod that have a log in the bundle, sorted."""
    prefix = f"{namespace}/{pod}/"
    return sorted(
        {
            name[len(prefix) :].removesuffix(".1").removesuffix(".log")
            for name in _files(sources, "pod_logs")
            if name.startswith(prefix) and "/" not in name[len(prefix) :]
        }
    )


def pod_namespaces(sources: Sources, pod: str) -> list[str]:
    """The namespaces holding logs of a pod named ``pod``, sorted."""
    return sorted(
        {
            name.split("/", 1)[0]
            for name in _files(sources, "pod_logs")
            if name.count("/") >= 2 and name.split("/")[1] == pod
        }
    )


def pod_log(sources: Sources, namespace: str, pod: str, container: str, previous: bool) -> str:
    """The bundle path of a container's log (its previous instance's with ``previous``)."""
    logical = f"{namespace}/{pod}/{container}.log{'.1' if previous else ''}"
    path = _files(sources, "pod_logs").get(logical)
    if path is None:
        which = "previous terminated container" if previous else "container"
        raise NotFound(
            f'the bundle holds no log of the {which} "{container}" in pod "{pod}"'
            f' (namespace "{namespace}")'
        )
    return path


def node_units(sources: Sources, node: str) -> list[str]:
    """The journals (log files) a node's zip holds, sorted."""
    prefix = f"{node}/"
    return sorted(n[len(prefix) :] for n in _files(sources, "node_logs") if n.startswith(prefix))


def node_log(sources: Sources, node: str, unit: str) -> str:
    """The bundle path of one journal of a node: ``kubelet``, ``kubelet.log``, ``rke2-server``."""
    files = _files(sources, "node_logs")
    for name in (f"{node}/{unit}", f"{node}/{unit}.log"):
        if name in files:
            return files[name]
    units = ", ".join(node_units(sources, node)) or "none"
    raise NotFound(f'node "{node}" has no log "{unit}" in the bundle (it has: {units})')


def stream(
    sources: Sources, path: str, tail_lines: int | None = None, limit_bytes: int | None = None
) -> Iterator[bytes]:
    """The file's bytes in chunks: its last ``tail_lines`` lines, at most ``limit_bytes``.

    An unreadable file ends the stream (the bytes sent so far stand; an HTTP reply cannot
    turn into an error once started) and leaves a note with the sources."""
    left = limit_bytes if limit_bytes is not None and limit_bytes >= 0 else None
    try:
        with sources.bundle.open(path) as handle:
            chunks: Iterator[bytes] = (
                _tail(handle.read, tail_lines) if tail_lines is not None else _chunks(handle.read)
            )
            for chunk in chunks:
                if left is not None:
                    chunk = chunk[:left]
                    left -= len(chunk)
                if chunk:
                    yield chunk
                if left == 0:
                    return
    except READ_ERRORS as exc:
        sources.note(f"{path}: cannot read ({exc})")


def _chunks(read: Callable[[int], bytes]) -> Iterator[bytes]:
    while chunk := read(CHUNK):
        yield chunk


def _tail(read: Callable[[int], bytes], count: int) -> Iterator[bytes]:
    # The last lines of a stream in memory bounded by the lines kept, not the file's size.
    kept: deque[bytes] = deque(maxlen=max(count, 0))
    partial = b""
    for chunk in _chunks(read):
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        kept.extend(line + b"\n" for line in lines)
    if partial:
        kept.append(partial)
    if count > 0:
        yield b"".join(kept)
