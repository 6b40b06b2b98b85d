"""bundle-analyzer: offline, rule-based root-cause analysis of Harvester support bundles.

The library API: ``analyze(bundle, rules) -> Report`` and ``render(report, fmt) -> str``.
"""

from analyzer._version import __version__
from analyzer.bundle import Bundle, open_bundle
from analyzer.engine import analyze
from analyzer.errors import AnalyzerError, BundleError, RuleError
from analyzer.render import render
from analyzer.report import Evidence, Finding, Report
from analyzer.rulebook import RuleBook, default_rules_dir, load_rules

__all__ = [
    "AnalyzerError",
    "Bundle",
    "BundleError",
    "Evidence",
    "Finding",
    "Report",
    "RuleBook",
    "RuleError",
    "__version__",
    "analyze",
    "default_rules_dir",
    "load_rules",
    "open_bundle",
    "render",
]
