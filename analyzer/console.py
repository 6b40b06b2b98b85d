"""What the command line writes to the console: words counted, text a non-UTF-8 terminal can
show, and the traceback of an internal error kept in a file.

Imports only the standard library: the CLI loads it before any command runs (see
analyzer/entry.py on why start-up stays light).
"""

from __future__ import annotations

import codecs
import locale
import os
import sys
import tempfile
import traceback
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from analyzer.report import Report

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


def profile_summary(profile: dict[str, dict[str, float]], total: float) -> str:
    """The --profile summary for stderr: the slowest phases, sources and rules."""
    lines = [f"profile: {total:.2f} s in all (bundle opened and report rendered included)"]
    for table in ("phases", "sources", "rules"):
        slowest = list(profile[table].items())[:5]
        lines.append(f"  {table}: " + ", ".join(f"{k} {v:.2f}s" for k, v in slowest))
    return "\n".join(lines)


def summary_line(report: Report, output: Path) -> str:
    """The line on stderr after a report was written to ``output``."""
    worst = report.worst_severity()
    roots = plural(len(report.root_causes), "root cause")
    return f"{output}: {f'{roots}, worst {worst}' if worst else 'no problem found'}"


class InternalError(Exception):
    """A bug: the one-line message, and where the traceback went (a file, or stderr with
    --debug), so that a user can attach it to a report without a wall of text first."""

    def __init__(self, cause: BaseException, debug: bool) -> None:
        why = f"{type(cause).__name__}: {cause}"
        if debug:
            text = "".join(traceback.format_exception(cause))
            sys.stderr.write(to_ascii(text) if wants_ascii(sys.stderr) else text)
            where = "traceback above"
        else:
            try:
                where = f"traceback in {save_traceback(cause)}; --debug prints it"
            except OSError as exc:
                where = f"traceback not saved: {exc.strerror or exc}; --debug prints it"
        super().__init__(f"{why} ({where})")


def color_allowed() -> bool:
    """Whether colour may be used where the user did not say (``--color auto``)."""
    # https://no-color.org: any non-empty NO_COLOR turns colour off; so does a dumb terminal.
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
