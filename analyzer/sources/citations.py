"""Where each record a source handed out came from: the table behind every citation.

Each entry holds its record as well as the record's place (file and line). Held, the record
stays alive as long as the table (the whole analysis), so no other object can take its
``id()``; and a lookup checks identity, so a citation is always the record's own, never that
of an object that happened to be allocated where a freed record used to be.
"""

from __future__ import annotations

from typing import Any

from analyzer.report import Evidence


class Citations:
    """Records -> their Evidence, by identity."""

    def __init__(self) -> None:
        self._table: dict[int, tuple[Any, Evidence]] = {}

    def add(self, record: Any, evidence: Evidence) -> None:
        self._table[id(record)] = (record, evidence)

    def get(self, record: Any) -> Evidence | None:
        entry = self._table.get(id(record))
        return entry[1] if entry is not None and entry[0] is record else None

    def __contains__(self, record: Any) -> bool:
        return self.get(record) is not None

    def drop(self, record: Any) -> None:
        if record in self:
            del self._table[id(record)]

    def __len__(self) -> int:
        return len(self._table)
