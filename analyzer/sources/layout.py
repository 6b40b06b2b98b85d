"""Where a bundle layout keeps each file, as data; finding them in one bundle.

A layout is a map (insights-core's spec maps are the model): each logical file has its
candidate paths in order of preference, read with ``first_file`` (the first that exists) or
``glob_files`` (all that match, sorted). Only the support-bundle-kit layout of Harvester
exists today; another layout is another ``Layout``, not code in every source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from analyzer.bundle import NESTED
from analyzer.errors import BundleError
from analyzer.sources.missing import NODE_ZIPS, READ_ERRORS, SourceMissing

if TYPE_CHECKING:
    from analyzer.bundle import Bundle


class ObjectFiles(NamedTuple):
    """Object dumps: a regex over the path whose groups ``plural``, ``group``, ``version``,
    ``ns`` say what a file holds; the namespace and API group of files that name none."""

    pattern: str
    namespace: str | None = None
    group: str | None = None


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
    #: the object dumps, and what each holds
    objects: tuple[ObjectFiles, ...] = ()
    #: a collector's own name for a kind -> (API group, plural): troubleshoot's "pvcs"
    kinds: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: pod logs: (regex over the path, the logical name <namespace>/<pod>/<container>.log
    #: it stands for, ``.log.1`` for a previous container); none: the path under pod_logs
    pod_log_names: tuple[tuple[str, str], ...] = ()
    #: node logs: (regex over the path under the node's folder, the name it is matched as,
    #: ``<file>.log``); none: every file under node_logs, as it is named
    node_log_names: tuple[tuple[str, str], ...] = ()
    #: a one-node bundle (the logs collector): the file holding the node's name; the whole
    #: bundle is then that node's folder
    host_file: str = ""
    #: what a bundle of this layout lacks compared with a Harvester bundle, for the header
    lacks: str = ""
    #: how to collect what it lacks, with this collector (in place of Harvester's advice)
    collect: str = ""

    @cached_property
    def _object_patterns(self) -> list[tuple[re.Pattern[str], ObjectFiles]]:
        return [(re.compile(files.pattern), files) for files in self.objects]

    def object_file(self, path: str) -> tuple[str | None, str, str, str] | None:
        """(namespace, group, version, plural) of an object dump, or None for other files."""
        for pattern, files in self._object_patterns:
            match = pattern.fullmatch(path)
            if match:
                found = match.groupdict()
                plural, group = found["plural"], found.get("group") or files.group
                if group is None:
                    group, plural = self.kinds.get(plural, ("", plural))
                return found.get("ns") or files.namespace, group, found.get("version") or "", plural
        return None

    def node_log_name(self, relative: str) -> str | None:
        """The name a node log (path under the node's folder) is matched as, None if none."""
        if not relative.startswith(self.node_logs):
            return None
        for regex, name in self.node_log_names:
            match = re.fullmatch(regex, relative)
            if match:
                return match.expand(name)
        return None if self.node_log_names else relative[len(self.node_logs) :]

    def pod_log_name(self, path: str) -> str | None:
        """The logical name of a pod log (``<namespace>/<pod>/<file>``), None if not one."""
        if not path.startswith(self.pod_logs):
            return None
        for regex, name in self.pod_log_names:
            match = re.fullmatch(regex, path)
            if match:
                return match.expand(name)
        return None if self.pod_log_names else path[len(self.pod_logs) :]

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
    objects=(
        ObjectFiles(r"yamls/cluster/(?P<version>[^/]+)/(?P<plural>[^/]+)\.yaml"),
        ObjectFiles(r"yamls/cluster/(?P<group>[^/]+)/(?P<version>[^/]+)/(?P<plural>[^/]+)\.yaml"),
        ObjectFiles(r"yamls/namespaced/(?P<ns>[^/]+)/(?P<version>[^/]+)/(?P<plural>[^/]+)\.yaml"),
        ObjectFiles(
            r"yamls/namespaced/(?P<ns>[^/]+)/(?P<group>[^/]+)/(?P<version>[^/]+)/"
            r"(?P<plural>[^/]+)\.yaml"
        ),
    ),
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
                if not path.startswith(self.layout.yamls):
                    continue
                found = self.layout.object_file(path)
                if found is None:
                    continue
                namespace, group, version, plural = found
                index.setdefault((group, plural), []).append((namespace, version, path))
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
        return sorted(f"{group}/{plural}" if group else plural for group, plural in self.dumped())

    # -- node zips --------------------------------------------------------------------------------
    def node_roots(self) -> dict[str, str]:
        """node name -> path prefix of its files (``nodes/n.zip!/n/`` or ``nodes/n/``)."""
        if self._node_roots is None and self.layout.host_file:
            self._node_roots = {self._host_name(): ""}
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

    def _host_name(self) -> str:
        """The one node's name, from the layout's host file (its first line), else "host"."""
        try:
            with self.bundle.open(self.layout.host_file) as stream:
                name = stream.read(256).decode("utf-8", "replace").strip().split("\n")[0]
        except (KeyError, *READ_ERRORS):  # absent, or unreadable
            name = ""
        # A name is shown and matched in globs: a plain host name, or a placeholder.
        return name if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,62}", name) else "host"

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
