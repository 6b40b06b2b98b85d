"""What a source says when the bundle lacks it: the reason, and how to collect it."""

from __future__ import annotations

import zipfile
import zlib

from analyzer.errors import BundleError

#: what reading a file of the bundle may raise: the file is then treated as unreadable
READ_ERRORS = (BundleError, OSError, zipfile.BadZipFile, zlib.error, EOFError)


class SourceMissing(Exception):
    """The bundle does not hold a source: what is absent, and how to collect it."""

    def __init__(self, reason: str, collect: str | None = None) -> None:
        super().__init__(reason)
        self.collect = collect


class SourceBroken(SourceMissing):
    """The bundle holds the source, but it could not be built from what is there: the
    message names the file and what was wrong. The rules that read it end as error."""


#: how to get what a bundle lacks, for the report's "what to collect next"
REGENERATE = (
    "Generate a new support bundle (Harvester UI: Support > Generate Support Bundle); if a "
    "part keeps failing, bundleGenerationError.log in the new bundle says why."
)
NODE_ZIPS = (
    "Node zips come only from nodes that are Ready while the bundle is made, and the collector "
    "waits at most support-bundle-node-collection-timeout minutes (Harvester setting, v1.3+): "
    "bring the node back or raise the timeout, then generate a new bundle. For a node that stays "
    "down, collect on the node itself: journalctl -u rke2-server -u rke2-agent -u rancherd "
    "-u rancher-system-agent, and /var/lib/rancher/rke2/agent/logs/kubelet.log."
)


def collect_namespace(namespace: str) -> str:
    """How to have the objects and logs of ``namespace`` in the next bundle."""
    return (
        f"Add {namespace} to the support-bundle-namespaces setting (Harvester UI: Advanced > "
        "Settings), then generate a new bundle."
    )


def collect_pod_logs(namespace: str) -> str:
    """How to have the pod logs of ``namespace``: a new bundle, or straight from the pods."""
    return (
        f"Add {namespace} to the support-bundle-namespaces setting (Harvester UI: Advanced > "
        f"Settings) and generate a new bundle, or save the logs directly: kubectl -n "
        f"{namespace} logs POD --all-containers (--previous for a restarted container)."
    )
