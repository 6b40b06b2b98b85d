"""The fleet's results as two Parquet tables in the output folder.

``bundles.parquet``: one row per bundle; ``findings.parquet``: one row per (bundle, rule) of
the bundles analyzed (every status, so a rule that could not be evaluated is told apart from
one that passed). A run keyed by (bundle sha256, rule-pack digest) can be resumed: rows are
written every few results to ``parts/`` and gathered into the two tables at the end, so an
interrupted run loses at most one batch. Columns are documented in docs/fleet.md.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from analyzer.errors import AnalyzerError, printable
from analyzer.output import write_atomic

BUNDLES = "bundles.parquet"
FINDINGS = "findings.parquet"
PARTS = "parts"
STATUSES = ("ok", "error", "timeout", "crashed")

BUNDLE_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("other_paths", pa.list_(pa.string())),
        ("sha256", pa.string()),
        ("status", pa.string()),
        ("error", pa.string()),
        ("seconds", pa.float64()),
        ("peak_memory", pa.int64()),
        ("created_at", pa.string()),
        ("cluster_uuid", pa.string()),
        ("harvester_version", pa.string()),
        ("kubernetes_version", pa.string()),
        ("node_count", pa.int32()),
        ("rule_pack", pa.string()),
    ]
)
FINDING_SCHEMA = pa.schema(
    [
        ("bundle_sha256", pa.string()),
        ("rule_id", pa.string()),
        ("category", pa.string()),
        ("severity", pa.string()),
        ("status", pa.string()),
        ("fired", pa.bool_()),
        ("role", pa.string()),
        ("explained_by", pa.list_(pa.string())),
        ("message", pa.string()),
        ("evidence", pa.string()),
    ]
)
_DEFAULTS = {pa.string(): "", pa.int64(): None, pa.int32(): None, pa.float64(): None}


def _table(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.Table:
    columns = {
        field.name: [row.get(field.name, _default(field)) for row in rows] for field in schema
    }
    return pa.table(columns, schema=schema)


def _default(field: pa.Field) -> Any:
    return [] if pa.types.is_list(field.type) else _DEFAULTS.get(field.type)


def _write(path: Path, table: pa.Table) -> None:
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    write_atomic(path, buffer.getvalue())


def _read(path: Path, schema: pa.Schema) -> list[dict[str, Any]]:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise AnalyzerError(f"{path}: not a fleet result table ({printable(str(exc))})") from None
    missing = [name for name in schema.names if name not in table.column_names]
    if missing:
        raise AnalyzerError(f"{path}: not a fleet result table (no column {missing[0]})")
    return table.select(schema.names).to_pylist()


class ResultStore:
    """The rows of a run: those of an earlier run kept by --resume, and the new ones."""

    def __init__(self, out: Path, batch: int = 25) -> None:
        self.out = out
        self.batch = batch
        self.bundles: dict[str, dict[str, Any]] = {}
        self.findings: dict[str, list[dict[str, Any]]] = {}
        self._unsaved: list[str] = []
        self._parts = 0

    def load(self) -> None:
        """Everything ``out`` already holds: the tables, then parts of an interrupted run."""
        if (self.out / BUNDLES).exists():
            for row in _read(self.out / BUNDLES, BUNDLE_SCHEMA):
                self.bundles[row["sha256"]] = row
            if (self.out / FINDINGS).exists():
                for row in _read(self.out / FINDINGS, FINDING_SCHEMA):
                    self.findings.setdefault(row["bundle_sha256"], []).append(row)
        parts = self.out / PARTS
        for part in sorted(parts.glob("bundles-*.parquet")) if parts.is_dir() else []:
            for row in _read(part, BUNDLE_SCHEMA):
                self.bundles[row["sha256"]] = row
                self.findings.pop(row["sha256"], None)
            found = part.with_name(part.name.replace("bundles-", "findings-"))
            for row in _read(found, FINDING_SCHEMA) if found.exists() else []:
                self.findings.setdefault(row["bundle_sha256"], []).append(row)
            self._parts += 1

    def done(self, sha: str, pack: str) -> bool:
        """Whether --resume can skip the bundle: analyzed with this pack to a result that
        another run would repeat (ok or error; a timeout or a crash is tried again)."""
        row = self.bundles.get(sha)
        return bool(row and row["rule_pack"] == pack and row["status"] in ("ok", "error"))

    def add(self, bundle: dict[str, Any], findings: list[dict[str, Any]]) -> None:
        self.bundles[bundle["sha256"]] = bundle
        self.findings[bundle["sha256"]] = findings
        self._unsaved.append(bundle["sha256"])
        if len(self._unsaved) >= self.batch:
            self.flush()

    def flush(self) -> None:
        """The rows not yet on disk, as one more part."""
        if not self._unsaved:
            return
        parts = self.out / PARTS
        parts.mkdir(parents=True, exist_ok=True)
        self._parts += 1
        shas = self._unsaved
        _write(parts / f"findings-{self._parts:06d}.parquet", self._finding_table(shas))
        # The bundle rows last: a part counts only once its bundles file is there.
        _write(parts / f"bundles-{self._parts:06d}.parquet", self._bundle_table(shas))
        self._unsaved = []

    def _bundle_table(self, shas: list[str]) -> pa.Table:
        return _table([self.bundles[s] for s in sorted(shas, key=self._order)], BUNDLE_SCHEMA)

    def _finding_table(self, shas: list[str]) -> pa.Table:
        rows = [
            f
            for s in sorted(shas, key=self._order)
            for f in sorted(self.findings.get(s, []), key=lambda f: f["rule_id"])
        ]
        return _table(rows, FINDING_SCHEMA)

    def _order(self, sha: str) -> tuple[str, str]:
        return (self.bundles[sha]["path"], sha)

    def save(self) -> None:
        """The two tables, every row sorted by bundle path then rule; the parts removed."""
        shas = list(self.bundles)
        _write(self.out / FINDINGS, self._finding_table(shas))
        _write(self.out / BUNDLES, self._bundle_table(shas))
        self._unsaved = []
        shutil.rmtree(self.out / PARTS, ignore_errors=True)


def read_results(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(bundle rows, finding rows) of a finished run in ``out``."""
    if not (out / BUNDLES).is_file():
        raise AnalyzerError(f"{printable(str(out))}: no {BUNDLES} (run fleet analyze first)")
    bundles = _read(out / BUNDLES, BUNDLE_SCHEMA)
    findings = _read(out / FINDINGS, FINDING_SCHEMA) if (out / FINDINGS).is_file() else []
    return bundles, findings
