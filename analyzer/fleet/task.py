"""What a worker runs for one bundle: the analyze library, with the rule book loaded once.

A Dask worker is a long-lived process: the rule book (and the imports of the engine,
hyperscan, re2) are paid once per worker, not once per bundle as with a shell loop over the
CLI. The result is plain data (dicts of str/int/float/bool/list), so it crosses to the
scheduler cheaply and lands in Parquet as the JSON report has it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from analyzer.errors import AnalyzerError, printable
from analyzer.rulebook import RuleBook, load_rules

#: how often the memory of the worker is sampled while it analyzes a bundle (seconds)
_SAMPLE_EVERY = 0.02


@dataclass(frozen=True)
class TaskSpec:
    """One bundle to analyze, and how. Sent to a worker, so plain and picklable."""

    path: str
    parts: tuple[str, ...]
    sha256: str
    packs: tuple[str, ...]
    #: the report's "generated at", fixed for the whole run so results are comparable
    now: str
    #: only these rules (and what they require); empty: the whole book
    only: tuple[str, ...] = ()


def bundle_digest(parts: tuple[str, ...]) -> str:
    """The sha256 the report gives the bundle: of the archive's bytes (its parts in order), or
    of a folder's sorted (path, content) manifest."""
    first = Path(parts[0])
    if first.is_file():
        digest = hashlib.sha256()
        for part in parts:
            with open(part, "rb") as handle:
                for block in iter(lambda h=handle: h.read(1 << 20), b""):
                    digest.update(block)
        return digest.hexdigest()
    from analyzer.bundle import open_bundle

    try:
        with open_bundle(list(parts)) as bundle:
            return bundle.sha256
    except AnalyzerError:
        # A folder that cannot be read still needs a key: its path (the worker says why).
        return hashlib.sha256(f"unreadable folder:{first.resolve()}".encode()).hexdigest()


@lru_cache(maxsize=4)
def _book(packs: tuple[str, ...], only: tuple[str, ...]) -> RuleBook:
    book = load_rules(*packs)
    return subset(book, only) if only else book


def warm_up(packs: tuple[str, ...], only: tuple[str, ...]) -> int:
    """Load the rule book (and the engine's imports) in this worker; the number of rules."""
    import analyzer.engine  # noqa: F401 - the imports are what is warmed

    return len(_book(packs, only).rules)


def subset(book: RuleBook, rule_ids: tuple[str, ...]) -> RuleBook:
    """The book cut down to ``rule_ids`` and the rules they require (transitively)."""
    keep: set[str] = set()
    pending = [r for r in rule_ids if r in book.rules]
    while pending:
        rule_id = pending.pop()
        if rule_id not in keep:
            keep.add(rule_id)
            pending += [
                v for _, v, kind in book.graph.out_edges(rule_id, data="kind") if kind == "requires"
            ]
    rules = {rule_id: rule for rule_id, rule in book.rules.items() if rule_id in keep}
    return RuleBook(rules, book.graph.subgraph(keep).copy(), book.packs, book.disabled & keep)


class _PeakMemory:
    """The worker's largest resident size while a bundle is analyzed (bytes), sampled."""

    def __init__(self) -> None:
        import psutil  # a dependency of distributed

        self._process = psutil.Process()
        self.peak = self._process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(_SAMPLE_EVERY):
            self.peak = max(self.peak, self._process.memory_info().rss)

    def __enter__(self) -> _PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._process.memory_info().rss)


def analyze_bundle(spec: TaskSpec) -> dict[str, Any]:
    """The bundle's row and its findings' rows; an unreadable bundle is status ``error`` with
    the one line ``analyze`` would print, never an exception (a crash is the worker's death)."""
    started = time.perf_counter()
    row: dict[str, Any] = {"path": spec.path, "sha256": spec.sha256, "status": "ok", "error": ""}
    findings: list[dict[str, Any]] = []
    with _PeakMemory() as memory:
        try:
            findings = _analyze(spec, row)
        except AnalyzerError as exc:
            row.update(status="error", error=printable(str(exc)))
        except Exception as exc:  # a bug of ours on this bundle: recorded, the run goes on
            row.update(status="error", error=printable(f"internal error: {exc!r}"))
    row["seconds"] = round(time.perf_counter() - started, 3)
    row["peak_memory"] = memory.peak
    return {"bundle": row, "findings": findings}


def _analyze(spec: TaskSpec, row: dict[str, Any]) -> list[dict[str, Any]]:
    from analyzer.bundle import open_bundle
    from analyzer.engine import analyze
    from analyzer.render import to_dict
    from analyzer.sources import SourceBroken, SourceMissing, Sources

    book = _book(spec.packs, spec.only)
    now = datetime.fromisoformat(spec.now.replace("Z", "+00:00")).astimezone(timezone.utc)
    with open_bundle(list(spec.parts)) as bundle:
        try:
            metadata = Sources(bundle).get("metadata")
        except (SourceMissing, SourceBroken):
            metadata = {}
        report = to_dict(analyze(bundle, book, now=now, workers=1))
    info = report["bundle"]
    row.update(
        created_at=info.get("created_at") or "",
        cluster_uuid=str(metadata.get("projectnamespaceuuid") or ""),
        harvester_version=info.get("harvester_version") or "",
        kubernetes_version=info.get("kubernetes_version") or "",
        node_count=len(info.get("nodes") or []),
        rule_pack=report["rule_pack"]["sha256"],
    )
    return [_finding_row(spec.sha256, f, report["root_causes"]) for f in report["findings"]]


def _finding_row(sha: str, finding: dict[str, Any], roots: list[dict[str, Any]]) -> dict:
    fired = finding["status"] == "fired"
    explained_by = list(finding.get("explained_by") or [])
    role = ""
    if fired:
        role = "root cause" if any(r["rule_id"] == finding["rule_id"] for r in roots) else "symptom"
    evidence = finding.get("evidence") or []
    first = ""
    if evidence:
        first = evidence[0]["path"] + (f":{evidence[0]['line']}" if evidence[0]["line"] else "")
    return {
        "bundle_sha256": sha,
        "rule_id": finding["rule_id"],
        "category": finding["category"],
        "severity": finding["severity"],
        "status": finding["status"],
        "fired": fired,
        "role": role,
        "explained_by": explained_by,
        "message": finding.get("message") or "",
        "evidence": first,
    }
