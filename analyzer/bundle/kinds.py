"""What kind of bundle a tree holds, from its markers (never from its file name).

Each collector writes files no other one writes at the bundle's top (the layouts, from the
collectors' source, are in docs/rule-format.md "Bundle kinds"):

- support-bundle-kit (Harvester; Longhorn >= 1.4): ``metadata.yaml``, ``yamls/cluster|namespaced``;
- Longhorn's legacy bundle (<= 1.3): ``yamls/kubernetes/`` and ``yamls/longhorn/``;
- troubleshoot.sh (Replicated): ``version.yaml`` and ``cluster-resources/``;
- Rancher's logs collector: ``systeminfo/``, ``journald/`` and ``rke2/kubectl/`` (or k3s).

Harvester's and Longhorn's support-bundle-kit bundles share a layout; they differ by what was
collected: Harvester's objects and namespace, or Longhorn's without them.
"""

from __future__ import annotations

from collections.abc import Iterable

#: the files (not folders) whose presence at the top marks a bundle
FILE_MARKERS = frozenset({"metadata.yaml", "version.yaml"})
#: the folders whose presence at the top marks a bundle
DIR_MARKERS = frozenset({"yamls", "cluster-resources", "systeminfo", "journald"})
MARKERS = tuple(sorted(FILE_MARKERS | DIR_MARKERS))

HARVESTER = "harvester"
LONGHORN = "longhorn"
LONGHORN_LEGACY = "longhorn-legacy"
TROUBLESHOOT = "troubleshoot"
LOGS_COLLECTOR = "logs-collector"
KINDS = (HARVESTER, LONGHORN, LONGHORN_LEGACY, TROUBLESHOOT, LOGS_COLLECTOR)

#: what a bundle kind is, for the report header
DESCRIPTIONS = {
    HARVESTER: "Harvester support bundle (support-bundle-kit)",
    LONGHORN: "Longhorn >= 1.4 support bundle (support-bundle-kit, collector longhorn)",
    LONGHORN_LEGACY: "Longhorn <= 1.3 support bundle (legacy layout)",
    TROUBLESHOOT: "troubleshoot.sh support bundle (Replicated)",
    LOGS_COLLECTOR: "Rancher logs collector archive (one node)",
}

_HARVESTER_SIGNS = ("yamls/namespaced/harvester-system/", "yamls/cluster/harvesterhci.io/")
_LONGHORN_SIGNS = ("yamls/namespaced/longhorn-system/", "yamls/cluster/longhorn.io/")


def is_marker(parts: list[str], depth: int) -> bool:
    """Whether ``parts`` (a path split at "/") names a marker at ``depth``."""
    if len(parts) <= depth:
        return False
    name = parts[depth]
    if len(parts) == depth + 1:
        return name in FILE_MARKERS
    return name in DIR_MARKERS


def detect(files: Iterable[str]) -> str:
    """The kind of the bundle whose files (relative to its root) are ``files``."""
    tops: set[str] = set()
    harvester = longhorn = legacy = False
    for path in files:
        top, _, rest = path.partition("/")
        tops.add(top if rest else f"{top}:file")
        # Longhorn's node collector writes hostinfos/ (seen here when node zips are unpacked)
        longhorn = longhorn or (top == "nodes" and "/hostinfos/" in rest)
        if top == "yamls":
            legacy = legacy or rest.startswith(("kubernetes/", "longhorn/"))
            harvester = harvester or path.startswith(_HARVESTER_SIGNS)
            longhorn = longhorn or path.startswith(_LONGHORN_SIGNS)
    if "yamls" in tops or "metadata.yaml:file" in tops:
        if legacy and not harvester:
            return LONGHORN_LEGACY
        # A Longhorn bundle collects longhorn-system and a few Kubernetes namespaces, never
        # Harvester's: with neither Harvester's namespace nor its objects, it is Longhorn's.
        return LONGHORN if longhorn and not harvester else HARVESTER
    if "cluster-resources" in tops or "version.yaml:file" in tops:
        return TROUBLESHOOT
    return LOGS_COLLECTOR
