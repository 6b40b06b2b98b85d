"""The kind of bundle and what it holds: the ``bundle_kind`` source.

What a bundle holds comes from its kind (a Harvester bundle holds every product Harvester
ships, whatever was collected, so that its rules report what is missing instead of not
applying) and, for the other kinds, from the API groups and namespaces of the objects it holds
and the nodes' kubelet builds (``+rke2``). analyzer/applicability.py skips the rules that need
what it does not hold.
"""

from __future__ import annotations

from typing import Any

from analyzer.bundle import kinds
from analyzer.sources.core import Sources, source
from analyzer.sources.missing import SourceMissing

#: what a bundle can hold, as rules name it in ``products:``
PRODUCTS = ("harvester", "kubevirt", "longhorn", "rancher", "rke2", "support-bundle-kit")
#: what each kind holds by itself
KIND_PRODUCTS: dict[str, frozenset[str]] = {
    kinds.HARVESTER: frozenset(PRODUCTS),
    kinds.LONGHORN: frozenset({"longhorn", "support-bundle-kit"}),
    kinds.LONGHORN_LEGACY: frozenset({"longhorn"}),
    kinds.TROUBLESHOOT: frozenset(),
    kinds.LOGS_COLLECTOR: frozenset({"rke2"}),
}
#: API groups (and their subgroups) and namespaces whose objects show a product
GROUP_PRODUCTS = {
    "harvesterhci.io": "harvester",
    "kubevirt.io": "kubevirt",
    "longhorn.io": "longhorn",
    "cattle.io": "rancher",
}
NAMESPACE_PRODUCTS = {
    "harvester-system": "harvester",
    "longhorn-system": "longhorn",
    "cattle-system": "rancher",
}


@source(
    "bundle_kind",
    "kind (harvester, longhorn, longhorn-legacy, troubleshoot, logs-collector), description, "
    "products (what the bundle holds: harvester, kubevirt, longhorn, rancher, rke2, "
    "support-bundle-kit)",
)
def build_bundle_kind(src: Sources) -> dict[str, Any]:
    found = set(KIND_PRODUCTS[src.bundle_kind])
    if len(found) < len(PRODUCTS):
        for group, _ in src.dumped():
            found |= {p for g, p in GROUP_PRODUCTS.items() if group == g or group.endswith(f".{g}")}
        found |= {NAMESPACE_PRODUCTS[n] for n in src.namespaces() if n in NAMESPACE_PRODUCTS}
        try:
            builds = [str(node.get("kubelet_version") or "") for node in src.get("nodes")]
        except SourceMissing:
            builds = []
        if any("+rke2" in build for build in builds):
            found.add("rke2")
    return {
        "kind": src.bundle_kind,
        "description": kinds.DESCRIPTIONS[src.bundle_kind],
        "products": sorted(found),
    }
