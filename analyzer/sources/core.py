"""The machinery every source shares: the registry, caching, citing, YAML dumps.

A source is a function registered with ``@source(name, description)``; it receives the
``Sources`` of one bundle and returns records. ``Sources`` builds each source on first use
and keeps it for the run, parses a YAML file only when some source asks for it (and then
once), and remembers where every record came from so that whatever a rule's query selects
can be cited as file and line without the rule naming a path.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from analyzer.bundle import Bundle, kinds, open_bundle
from analyzer.bundle.fieldline import field_line
from analyzer.bundle.logscan import line_blocks
from analyzer.bundle.timestamps import iso, parse_rfc3339
from analyzer.bundle.yamlfile import (
    ObjectList,
    ParseBudget,
    YamlFileError,
    load_document,
    load_list,
)
from analyzer.profile import Profile
from analyzer.report import BundleInfo, Evidence, NodeInfo
from analyzer.sources import guard
from analyzer.sources.citations import Citations
from analyzer.sources.layout import SUPPORT_BUNDLE_KIT, Layout, Located
from analyzer.sources.layouts import LAYOUTS
from analyzer.sources.logs import LOG_SOURCES
from analyzer.sources.missing import (
    READ_ERRORS,
    REGENERATE,
    SourceBroken,
    SourceMissing,
    collect_namespace,
)


@dataclass(frozen=True)
class RecordSource:
    """A source of records: what its records hold (for the docs and the rule checks) and
    its builder; ``objects`` has none, being read kind by kind (``Sources.objects``)."""

    description: str
    build: Callable[[Sources], Any] | None = None


#: the record sources by name: one table for validation, documentation and building
SOURCES: dict[str, RecordSource] = {
    "objects": RecordSource(
        'objects of any kind, as dumped: objects."<group>/<plural>[@<namespace>]" '
        '(core kinds have no group: objects.nodes, objects."pods@kube-system"); any API '
        "version of the group is read, the highest wins"
    ),
}
# A CRD's plural may hold hyphens (k8s.cni.cncf.io/network-attachment-definitions).
KIND_KEY = re.compile(
    r"^(?:(?P<group>[a-z0-9.-]+)/)?(?P<plural>[a-z0-9]+(?:-[a-z0-9]+)*)"
    r"(?:@(?P<ns>[a-z0-9.-]+))?$"
)
_API_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
#: support-bundle-kit's _2025-06-02T09-00-00Z, troubleshoot's -2025-06-02T09_00_00, the
#: logs collector's -2025-06-02_09_00_00
_NAME_TIME = re.compile(r"[_-](\d{4}-\d{2}-\d{2})[T_](\d{2})[-_](\d{2})[-_](\d{2})Z?")


def source(name: str, description: str) -> Callable:
    """Register a builder of the source ``name`` (its record fields in ``description``)."""

    def register(build: Callable[[Sources], Any]) -> Callable[[Sources], Any]:
        SOURCES[name] = RecordSource(description, build)
        return build

    return register


def dig(value: Any, *keys: str) -> Any:
    """``value[k1][k2]...``, or None where a level is missing or not a mapping."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def api_version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1 (higher is preferred)."""
    match = _API_VERSION.match(version)
    if not match:
        return (-1, 0, 0)
    stability = {"alpha": 0, "beta": 1, None: 2}[match.group(2)]
    return (stability, int(match.group(1)), int(match.group(3) or 0))


class Sources(Located):
    """The logical sources of one bundle, built on demand and kept for the run."""

    def __init__(self, bundle: Bundle, layout: Layout | None = None) -> None:
        #: the kind of bundle, from its markers (analyzer.bundle.kinds)
        self.bundle_kind = kinds.detect(bundle.files())
        super().__init__(bundle, layout or LAYOUTS[self.bundle_kind])
        if self.layout.lacks:
            kind = kinds.DESCRIPTIONS[self.bundle_kind]
            self.note(f"read as a {kind}; it lacks {self.layout.lacks}")
        self._values: dict[str, Any] = {}
        self._missing: dict[str, SourceMissing] = {}
        self._lists: dict[str, ObjectList | str] = {}
        self._refs = Citations()
        self._created_at: datetime | bool | None = False
        #: one budget for every YAML file parsed in the run: memory stays bounded
        self.parse_budget = ParseBudget()
        self.version_refs: dict[str, Evidence] = {}
        self.profile = Profile()
        #: a builder that fails on an odd value skips that object, or fails alone
        self._guard = guard.BuildGuard(self.note, SourceMissing)

    # -- generic access -------------------------------------------------------------------------
    def _cached(self, key: str, build: Callable[[], Any]) -> Any:
        if key in self._missing:
            raise self._missing[key]
        if key not in self._values:
            try:
                with self.profile.timed(self.profile.sources, key):
                    self._values[key] = self._guard.run(key, build, self._refs, self._broken)
            except SourceMissing as exc:
                self._missing[key] = exc
                raise
        return self._guard.without(self._values[key])

    def _broken(self, reason: str) -> SourceBroken:
        self.note(reason)
        return SourceBroken(reason)

    def get(self, name: str) -> Any:
        """The value of a named source (not ``objects``); SourceMissing if the bundle lacks it."""
        build = SOURCES[name].build
        assert build is not None, "objects are read by kind"
        return self._cached(name, lambda: build(self))

    def cite(self, value: Any) -> Evidence | None:
        """Where a record returned by a source came from, if it is one."""
        return self._refs.get(value)

    def remember(
        self,
        value: Any,
        path: str,
        line: int | None,
        excerpt: str,
        time: str | None = None,
        span: tuple[int, int] | None = None,
    ) -> Any:
        """Record where ``value`` came from, so that citing it later gives file and line."""
        if value not in self._refs:
            self._guard.remembered(value)
        self._refs.add(value, Evidence(path, line, excerpt, time, span))
        return value

    def created_at(self) -> datetime | None:
        """When the bundle was made: metadata, else the time in the bundle's name."""
        if self._created_at is False:
            try:
                stamp = parse_rfc3339(str(self.get("metadata").get("created_at") or ""))
            except SourceMissing:
                stamp = None
            if stamp is None:
                match = _NAME_TIME.search(self.bundle.name)
                if match:
                    stamp = parse_rfc3339(f"{match[1]}T{match[2]}:{match[3]}:{match[4]}Z")
            self._created_at = stamp
        return self._created_at  # type: ignore[return-value]

    def age_hours(self, timestamp: Any) -> float | None:
        """Hours from ``timestamp`` to the bundle's creation (negative: after it)."""
        created, stamp = (
            self.created_at(),
            parse_rfc3339(timestamp if isinstance(timestamp, str) else None),
        )
        if created is None or stamp is None:
            return None
        return round((created - stamp).total_seconds() / 3600, 3)

    # -- YAML dumps ------------------------------------------------------------------------------
    def _load_list(self, path: str) -> ObjectList:
        self._guard.reading(path)
        cached = self._lists.get(path)
        limit = self.bundle.limits.max_parse_size
        if cached is None and self.bundle.size(path) > limit:
            size = self.bundle.size(path) >> 20
            cached = f"{path}: {size} MiB, over the {limit >> 20} MiB YAML parsing limit"
        if cached is None:
            try:
                with self.bundle.open(path) as stream:
                    cached = load_list(stream, self.parse_budget)
            except YamlFileError as exc:
                cached = f"{path}: {exc}"
            except READ_ERRORS as exc:
                cached = f"{path}: cannot read ({exc})"
            except MemoryError:
                cached = f"{path}: not enough memory to parse it"
            if isinstance(cached, str):
                self.note(cached)
            self._lists[path] = cached
        if isinstance(cached, str):
            raise SourceMissing(cached, REGENERATE)
        return cached

    def kind(self, key: str) -> list[dict[str, Any]]:
        """Objects of one kind: ``"longhorn.io/volumes"``, ``"pods@kube-system"``, ``"nodes"``.

        Only the server-preferred version of a group is dumped, and it changes between
        releases (Longhorn v1beta1 -> v1beta2): any version is accepted, the highest wins.
        A kind without a file means zero objects (newer collectors write no empty files);
        a namespace without any file was not collected, which is reported as missing.
        """
        return self._cached(f"objects:{key}", lambda: self._build_kind(key))

    def _build_kind(self, key: str) -> list[dict[str, Any]]:
        match = KIND_KEY.match(key)
        if not match:
            raise SourceMissing(f"'{key}' is not a kind (expected <group>/<plural>[@<namespace>])")
        group, plural, namespace = match["group"] or "", match["plural"], match["ns"]
        index = self._yaml_index()
        if not index:
            where = self.layout.yamls.rstrip("/")
            raise SourceMissing(f"the bundle has no Kubernetes objects ({where}/)", REGENERATE)
        if namespace and namespace not in self._namespaces:
            raise SourceMissing(
                f"namespace {namespace} was not collected (no "
                + (f"yamls/namespaced/{namespace}/)" if self._kit_paths() else "object of it)"),
                collect_namespace(namespace),
            )
        chosen: dict[str | None, tuple[str, str]] = {}
        for ns, version, path in index.get((group, plural), []):
            if namespace is not None and ns != namespace:
                continue
            if ns not in chosen or api_version_rank(version) > api_version_rank(chosen[ns][0]):
                chosen[ns] = (version, path)
        items: list[dict[str, Any]] = []
        for _, path in sorted(chosen.values(), key=lambda vp: vp[1]):
            loaded = self._load_list(path)
            for item, line in zip(loaded.items, loaded.lines, strict=True):
                name = dig(item, "metadata", "name") or "?"
                ns = dig(item, "metadata", "namespace")
                # Formatted, not concatenated: a namespace or name may be any type.
                label = f"{item.get('kind') or plural} {f'{ns}/' if ns else ''}{name}"
                items.append(self.remember(item, path, line, label))
        return items

    def _kit_paths(self) -> bool:
        """Whether the objects are where support-bundle-kit writes them (messages name it)."""
        return self.layout.objects == SUPPORT_BUNDLE_KIT.objects

    def require_kind(self, key: str, expected: str) -> list[dict[str, Any]]:
        """Like ``kind``, but a kind with no file at all is missing (``expected`` names it)."""
        group, _, plural = key.partition("@")[0].rpartition("/")
        if (group, plural) not in self._yaml_index():
            # The path a builder expects is support-bundle-kit's; other kinds name the kind.
            reason = (
                f"{expected} is not in the bundle"
                if self._kit_paths()
                else f"{plural} were not collected (no file holds them)"
            )
            raise SourceMissing(reason, REGENERATE)
        return self.kind(key)

    def document(self, path: str) -> Any:
        """A small YAML/JSON file (metadata, configs), or None with a note if unreadable."""
        self._guard.reading(path)
        if self.bundle.size(path) > self.bundle.limits.max_parse_size:
            self.note(f"{path}: over the YAML parsing limit")
            return None
        try:
            with self.bundle.open(path) as stream:
                return load_document(stream, self.parse_budget)
        except YamlFileError as exc:
            self.note(f"{path}: {exc}")
        except READ_ERRORS as exc:
            self.note(f"{path}: cannot read ({exc})")
        except MemoryError:
            self.note(f"{path}: not enough memory to parse it")
        return None

    def line_of(self, path: str, needle: str) -> int | None:
        """The first line of ``path`` containing ``needle``."""
        try:
            with self.bundle.open(path) as stream:
                for first, data, start, end in line_blocks(stream):
                    at = data.find(needle.encode(), start, end)
                    if at >= 0:
                        return first + data.count(b"\n", start, at)
        except READ_ERRORS:
            return None
        return None

    def cite_field(self, where: Evidence | None, *fields: str) -> Evidence | None:
        """The first of ``fields`` (analyzer.bundle.fieldline paths) that the object cited at
        ``where`` has: its own line, quoted as the excerpt; None when it has none of them."""
        for field in fields if where is not None and where.line else ():
            try:
                with self.bundle.open(where.path) as stream:
                    text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace")
                    found = field_line(text, where.line, field)
            except READ_ERRORS:
                return None
            if found:
                return Evidence(where.path, found[0], found[1])
        return None

    def last_line(self, path: str) -> tuple[int, str] | None:
        """The number and text of the last non-empty line of ``path`` (read as a stream)."""
        found = None
        try:
            with self.bundle.open(path) as stream:
                for first, data, start, end in line_blocks(stream):
                    lines = data[start:end].split(b"\n")[:-1]
                    for offset in range(len(lines) - 1, -1, -1):
                        if lines[offset].strip():
                            found = (first + offset, lines[offset])
                            break
        except READ_ERRORS:
            return None
        if found is None:
            return None
        return found[0], found[1].decode("utf-8", "replace").rstrip("\r")[:1000]

    # -- logs ---------------------------------------------------------------------------------
    def log_files(self, source: str) -> list[tuple[str, str]]:
        """(logical name, path) of every file of a log source, sorted by logical name."""
        return self._cached(f"logs:{source}", lambda: LOG_SOURCES[source].files(self))

    def origin(self, path: str) -> str:
        """Where a file comes from, for people: the node, the namespace/pod, or the path."""
        for node, prefix in self.node_roots().items():
            if path.startswith(prefix):
                return node
        parts = (self.layout.pod_log_name(path) or "").split("/")
        return f"{parts[0]}/{parts[1]}" if len(parts) >= 3 else path

    # -- the cluster identity for the report header ----------------------------------------------
    def bundle_info(self) -> BundleInfo:
        try:
            versions = self.get("versions")
        except SourceMissing:  # could not be built (noted): no version is known
            versions = dict.fromkeys(("kubernetes", "harvester", "rancher"))
        try:
            nodes = self.get("nodes")
        except SourceMissing:
            nodes = []
        return BundleInfo(
            name=self.bundle.name,
            sha256=self.bundle.sha256,
            created_at=iso(self.created_at()),
            kubernetes_version=versions["kubernetes"],
            harvester_version=versions["harvester"],
            rancher_version=versions["rancher"],
            # The header takes values straight from Node objects: text or nothing, whatever
            # type the bundle gave them, so the report stays valid against its schema.
            nodes=tuple(
                NodeInfo(
                    str(n["name"]),
                    scalar_text(n["ready"]),
                    scalar_text(n["kubelet_version"]),
                    scalar_text(n["os_image"]),
                    tuple(str(role) for role in n["roles"]),
                    bool(n["has_node_zip"]),
                    scalar_text(n["harvester_version"]),
                )
                for n in sorted(nodes, key=lambda n: str(n["name"]))
            ),
            notes=tuple(sorted(set(self.notes) | set(self.bundle.notes)))
            + tuple(f"entry refused (link or unsafe name): {r}" for r in self.bundle.rejected)
            + tuple(f"entry refused: {p}: {why}" for p, why in sorted(self.bundle.refused.items())),
        )


def scalar_text(value: Any) -> str | None:
    """A scalar as text; None for null and for a list or map where a scalar belongs."""
    return str(value) if isinstance(value, (str, int, float)) else None


@contextmanager
def open_sources(bundle: Bundle | Path | str | Sequence[Path | str]) -> Iterator[Sources]:
    """The sources of a bundle: one already open (left open), or opened from its path, or
    from the paths of its parts, and closed on exit."""
    if isinstance(bundle, Bundle):
        yield Sources(bundle)
        return
    with open_bundle(bundle) as opened:
        yield Sources(opened)
