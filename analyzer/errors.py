"""The one error root the CLI maps to exit code 2 (a clean one-line message, no traceback)."""


class AnalyzerError(Exception):
    """A problem the user can fix: the message is shown as one line."""


class BundleError(AnalyzerError):
    """The bundle cannot be read at all (missing, not an archive, not a support bundle)."""


class RuleError(AnalyzerError):
    """A rule file is invalid; the message names the file and the field."""
