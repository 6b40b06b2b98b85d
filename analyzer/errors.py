"""The one error root the CLI maps to exit code 2 (a clean one-line message, no traceback)."""

from __future__ import annotations

import errno
import re
import tempfile

# C0 and C1 control characters, DEL, and the lone surrogates that stand for bytes of a file
# name that are not UTF-8 (os.fsdecode's surrogateescape): none may reach a terminal or a report.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a raw byte of a non-UTF-8 name, shown as that byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with control characters and undecodable bytes escaped (``\\x1b``): file names
    come from the bundle, and one could carry a newline or a terminal escape sequence."""
    return _UNPRINTABLE.sub(_escape, text)


class AnalyzerError(Exception):
    """A problem the user can fix: the message is shown as one line."""


class BundleError(AnalyzerError):
    """The bundle cannot be read at all (missing, not an archive, not a support bundle).

    Its message names files of the bundle, so it is made printable here, once for every
    place that raises one: the CLI shows it as its one error line, reports quote it in notes.
    """

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


class RuleError(AnalyzerError):
    """A rule file is invalid; the message names the file and the field."""


class WorkAreaError(AnalyzerError):
    """The private temporary folder cannot be written (TMPDIR full, read-only, over quota).

    Not a BundleError: the bundle is fine, and nothing may report it as unreadable ("not a
    tar archive", "no node zips"); the run stops with this one line instead."""


#: errors of writing rather than of reading the bundle: the temporary folder is at fault
WRITE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EFBIG", "EROFS") if hasattr(errno, name)
)


def work_area_error(exc: OSError) -> WorkAreaError:
    """The one-line error for a failed write to the private folder, naming TMPDIR."""
    return WorkAreaError(
        f"cannot write to the temporary folder {tempfile.gettempdir()} (TMPDIR): "
        f"{exc.strerror or exc}; free space there or set TMPDIR to another folder"
    )
