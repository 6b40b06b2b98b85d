"""Citations cannot point at the wrong line: a record's location lives as long as the record.

Evidence used to be looked up by ``id()`` of records nobody kept alive: once a record was
freed, the next dict CPython allocated at its address was cited as that record.
"""

from __future__ import annotations

import gc
from pathlib import Path

from analyzer.bundle import open_bundle
from analyzer.sources import Sources


def _reuse_address(old: int) -> dict | None:
    """A new dict at the address ``old`` (CPython recycles freed dicts), if one comes."""
    kept = []
    for _ in range(10_000):
        candidate: dict = {}
        if id(candidate) == old:
            return candidate
        kept.append(candidate)
    return None


def test_a_new_dict_at_a_freed_records_address_is_not_cited_as_it(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text("bundleName: x\n")
    with open_bundle(tmp_path) as bundle:
        sources = Sources(bundle)
        record = sources.remember({"line": "old"}, "logs/a.log", 7, "old line")
        old = id(record)
        del record
        gc.collect()
        stranger = _reuse_address(old)
        if stranger is None:  # the record is still alive: the address was not reused
            return
        assert sources.cite(stranger) is None


def test_a_remembered_record_is_cited_with_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "metadata.yaml").write_text("bundleName: x\n")
    with open_bundle(tmp_path) as bundle:
        sources = Sources(bundle)
        records = [sources.remember({"n": n}, "logs/a.log", n, f"line {n}") for n in range(50)]
        assert [sources.cite(r).line for r in records] == list(range(50))
        assert sources.cite({"n": 3}) is None
