"""Where a bundle layout keeps each file, as data; finding them in one bundle.

A layout is a map (insights-core's spec maps are the model): each logical file has its
candidate paths in order of preference, read with ``first_file`` (the first that exists) or
``glob_files`` (all that match, sorted). Only the support-bundle-kit layout of Harvester
exists today; another layout is another ``Layout``, not code in every source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

from analyzer.bundle import NESTED
from analyzer.errors import BundleError
from analyzer.sources.missing import NODE_ZIPS, SourceMissing

if TYPE_CHECKING:
    from analyzer.bundle import Bundle


@dataclass(frozen=True)
class Layout:
    """The folders of a layout, and its logical files -> candidate paths (globs allowed);
    paths of node files are relative to the node's folder."""

    name: str
    yamls: str
    nodes: str
    pod_logs: str
    node_logs: str
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def first_file(self, name: str, present: Iterable[str], prefix: str = "") -> str | None:
        """The first candidate of ``name`` (under ``prefix``) that is among ``present``."""
        have = set(present)
        return next((prefix + c for c in self.files[name] if prefix + c in have), None)

    def glob_files(self, name: str, present: Iterable[str], prefix: str = "") -> list[str]:
        """Every file among ``present`` that a candidate of ``name`` matches, by candidate
        order, then by name."""
        # The prefix (a node's folder) is matched as text: a node name is not a pattern.
        have = sorted(p[len(prefix) :] for p in present if p.startswith(prefix))
        found: list[str] = []
        for candidate in self.files[name]:
            found += [
                prefix + p for p in have if fnmatchcase(p, candidate) and prefix + p not in found
            ]
        return found


#: Harvester's support-bundle-kit: object dumps, pod logs, one zip per node
SUPPORT_BUNDLE_KIT = Layout(
    name="support-bundle-kit",
    yamls="yamls",
    nodes="nodes",
    pod_logs="logs/",
    node_logs="logs/",
    files={
        "metadata": ("metadata.yaml",),
        "harvester_release": ("configs/etc/harvester-release.yaml",),
        # support-bundle-kit v0.0.3x+ (Harvester v1.4+), when cattle-monitoring-system runs
        "prometheus_alerts": ("prometheus-alerts.json",),
        # rke2 reads config.yaml, then config.yaml.d/*.yaml and *.yml together in name order
        "rke2_config": (
            "configs/etc/rancher/rke2/config.yaml",
            "configs/etc/rancher/rke2/config.yaml.d/*.y*ml",
        ),
    },
)


class Located:
    """The files of one bundle by layout: its object dumps by kind, its node folders."""

    def __init__(self, bundle: Bundle, layout: Layout = SUPPORT_BUNDLE_KIT) -> None:
        self.bundle = bundle
        self.layout = layout
        self._index: dict[tuple[str, str], list[tuple[str | None, str, str]]] | None = None
        self._namespaces: set[str] = set()
        self._node_roots: dict[str, str] | None = None
        #: node -> why its zip, present in the bundle, could not be read
        self.node_zip_problems: dict[str, str] = {}
        #: files that could not be read, for the report's collection notes
        self.notes: list[str] = []

    def note(self, text: str) -> None:
        """A file that could not be read, or something the reader had to skip."""
        if text not in self.notes:
            self.notes.append(text)

    def _yaml_index(self) -> dict[tuple[str, str], list[tuple[str | None, str, str]]]:
        """(group, plural) -> [(namespace, api version, path)], from the yamls/ file names."""
        if self._index is None:
            index: dict[tuple[str, str], list[tuple[str | None, str, str]]] = {}
            for path in self.bundle.files():
                parts = path.split("/")
                if len(parts) < 4 or parts[0] != self.layout.yamls or not path.endswith(".yaml"):
                    continue
                if parts[1] == "cluster":
                    namespace, rest = None, parts[2:]
                elif parts[1] == "namespaced" and len(parts) >= 5:
                    namespace, rest = parts[2], parts[3:]
                else:
                    continue
                if len(rest) == 2:
                    group, version, filename = "", rest[0], rest[1]
                elif len(rest) == 3:
                    group, version, filename = rest
                else:
                    continue
                index.setdefault((group, filename[: -len(".yaml")]), []).append(
                    (namespace, version, path)
                )
                if namespace:
                    self._namespaces.add(namespace)
            self._index = index
        return self._index

    def dumped(self) -> dict[tuple[str, str], list[tuple[str | None, str, str]]]:
        """(group, plural) -> [(namespace or None, api version, path)] of every object dump."""
        return self._yaml_index()

    def namespaces(self) -> set[str]:
        """The namespaces the bundle holds objects of (``yamls/namespaced/<ns>/``)."""
        self._yaml_index()
        return self._namespaces

    def object_kinds(self) -> list[str]:
        """Every kind the bundle holds objects of, as ``Sources.kind`` keys, sorted (diff)."""
        return sorted(
            f"{group}/{plural}" if group else plural for group, plural in self._yaml_index()
        )

    # -- node zips --------------------------------------------------------------------------------
    def node_roots(self) -> dict[str, str]:
        """node name -> path prefix of its files (``nodes/n.zip!/n/`` or ``nodes/n/``)."""
        if self._node_roots is None:
            roots: dict[str, str] = {}
            for path in self.bundle.files():
                parts = path.split("/")
                if len(parts) == 2 and parts[0] == self.layout.nodes and parts[1].endswith(".zip"):
                    roots[parts[1][: -len(".zip")]] = path + NESTED
                elif len(parts) > 2 and parts[0] == self.layout.nodes:
                    roots.setdefault(parts[1], f"{self.layout.nodes}/{parts[1]}/")
            self.bundle.open_nested([p[: -len(NESTED)] for p in roots.values() if NESTED in p])
            for node, prefix in list(roots.items()):
                if prefix.endswith(NESTED):
                    roots[node] = self._nested_root(node, prefix)
            self._node_roots = {n: p for n, p in sorted(roots.items()) if p}
        return self._node_roots

    def _nested_root(self, node: str, prefix: str) -> str:
        outer = prefix[: -len(NESTED)]
        try:
            inner = self.bundle.nested(outer).files()
        except BundleError as exc:
            self.note(str(exc))
            self.node_zip_problems[node] = str(exc)
            return ""
        tops = {name.split("/", 1)[0] for name in inner if "/" in name}
        # Node zips hold one folder named after the node; use whatever single folder is there.
        return prefix + (tops.pop() + "/" if len(tops) == 1 else "")

    def node_files(self, node: str) -> list[str]:
        prefix = self.node_roots()[node]
        if NESTED in prefix:
            outer, inner_prefix = prefix.split(NESTED, 1)
            return [
                f"{outer}{NESTED}{name}"
                for name in self.bundle.nested(outer).files()
                if name.startswith(inner_prefix)
            ]
        return [f for f in self.bundle.files() if f.startswith(prefix)]

    def require_node_zips(self) -> dict[str, str]:
        roots = self.node_roots()
        if not roots:
            raise SourceMissing("the bundle has no node zips (nodes/<node>.zip)", NODE_ZIPS)
        return roots
