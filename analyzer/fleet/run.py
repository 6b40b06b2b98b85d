"""The Dask side of a fleet run: one task per bundle, timeouts, dead workers, resume.

Why Dask (distributed): a worker that dies (a native crash, or killed by its nanny at the
memory limit) takes only its own task with it; the nanny starts a new worker and the other
results stand. A plain process pool loses its pending results when a child dies. The same
code runs on a laptop (LocalCluster) and on a cluster (``--scheduler tcp://host:8786``).

Failures are told apart by the scheduler, not guessed: ``allowed-failures: 0`` makes the task of
a dead worker fail at once (KilledWorker) instead of killing worker after worker; the client
keeps one task per worker thread in flight, so that only the task a worker was running dies with
it, and tries a task whose worker died once more before calling it crashed. A task running
longer than the timeout has its worker restarted (there is no other way to stop Python code in a
thread) and is recorded as ``timeout``.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from analyzer.fleet.archive import BundleRef
from analyzer.fleet.store import ResultStore
from analyzer.fleet.task import TaskSpec, analyze_bundle, bundle_digest, warm_up

#: how often the scheduler is asked which tasks run where (seconds)
_POLL = 0.25
#: a bundle whose worker died is analyzed once more before it counts as crashed: it may have
#: been caught by another bundle's death (a restart at a timeout, a nanny's kill)
_RETRIES = 1
_DASK_CONFIG = {
    "distributed.scheduler.allowed-failures": 0,
    "distributed.scheduler.worker-saturation": 1.0,
    # A worker near its memory limit must not pause (it would wait forever for memory that
    # a finished bundle left fragmented) nor spill (there is nothing to spill): it is killed
    # at 95% and its bundle recorded as crashed.
    "distributed.worker.memory.target": False,
    "distributed.worker.memory.spill": False,
    "distributed.worker.memory.pause": False,
    "distributed.worker.memory.terminate": 0.95,
    # Parsing a large dump raises memory for a second or so: sampled every 100 ms (Dask's
    # default) such a peak can pass unseen and take the host's memory with it.
    "distributed.worker.memory.monitor-interval": "20ms",
}


@dataclass(frozen=True)
class RunOptions:
    workers: int = 2
    scheduler: str | None = None
    timeout: float = 600.0
    #: bytes per worker (LocalCluster only: a cluster's workers have their own)
    memory_limit: int | None = None
    resume: bool = False


@dataclass
class Progress:
    """What a progress display shows; updated after every bundle."""

    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.monotonic)
    dashboard: str | None = None


@dataclass(frozen=True)
class RunSummary:
    counts: dict[str, int]
    skipped: int
    duplicates: int
    seconds: float


def plan(refs: list[BundleRef]) -> list[tuple[str, BundleRef, tuple[str, ...]]]:
    """(sha256, bundle, other paths of the same bytes) per distinct bundle, by path."""
    by_sha: dict[str, list[BundleRef]] = {}
    for ref in refs:
        by_sha.setdefault(bundle_digest(ref.parts), []).append(ref)
    planned = [(sha, group[0], tuple(r.path for r in group[1:])) for sha, group in by_sha.items()]
    return sorted(planned, key=lambda item: (item[1].path, item[0]))


def run_tasks(
    specs: list[TaskSpec],
    options: RunOptions,
    on_result: Callable[[TaskSpec, dict[str, Any]], None],
    progress: Callable[[Progress], None] | None = None,
) -> None:
    """Run ``analyze_bundle`` for every spec on Dask; ``on_result`` gets each outcome
    (a worker's result, or a row saying timeout/crashed/error) as it comes."""
    import dask
    from distributed import Client, LocalCluster

    state = Progress(total=len(specs))
    if not specs:
        return
    with dask.config.set(_DASK_CONFIG):
        if options.scheduler:
            client = Client(options.scheduler, timeout="30s")
            cluster = None
        else:
            cluster = LocalCluster(
                n_workers=options.workers,
                threads_per_worker=1,
                processes=True,
                memory_limit=options.memory_limit or 0,
                dashboard_address=":0" if importlib.util.find_spec("bokeh") else None,
                silence_logs=logging.CRITICAL,
            )
            client = Client(cluster)
        try:
            if importlib.util.find_spec("bokeh"):
                state.dashboard = client.dashboard_link
            # The rule book loaded on every worker before the clock of any bundle starts.
            first = specs[0]
            client.run(warm_up, first.packs, first.only)
            _drive(client, specs, options, on_result, state, progress)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()


def _drive(
    client: Any,
    specs: list[TaskSpec],
    options: RunOptions,
    on_result: Callable[[TaskSpec, dict[str, Any]], None],
    state: Progress,
    progress: Callable[[Progress], None] | None,
) -> None:
    """Keep one task per worker thread in flight (a task waiting on a worker would die with
    the bundle running there); a task whose worker died is tried once more, so only a bundle
    that kills its worker twice is recorded as crashed."""
    from distributed import KilledWorker, wait
    from distributed.client import FIRST_COMPLETED

    waiting = [(spec, 0) for spec in reversed(specs)]
    running: dict[Any, tuple[TaskSpec, int]] = {}
    started: dict[str, float] = {}
    timed_out: set[str] = set()
    while waiting or running:
        slots = max(1, sum(client.nthreads().values()))
        while waiting and len(running) < slots:
            spec, attempt = waiting.pop()
            key = f"bundle-{spec.sha256}" + (f"-retry{attempt}" if attempt else "")
            running[client.submit(analyze_bundle, spec, key=key, pure=False)] = (spec, attempt)
        try:
            done, _ = wait(list(running), timeout=_POLL, return_when=FIRST_COMPLETED)
        except TimeoutError:
            done = set()
        for future in done:
            spec, attempt = running.pop(future)
            died = future.status == "error" and isinstance(future.exception(), KilledWorker)
            if died and str(future.key) not in timed_out and attempt < _RETRIES:
                waiting.append((spec, attempt + 1))
                continue
            outcome = _outcome(future, spec, timed_out, options)
            state.done += 1
            state.failed += outcome["bundle"]["status"] != "ok"
            on_result(spec, outcome)
            if progress is not None:
                progress(state)
        _watch(client, started, timed_out, options.timeout)


def _watch(client: Any, started: dict[str, float], timed_out: set[str], timeout: float) -> None:
    """Restart the worker of any task running longer than ``timeout``."""
    now = time.monotonic()
    for worker, keys in client.processing().items():
        for key in keys:
            name = str(key)
            started.setdefault(name, now)
            if now - started[name] > timeout and name not in timed_out:
                timed_out.add(name)
                client.restart_workers([worker], timeout=60, raise_for_error=False)


def _outcome(
    future: Any, spec: TaskSpec, timed_out: set[str], options: RunOptions
) -> dict[str, Any]:
    from distributed import KilledWorker

    if future.status == "finished":
        return future.result()
    row: dict[str, Any] = {"path": spec.path, "sha256": spec.sha256}
    exc = future.exception() if future.status == "error" else None
    if str(future.key) in timed_out:
        row.update(status="timeout", error=f"still running after {options.timeout:g} s")
    elif isinstance(exc, KilledWorker):
        limit = f" (--memory-limit {options.memory_limit:,} bytes)" if options.memory_limit else ""
        row.update(
            status="crashed",
            error=f"its worker process died while analyzing it: killed at the memory "
            f"limit{limit}, or a crash",
        )
    else:
        row.update(status="error", error=f"task failed: {exc!r}"[:500])
    return {"bundle": row, "findings": []}


def analyze_archive(
    refs: list[BundleRef],
    packs: tuple[str, ...],
    pack_digest: str,
    store: ResultStore,
    options: RunOptions,
    now: str,
    progress: Callable[[Progress], None] | None = None,
) -> RunSummary:
    """Analyze every distinct bundle of ``refs`` not already done (with --resume) into
    ``store``; the tables are saved at the end (and parts on the way)."""
    started = time.monotonic()
    if options.resume:
        store.load()
    planned = plan(refs)
    duplicates = sum(len(others) for _, _, others in planned)
    todo = [item for item in planned if not (options.resume and store.done(item[0], pack_digest))]
    others = {sha: list(paths) for sha, _, paths in planned}
    specs = [TaskSpec(ref.path, ref.parts, sha, packs, now) for sha, ref, _ in todo]

    def record(spec: TaskSpec, outcome: dict[str, Any]) -> None:
        row = {"rule_pack": pack_digest, **outcome["bundle"]}
        row["other_paths"] = others.get(spec.sha256, [])
        store.add(row, outcome["findings"])

    run_tasks(specs, options, record, progress)
    store.save()
    counts = {status: 0 for status in ("ok", "error", "timeout", "crashed")}
    for row in store.bundles.values():
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return RunSummary(
        counts=counts,
        skipped=len(planned) - len(todo),
        duplicates=duplicates,
        seconds=round(time.monotonic() - started, 2),
    )
