"""Which of many literals occur in a block of log text: the first, cheap stage of a scan.

Every log pattern names literals one of which each of its matches contains (see
``logscan.required_literals``), and most blocks of a log contain none: finding that out fast,
whatever the number of patterns, is most of the scanning cost. Hyperscan (Intel's
multi-literal engine, SIMD) does it at 2.5-5 GB/s for 10 to 200 literals alike; RE2, the
alternative at hand, runs them through its DFA at ~650 MB/s (measured on node logs:
``benchmarks/scale.py --literals``). Where no Hyperscan wheel exists for the platform, an
RE2 set does the same job, slower; both say exactly which literals occur.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import re2

try:
    import hyperscan
except ImportError:  # pragma: no cover - platforms without a wheel: the RE2 set below
    hyperscan = None


# Bytes by how often they occur in the logs of a real bundle, most common first (bytes not
# listed are rarer still). Hyperscan's engine for a few literals (Teddy) sifts blocks by the
# last bytes of each literal: ending on a rare byte it sifts out nearly every position.
_COMMON_BYTES = b' e2ron01:tia-dscl3"g5.47vm68pub9f=hT/Zyk\n,]_\\w[EMSP+x{}W()NDX#B;I><VqC'
WINDOW = 8  # bytes of a literal searched for: with a rare last byte, still specific


def _rarity(byte: int) -> int:
    found = _COMMON_BYTES.find(bytes([byte]))
    return len(_COMMON_BYTES) if found < 0 else found


def rare_window(word: bytes) -> bytes:
    """The ``WINDOW`` bytes of ``word`` that end on its rarest byte (the latest of equals);
    every line holding ``word`` holds them. Measured on node logs, literals cut this way
    are found at ~9 GB/s where the whole ones go at ~3."""
    if len(word) <= WINDOW:
        return word
    end = max(range(WINDOW - 1, len(word)), key=lambda i: (_rarity(word[i]), i))
    return word[end - WINDOW + 1 : end + 1]


class LiteralSet:
    """Finds which of ``words`` occur in a block. One per process (Hyperscan's scratch
    space is not shared); build once per set of words and reuse."""

    def __init__(self, words: Sequence[bytes], engine: str | None = None) -> None:
        self.words = list(words)
        windows = [rare_window(word) for word in self.words]
        self.engine = engine or ("hyperscan" if hyperscan is not None else "re2")
        if self.engine == "hyperscan":
            self._database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
            self._database.compile(
                expressions=windows,
                ids=list(range(len(windows))),
                elements=len(windows),
                flags=hyperscan.HS_FLAG_SINGLEMATCH,  # each literal reported once a block
                literal=True,
            )
            self._scratch = hyperscan.Scratch(self._database)
        else:
            options = re2.Options()
            options.log_errors = False
            self._set = re2.Set.SearchSet(options)
            for window in windows:
                self._set.Add(re2.escape(window))
            self._set.Compile()

    def occurring(self, data: bytes, start: int, end: int) -> set[int]:
        """Indexes (in ``words``) of the words whose rare window occurs in
        ``data[start:end]``: every word that occurs, and now and then one that does not."""
        if self.engine == "hyperscan":
            found: set[int] = set()
            self._database.scan(
                memoryview(data)[start:end],
                match_event_handler=_add,
                context=found,
                scratch=self._scratch,
            )
            return found
        return set(self._set.Match(data[start:end]) or ())


def _add(index: int, start: int, end: int, flags: int, found: Any) -> None:
    found.add(index)
