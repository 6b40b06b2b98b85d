"""The one error root the CLI maps to exit code 2 (a clean one-line message, no traceback)."""

import re

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
