"""Where an analysis spends its time: per phase, per source built, per rule (``--profile``).

Timings vary from run to run, so they are in a report only when asked for; the rest of the
report stays byte-identical for the same bundle.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field


@dataclass
class Profile:
    phases: dict[str, float] = field(default_factory=dict)
    #: inclusive: a source built while building another counts in both
    sources: dict[str, float] = field(default_factory=dict)
    #: a rule's evaluation, including the sources built for it first
    rules: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def timed(self, table: dict[str, float], key: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            table[key] = table.get(key, 0.0) + time.perf_counter() - start

    def phase(self, name: str) -> contextmanager:  # type: ignore[valid-type]
        return self.timed(self.phases, name)

    def as_dict(self) -> dict[str, dict[str, float]]:
        """Seconds, slowest first, to the millisecond."""
        return {
            name: {k: round(v, 3) for k, v in sorted(table.items(), key=lambda kv: (-kv[1], kv[0]))}
            for name, table in (
                ("phases", self.phases),
                ("sources", self.sources),
                ("rules", self.rules),
            )
        }
