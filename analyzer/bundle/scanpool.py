"""Scanning many log files at once: shared with forked helper processes when it pays.

Decompressing and matching are the bulk of an analysis. While the logs are scanned, this
process builds the sources the rules read (parsing YAML, which holds the GIL: scanning
threads would wait for it at every block). Forked helpers do not wait. The sorted files are
cut into chunks (contiguous runs of about ``CHUNK_BYTES``); helpers take chunks in turn from
a shared counter, and so does this process once its own work is done, so that no core idles
while chunks remain and no core is shared by two busy processes: with N cores there are N-1
helpers. Chunks being contiguous runs, merging their results in chunk order gives exactly
what one scan of all files in order gives: the report does not depend on the cores.

Helpers inherit the open bundle; its archives are read through ``os.pread`` (see
``PreadFile``), so they share no file position with this process. Forking is only done
while this process runs a single thread (forking a threaded process can deadlock the child)
and where ``fork`` exists. A chunk whose helper died (killed for memory, say) is scanned
here instead: slower, same result.

Helpers never outlive this process: on Linux the kernel kills each one when this process
dies, however it dies (``PR_SET_PDEATHSIG``); elsewhere a helper checks that its parent is
still there between files. And ``close()`` (run by ``result()``, or by the caller when it
stops before, on Ctrl-C or SIGTERM) terminates and joins the helpers that are still running.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from analyzer.bundle.archive import usable_cores
from analyzer.bundle.logscan import HitSink, Scanner

#: below this many bytes to scan, forking costs more than it saves
PARALLEL_MIN_BYTES = 32 * 1024 * 1024
#: a chunk: enough files to make taking one cheap, few enough to share the tail evenly
CHUNK_BYTES = 16 * 1024 * 1024
MAX_HELPERS = 7

#: scans one file: its sinks by pattern key, or why it could not be read
ScanOne = Callable[[Scanner, str], dict[Hashable, HitSink] | str]
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
#: the signals that stop a run (see analyzer/entry.py; no SIGHUP on Windows)
_STOP_SIGNALS = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}


@dataclass
class ScanResult:
    """Hits by pattern key, merged over the files in path order, and the unreadable files."""

    sinks: dict[Hashable, HitSink] = field(default_factory=dict)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, why)

    def add(self, other: ScanResult) -> None:
        """Append the result of files that come after these."""
        for key, sink in other.sinks.items():
            self.sinks.setdefault(key, HitSink()).merge(sink)
        self.unreadable += other.unreadable


def scan_serially(
    paths: list[str], scan_one: ScanOne, scanner: Scanner | None = None
) -> ScanResult:
    result = ScanResult()
    scanner = scanner or Scanner()
    for path in paths:
        found = scan_one(scanner, path)
        if isinstance(found, str):
            result.unreadable.append((path, found))
        else:
            result.add(ScanResult(found))
    return result


def chunks(sizes: list[int], target: int) -> list[slice]:
    """Cut a sequence into contiguous runs of at least ``target`` total size (the last one
    may be smaller), never splitting an item."""
    runs, start, size = [], 0, 0
    for index, item in enumerate(sizes):
        size += item
        if size >= target:
            runs.append(slice(start, index + 1))
            start, size = index + 1, 0
    if start < len(sizes):
        runs.append(slice(start, len(sizes)))
    return runs


class ParallelScan:
    """Starts the helpers on creation; ``result()`` scans chunks here too until none is left,
    and returns the whole. Between the two the caller is free to do its own work."""

    def __init__(
        self, paths: list[str], sizes: list[int], scan_one: ScanOne, workers: int | None = None
    ) -> None:
        self._paths = paths
        self._scan_one = scan_one
        self._chunks = chunks(sizes, CHUNK_BYTES)
        #: bytes in the chunks before each one, and in all: for progress reports
        self._before = [sum(sizes[: run.start]) for run in self._chunks]
        self._total = sum(sizes)
        self._helpers: list[tuple[BaseProcess, Connection]] = []
        self._taken: Any = None  # the shared counter of chunks taken, when there are helpers
        self._next = 0  # the same, without helpers
        self._parent = os.getpid()
        count = min((workers or usable_cores()) - 1, MAX_HELPERS, len(self._chunks) - 1)
        if count < 1 or sum(sizes) < PARALLEL_MIN_BYTES or not _can_fork():
            return
        context = multiprocessing.get_context("fork")
        self._taken = context.Value("i", 0)
        # A helper shares this process's memory until either writes to a page. The cyclic
        # collector writes to every object it walks: frozen, they are not walked (in the
        # helpers, nor here until result()), and the pages stay shared.
        gc.freeze()
        # A stop signal handled inside fork's own hooks would be lost (Python ignores what
        # they raise): held while forking, it is handled just after, in ordinary code.
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
        try:
            for _ in range(count):
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=self._help, args=(sender,), daemon=True)
                process.start()
                sender.close()  # the helper holds its end: closing ours makes a death an EOF
                self._helpers.append((process, receiver))
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def _take(self) -> int | None:
        """The index of the next chunk nobody has taken, or None."""
        if self._taken is None:
            index, self._next = self._next, self._next + 1
        else:
            with self._taken.get_lock():
                index = self._taken.value
                self._taken.value = index + 1
        return index if index < len(self._chunks) else None

    def _scan_chunks(
        self, progress: Callable[[int, int], None] | None = None
    ) -> dict[int, ScanResult]:
        done = {}
        scanner = Scanner()
        while (index := self._take()) is not None:
            if os.getpid() != self._parent and os.getppid() != self._parent:
                break  # a helper whose parent died (where no death signal is available)
            if progress is not None:  # chunks are taken in order: those before are under way
                progress(self._before[index], self._total)
            files = self._paths[self._chunks[index]]
            done[index] = scan_serially(files, self._scan_one, scanner)
        return done

    def _help(self, sender: Connection) -> None:
        """A helper: scan chunks, send what it did, exit. It sends all at the end, so that
        it never waits for this process to read; on any failure it sends nothing."""
        gc.disable()  # short-lived, makes little garbage: walking objects only unshares pages
        # A helper writes nothing and holds nothing to clean up: a stop signal (the parent's
        # terminate(), Ctrl-C to the process group) ends it at once. Forked with them held.
        for signum in _STOP_SIGNALS:
            signal.signal(signum, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
        _die_with_parent(self._parent)
        try:
            sender.send(self._scan_chunks())
        except BaseException:  # the parent scans the missing chunks again, and reports
            pass
        finally:
            sender.close()

    def result(self, progress: Callable[[int, int], None] | None = None) -> ScanResult:
        """Everything scanned; ``progress(bytes, total)`` is told as this process takes chunks."""
        try:
            done = self._scan_chunks(progress)
            for _, receiver in self._helpers:
                done.update(_receive(receiver))
        finally:
            self.close()
        result = ScanResult()
        for index, run in enumerate(self._chunks):
            part = done.get(index)
            if part is None:  # taken by a helper that died
                part = scan_serially(self._paths[run], self._scan_one)
            result.add(part)
        return result

    def close(self) -> None:
        """Stop and reap the helpers still running (none are left after; safe to repeat)."""
        helpers, self._helpers = self._helpers, []
        for process, receiver in helpers:
            receiver.close()
            if process.is_alive():
                process.terminate()
            process.join()
        if helpers:
            gc.unfreeze()


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this helper when its parent dies (Linux), even by SIGKILL."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):
            pass  # the check between chunks remains
    if os.getppid() != parent:  # the parent died before the death signal was set
        os._exit(0)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _receive(receiver: Connection) -> dict[int, ScanResult]:
    try:
        return receiver.recv()
    except (EOFError, OSError):
        return {}  # the helper died: its chunks are scanned again
