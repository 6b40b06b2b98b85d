"""bundle-analyzer: offline, rule-based root-cause analysis of Harvester support bundles.

The library API: ``analyze(bundle, rules) -> Report`` and ``render(report, fmt) -> str``.

The names below are imported on first use (PEP 562), not with the package: the command
line's entry point (analyzer/entry.py) must install its signal handlers before the heavy
modules load, and importing any submodule imports this package first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from analyzer._version import __version__

#: public name -> the module that defines it
_EXPORTS = {
    "AnalyzerError": "analyzer.errors",
    "Bundle": "analyzer.bundle",
    "BundleError": "analyzer.errors",
    "Evidence": "analyzer.report",
    "Finding": "analyzer.report",
    "Report": "analyzer.report",
    "RuleBook": "analyzer.rulebook",
    "RuleError": "analyzer.errors",
    "analyze": "analyzer.engine",
    "default_rules_dir": "analyzer.rulebook",
    "load_rules": "analyzer.rulebook",
    "open_bundle": "analyzer.bundle",
    "render": "analyzer.render",
}

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

if TYPE_CHECKING:  # for type checkers and editors: the names as if imported eagerly
    from analyzer.bundle import Bundle, open_bundle
    from analyzer.engine import analyze
    from analyzer.errors import AnalyzerError, BundleError, RuleError
    from analyzer.render import render
    from analyzer.report import Evidence, Finding, Report
    from analyzer.rulebook import RuleBook, default_rules_dir, load_rules


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'analyzer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # once imported, an ordinary module attribute
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
