"""Which rules apply to a kind of bundle: what the bundle holds against what a rule needs.

A rule needs products (``products:``, by default those of its folder): a Harvester rule
means nothing on a troubleshoot.sh bundle of some other product, a Longhorn rule runs
wherever Longhorn objects are, a Kubernetes rule everywhere. What the bundle holds is the
``bundle_kind`` source (analyzer/sources/kind.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from analyzer.sources import SourceMissing

if TYPE_CHECKING:
    from analyzer.ruleparse import Rule
    from analyzer.sources import Sources

#: what a rule of a folder needs when it says nothing (folders not named need nothing)
CATEGORY_PRODUCTS: dict[str, tuple[str, ...]] = {
    "harvester": ("harvester",),
    "kubevirt": ("kubevirt",),
    "longhorn": ("longhorn",),
    "rke2": ("rke2",),
    "rancher": ("rancher",),
    "fleet": ("rancher",),
    "bundle": ("support-bundle-kit",),
}


def needed(rule: Rule) -> tuple[str, ...]:
    """What ``rule`` needs the bundle to hold: its own ``products``, else its folder's."""
    return rule.products or CATEGORY_PRODUCTS.get(rule.category, ())


def refusal(rule: Rule, sources: Sources) -> str | None:
    """Why ``rule`` does not apply to this kind of bundle, or None when it does."""
    try:
        held = sources.get("bundle_kind")
    except SourceMissing:  # could not be told (noted): the rule runs and says what it lacks
        return None
    lacking = [p for p in needed(rule) if p not in held["products"]]
    if not lacking:
        return None
    return (
        f"not applicable to this kind of bundle: the rule needs {', '.join(lacking)}; this "
        f"{held['description']} holds no {' or '.join(lacking)} data"
    )


def collect_hint(collect: str | None, sources: Sources) -> str | None:
    """How to collect what a rule lacked: the kind's own collector's way, in place of the
    Harvester advice the sources give (support-bundle-kit settings, Harvester UI)."""
    return sources.layout.collect or collect if collect else None
