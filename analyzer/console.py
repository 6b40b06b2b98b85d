"""What the command line writes to the console: words counted, text a non-UTF-8 terminal can
show, and the traceback of an internal error kept in a file.

Imports only the standard library: the CLI loads it before any command runs (see
analyzer/entry.py on why start-up stays light).
"""

from __future__ import annotations

import codecs
import locale
import os
import tempfile
import traceback
import unicodedata
from pathlib import Path
from typing import TextIO

#: the characters the reports and rules use (· … ¦ ─ └ ├, dashes, arrows, quotes), as a
#: reader of an ASCII terminal expects them
_ASCII = str.maketrans(
    {
        "\u00b7": "-",
        "\u2026": "...",
        "\u00a6": "|",
        "\u2500": "-",
        "\u2514": "`-",
        "\u251c": "|-",
        "\u2014": "--",
        "\u2013": "-",
        "\u2192": "->",
        "\u2190": "<-",
        "\u00d7": "x",
        "\u2265": ">=",
        "\u2264": "<=",
        "\u201c": '"',
        "\u201d": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u00a0": " ",
    }
)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 rule``, ``2 rules``, ``0 rules``; ``many`` where adding an s is wrong."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def _is_utf(encoding: str | None) -> bool:
    try:
        return codecs.lookup(encoding or "ascii").name.startswith("utf")
    except LookupError:
        return False


def wants_ascii(stream: TextIO) -> bool:
    """Whether ``stream`` goes where UTF-8 would show as garbage: its declared encoding is
    not UTF (PYTHONIOENCODING=ascii), or the locale's is not (LC_ALL=C). Python runs in its
    UTF-8 mode under the C locale (PEP 540) and click writes UTF-8 even to a stream declared
    ASCII, so neither raises: the terminal would show mojibake instead."""
    if not _is_utf(getattr(stream, "encoding", None)):
        return True
    try:
        return not _is_utf(locale.nl_langinfo(locale.CODESET))
    except (AttributeError, ValueError):  # no nl_langinfo (Windows): the stream decides
        return False


def to_ascii(text: str) -> str:
    """``text`` with every character an ASCII terminal cannot show replaced by its nearest
    ASCII spelling (``…`` -> ``...``, ``é`` -> ``e``) or ``?``."""
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_ASCII))
    return "".join(ch if ch.isascii() else "" if unicodedata.combining(ch) else "?" for ch in text)


def save_traceback(exc: BaseException) -> Path:
    """Write ``exc``'s traceback to a new private file (mode 0600, never an existing one) in
    the temporary folder; its path. OSError when it cannot be written (a full TMPDIR)."""
    fd, name = tempfile.mkstemp(prefix="bundle-analyzer-error-", suffix=".txt")
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write("".join(traceback.format_exception(exc)))
    return Path(name)
