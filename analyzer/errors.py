"""The one error root the CLI maps to exit code 2 (a clean one-line message, no traceback)."""

from __future__ import annotations

import errno
import tempfile


class AnalyzerError(Exception):
    """A problem the user can fix: the message is shown as one line."""


class BundleError(AnalyzerError):
    """The bundle cannot be read at all (missing, not an archive, not a support bundle)."""


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
