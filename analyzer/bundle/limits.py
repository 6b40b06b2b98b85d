"""What a bundle may claim, and the budget that enforces it over the whole bundle.

A bundle is one archive (or folder) plus the node zips inside it. Bounding each archive
alone let a crafted bundle multiply the bound: twelve node zips of 199,000 entries each stayed
under a 200,000-entry limit apiece, and took 149 s and 2.3 GB to list. So entries and sizes
are charged to one ``Budget`` per bundle, shared by the outer tree and every node zip; an
archive is checked against what is left before it is parsed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one bundle may claim, node zips included. The defaults are far above real
    bundles: a 16-node bundle holds a few thousand files, its logs are cut at 10 MB, its
    largest YAML dump is tens of MB, and text compresses 5 to 50 times."""

    max_entries: int = 200_000
    max_file_size: int = 1024 * _MIB
    max_total_size: int = 64 * 1024 * _MIB
    #: uncompressed/compressed, for entries of more than 1 MiB
    max_ratio: int = 200
    #: YAML larger than this is not parsed: objects take 3-4 times the text in memory (up to
    #: 9 times for crafted files of tiny scalars), so this bounds a parse below 1 GB
    max_parse_size: int = 96 * _MIB


DEFAULT_LIMITS = Limits()


def size_text(n: int) -> str:
    return f"{n / _MIB:.0f} MiB" if n < 1024 * _MIB else f"{n / 1024 / _MIB:.1f} GiB"


class Budget:
    """The entries and bytes a bundle has left, charged by each archive it opens.

    Node zips are opened from threads (see ``Bundle.open_nested``), hence the lock; which
    node zip gets the budget must not depend on thread timing, so callers charge in path order.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.entries = 0
        self.size = 0
        self._lock = threading.Lock()

    def entries_left(self) -> int:
        return self.limits.max_entries - self.entries

    def size_left(self) -> int:
        return self.limits.max_total_size - self.size

    def over_entries(self, entries: int) -> str | None:
        """Why ``entries`` more would be too many, or None."""
        if entries <= self.entries_left():
            return None
        if not self.entries:
            return f"holds {entries} entries, over the limit of {self.limits.max_entries}"
        return (
            f"holds {entries} entries, over the {max(self.entries_left(), 0)} left of the "
            f"bundle's limit of {self.limits.max_entries} (node zips count with the bundle)"
        )

    def over_size(self, size: int) -> str | None:
        """Why ``size`` more bytes would be too many, or None."""
        if size <= self.size_left():
            return None
        limit = size_text(self.limits.max_total_size)
        if not self.size:
            return f"unpacks to {size_text(size)}, over the {limit} limit"
        return (
            f"unpacks to {size_text(size)}, over the {size_text(max(self.size_left(), 0))} "
            f"left of the bundle's {limit} limit (node zips count with the bundle)"
        )

    def charge(self, entries: int, size: int) -> str | None:
        """Take ``entries`` and ``size`` from the budget, or say why not (taking nothing)."""
        with self._lock:
            why = self.over_entries(entries) or self.over_size(size)
            if why is None:
                self.entries += entries
                self.size += size
            return why
