"""Logical sources: the named facts rules query, mapped to where a bundle keeps them.

Rules never name paths. They read ``nodes``, ``apiservers``, ``objects."longhorn.io/volumes"``
and so on; this module knows that nodes live in ``yamls/cluster/v1/nodes.yaml``, that the
kube-apiserver flags are the command of the ``kube-apiserver-<node>`` static pod, that the
Harvester version is best read from the ``server-version`` setting, and so on. Each source is
built on first use and kept for the run; a YAML file is parsed only when a source needs it.

Every record a source returns is remembered with the place it came from (file and line), so
that whatever a rule's query selects can be cited as evidence without the rule saying where.
A source the bundle does not hold raises SourceMissing, naming what is absent.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from analyzer.bundle import NESTED, Bundle
from analyzer.bundle.timestamps import parse_rfc3339
from analyzer.bundle.yamlfile import ObjectList, YamlFileError, load_document, load_list
from analyzer.errors import BundleError
from analyzer.report import BundleInfo, Evidence, NodeInfo
from analyzer.versions import Version, parse_version


class SourceMissing(Exception):
    """The bundle does not hold a source; the message says what is absent or unreadable."""


#: sources rule expressions can read, with what each holds (shown by ``rules docs``)
SOURCES = {
    "metadata": "metadata.yaml: bundle name, version, kubernetesversion, created_at",
    "versions": "kubernetes, harvester and rancher versions, each from its best source",
    "nodes": "one record per Node: name, ready, conditions, kubelet_version, os_image, roles, ...",
    "apiservers": "one record per kube-apiserver: node, version, flags, feature_gates, status",
    "rke2_config": "per node zip: merged /etc/rancher/rke2 config, apiserver args and gates",
    "harvester_release": "per node zip: /etc/harvester-release.yaml (harvester, kubernetes, os)",
    "objects": 'objects of any kind: objects."<group>/<plural>[@<namespace>]" (core: "pods")',
}
#: sources log matchers read; globs are over logical names
LOG_SOURCES = {
    "pod_logs": "logs/<namespace>/<pod>/<container>.log[.1], matched as <namespace>/<pod>/<file>",
    "node_logs": "logs/ of each node zip (journal, kubelet, console ...), matched as <node>/<file>",
}
KIND_KEY = re.compile(
    r"^(?:(?P<group>[a-z0-9.-]+)/)?(?P<plural>[a-z0-9]+)(?:@(?P<ns>[a-z0-9.-]+))?$"
)
_API_VERSION = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")
_NAME_TIME = re.compile(r"_(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z")
_RKE2_CONFIG_DIR = "configs/etc/rancher/rke2/"
_RELEASE_FILE = "configs/etc/harvester-release.yaml"
_NO_VERSION = Version(0, 0, 0)


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _api_version_rank(version: str) -> tuple[int, int, int]:
    """Kubernetes version priority: v1 > v1beta2 > v1beta1 > v1alpha1 (higher is preferred)."""
    match = _API_VERSION.match(version)
    if not match:
        return (-1, 0, 0)
    stability = {"alpha": 0, "beta": 1, None: 2}[match.group(2)]
    return (stability, int(match.group(1)), int(match.group(3) or 0))


def parse_flags(argv: list[Any]) -> dict[str, str]:
    """``--name=value`` (and ``--name value``) arguments as a map; later flags win."""
    flags: dict[str, str] = {}
    args = [str(a) for a in argv if a is not None]
    for index, arg in enumerate(args):
        if not arg.startswith("--"):
            continue
        name, sep, value = arg[2:].partition("=")
        if not sep:
            following = args[index + 1] if index + 1 < len(args) else ""
            value = "" if following.startswith("-") else following
        if name == "feature-gates" and name in flags:
            # Repeated --feature-gates flags add to each other rather than replace.
            value = flags[name] + "," + value
        flags[name] = value
    return flags


def parse_feature_gates(value: str | None) -> dict[str, Any]:
    """``A=true,B=false`` as ``{"A": true, "B": false}``; other values are kept as text."""
    gates: dict[str, Any] = {}
    for item in (value or "").split(","):
        name, _, setting = item.strip().partition("=")
        if name:
            lowered = setting.strip().lower()
            gates[name.strip()] = {"true": True, "false": False}.get(lowered, setting.strip())
    return gates


def _merge_rke2(merged: dict[str, Any], config: dict[str, Any]) -> None:
    # rke2 reads config.yaml, then config.yaml.d/* in name order: a later file replaces a key,
    # except "key+:" which appends to it.
    for key, value in config.items():
        key = str(key)
        if key.endswith("+"):
            base = key[:-1]
            existing = merged.get(base)
            items = (
                existing if isinstance(existing, list) else ([] if existing is None else [existing])
            )
            merged[base] = items + (value if isinstance(value, list) else [value])
        else:
            merged[key] = value


def _args_to_flags(args: Any) -> dict[str, str]:
    """rke2 ``kube-apiserver-arg`` entries (``name=value``) as a flag map."""
    entries = args if isinstance(args, list) else ([args] if args else [])
    return parse_flags([f"--{entry}" for entry in entries])


class Sources:
    """The logical sources of one bundle, built on demand and kept for the run."""

    def __init__(self, bundle: Bundle) -> None:
        self.bundle = bundle
        self._values: dict[str, Any] = {}
        self._missing: dict[str, str] = {}
        self._lists: dict[str, ObjectList | str] = {}
        self._refs: dict[int, Evidence] = {}
        self._index: dict[tuple[str, str], list[tuple[str | None, str, str]]] | None = None
        self._namespaces: set[str] = set()
        self._node_roots: dict[str, str] | None = None
        self.version_refs: dict[str, Evidence] = {}
        #: files that could not be read, for the report's collection notes
        self.notes: list[str] = []

    # -- generic access -----------------------------------------------------------------------
    def get(self, name: str) -> Any:
        """The value of a named source (not ``objects``); SourceMissing if the bundle lacks it."""
        if name in self._missing:
            raise SourceMissing(self._missing[name])
        if name not in self._values:
            builder: Callable[[], Any] = getattr(self, f"_build_{name}")
            try:
                self._values[name] = builder()
            except SourceMissing as exc:
                self._missing[name] = str(exc)
                raise
        return self._values[name]

    def cite(self, value: Any) -> Evidence | None:
        """Where a record returned by a source came from, if it is one."""
        return self._refs.get(id(value))

    def remember(
        self, value: Any, path: str, line: int | None, excerpt: str, time: str | None = None
    ) -> Any:
        """Record where ``value`` came from, so that citing it later gives file and line."""
        self._refs[id(value)] = Evidence(path, line, excerpt, time)
        return value

    def _note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    # -- YAML dumps -----------------------------------------------------------------------------
    def _yaml_index(self) -> dict[tuple[str, str], list[tuple[str | None, str, str]]]:
        """(group, plural) -> [(namespace, api version, path)], from the yamls/ file names."""
        if self._index is None:
            index: dict[tuple[str, str], list[tuple[str | None, str, str]]] = {}
            for path in self.bundle.files():
                parts = path.split("/")
                if len(parts) < 4 or parts[0] != "yamls" or not path.endswith(".yaml"):
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

    def _load_list(self, path: str) -> ObjectList:
        cached = self._lists.get(path)
        if cached is None:
            try:
                with self.bundle.open(path) as stream:
                    cached = load_list(stream)
            except YamlFileError as exc:
                cached = f"{path}: {exc}"
            except (BundleError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
                cached = f"{path}: cannot read ({exc})"
            if isinstance(cached, str):
                self._note(cached)
            self._lists[path] = cached
        if isinstance(cached, str):
            raise SourceMissing(cached)
        return cached

    def kind(self, key: str) -> list[dict[str, Any]]:
        """Objects of one kind: ``"longhorn.io/volumes"``, ``"pods@kube-system"``, ``"nodes"``.

        Only the server-preferred version of a group is dumped, and it changes between
        releases (Longhorn v1beta1 -> v1beta2): any version is accepted, the highest wins.
        A kind without a file means zero objects (newer collectors write no empty files);
        a namespace without any file was not collected, which is reported as missing.
        """
        cache_key = f"objects:{key}"
        if cache_key in self._missing:
            raise SourceMissing(self._missing[cache_key])
        if cache_key in self._values:
            return self._values[cache_key]
        try:
            value = self._build_kind(key)
        except SourceMissing as exc:
            self._missing[cache_key] = str(exc)
            raise
        self._values[cache_key] = value
        return value

    def _build_kind(self, key: str) -> list[dict[str, Any]]:
        match = KIND_KEY.match(key)
        if not match:
            raise SourceMissing(f"'{key}' is not a kind (expected <group>/<plural>[@<namespace>])")
        group, plural, namespace = match["group"] or "", match["plural"], match["ns"]
        index = self._yaml_index()
        if not index:
            raise SourceMissing("the bundle has no Kubernetes objects (yamls/)")
        if namespace and namespace not in self._namespaces:
            raise SourceMissing(
                f"namespace {namespace} was not collected (no yamls/namespaced/{namespace}/)"
            )
        chosen: dict[str | None, tuple[str, str]] = {}
        for ns, version, path in index.get((group, plural), []):
            if namespace is not None and ns != namespace:
                continue
            if ns not in chosen or _api_version_rank(version) > _api_version_rank(chosen[ns][0]):
                chosen[ns] = (version, path)
        items: list[dict[str, Any]] = []
        for _, path in sorted(chosen.values(), key=lambda vp: vp[1]):
            loaded = self._load_list(path)
            for item, line in zip(loaded.items, loaded.lines, strict=True):
                name = _dig(item, "metadata", "name") or "?"
                ns = _dig(item, "metadata", "namespace")
                label = f"{item.get('kind') or plural} {ns + '/' if ns else ''}{name}"
                items.append(self.remember(item, path, line, label))
        return items

    def _require_kind(self, key: str, expected: str) -> list[dict[str, Any]]:
        group, _, plural = key.partition("@")[0].rpartition("/")
        if (group, plural) not in self._yaml_index():
            raise SourceMissing(f"{expected} is not in the bundle")
        return self.kind(key)

    # -- node zips ----------------------------------------------------------------------------
    def node_roots(self) -> dict[str, str]:
        """node name -> path prefix of its files (``nodes/n.zip!/n/`` or ``nodes/n/``)."""
        if self._node_roots is None:
            roots: dict[str, str] = {}
            for path in self.bundle.files():
                parts = path.split("/")
                if len(parts) == 2 and parts[0] == "nodes" and parts[1].endswith(".zip"):
                    roots[parts[1][: -len(".zip")]] = path + NESTED
                elif len(parts) > 2 and parts[0] == "nodes":
                    roots.setdefault(parts[1], f"nodes/{parts[1]}/")
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
            self._note(str(exc))
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

    def _node_document(self, path: str) -> Any:
        try:
            with self.bundle.open(path) as stream:
                return load_document(stream)
        except YamlFileError as exc:
            self._note(f"{path}: {exc}")
        except (BundleError, OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            self._note(f"{path}: cannot read ({exc})")
        return None

    def _require_node_zips(self) -> dict[str, str]:
        roots = self.node_roots()
        if not roots:
            raise SourceMissing("the bundle has no node zips (nodes/<node>.zip)")
        return roots

    # -- the named sources ----------------------------------------------------------------------
    def _build_metadata(self) -> dict[str, Any]:
        if not self.bundle.exists("metadata.yaml"):
            raise SourceMissing("metadata.yaml is not in the bundle")
        data = self._node_document("metadata.yaml")
        if not isinstance(data, dict):
            raise SourceMissing("metadata.yaml is not a YAML mapping")
        record = {str(k).lower(): v for k, v in data.items()}
        record["created_at"] = record.get("bundlecreatedat")
        return self.remember(record, "metadata.yaml", 1, "metadata.yaml")

    def created_at(self) -> datetime | None:
        """When the bundle was made: metadata, else the time in the bundle's name."""
        try:
            stamp = parse_rfc3339(str(self.get("metadata").get("created_at") or ""))
        except SourceMissing:
            stamp = None
        if stamp is None:
            match = _NAME_TIME.search(self.bundle.name)
            if match:
                stamp = parse_rfc3339(f"{match[1]}T{match[2]}:{match[3]}:{match[4]}Z")
        return stamp

    def _build_nodes(self) -> list[dict[str, Any]]:
        nodes = self._require_kind("nodes", "yamls/cluster/v1/nodes.yaml")
        zipped = self.node_roots()
        records = []
        for node in nodes:
            name = _dig(node, "metadata", "name") or "?"
            conditions = {}
            for cond in _dig(node, "status", "conditions") or []:
                if isinstance(cond, dict) and cond.get("type"):
                    conditions[cond["type"]] = {
                        "status": cond.get("status"),
                        "reason": cond.get("reason"),
                        "message": cond.get("message"),
                        "last_transition": cond.get("lastTransitionTime"),
                        "last_heartbeat": cond.get("lastHeartbeatTime"),
                    }
            labels = _dig(node, "metadata", "labels") or {}
            annotations = _dig(node, "metadata", "annotations") or {}
            info = _dig(node, "status", "nodeInfo") or {}
            os_image = info.get("osImage")
            os_version = parse_version((os_image or "").replace("Harvester", "").strip())
            ready = _dig(conditions, "Ready", "status")
            roles = sorted(
                k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")
            )
            record = {
                "name": name,
                "ready": ready,
                "ready_reason": _dig(conditions, "Ready", "reason"),
                "ready_message": _dig(conditions, "Ready", "message"),
                "conditions": conditions,
                "kubelet_version": info.get("kubeletVersion"),
                "os_image": os_image,
                "harvester_version": str(os_version) if os_version and os_image else None,
                "kernel_version": info.get("kernelVersion"),
                "container_runtime": info.get("containerRuntimeVersion"),
                "roles": roles,
                "control_plane": "control-plane" in roles or "master" in roles,
                "internal_ip": annotations.get("rke2.io/internal-ip"),
                "taints": [
                    {"key": t.get("key"), "effect": t.get("effect")}
                    for t in (_dig(node, "spec", "taints") or [])
                    if isinstance(t, dict)
                ],
                "unschedulable": bool(_dig(node, "spec", "unschedulable")),
                "has_node_zip": name in zipped,
            }
            where = self.cite(node)
            excerpt = (
                f"Node {name}: Ready={ready}, kubelet {record['kubelet_version']}, OS {os_image}"
            )
            records.append(self.remember(record, where.path, where.line, excerpt))
        return records

    def _build_apiservers(self) -> list[dict[str, Any]]:
        try:
            pods = self._require_kind(
                "pods@kube-system", "yamls/namespaced/kube-system/v1/pods.yaml"
            )
        except SourceMissing as missing:
            pods, pods_missing = [], str(missing)
        else:
            pods_missing = ""
        records = []
        for pod in pods:
            name = _dig(pod, "metadata", "name") or ""
            containers = _dig(pod, "spec", "containers") or []
            container = next(
                (
                    c
                    for c in containers
                    if isinstance(c, dict) and c.get("name") == "kube-apiserver"
                ),
                None,
            )
            if not name.startswith("kube-apiserver") or container is None:
                continue
            argv = list(container.get("command") or []) + list(container.get("args") or [])
            flags = parse_flags(argv)
            image = container.get("image") or ""
            version = parse_version(image.rsplit(":", 1)[-1]) if ":" in image else None
            status = next(
                (
                    s
                    for s in _dig(pod, "status", "containerStatuses") or []
                    if isinstance(s, dict) and s.get("name") == "kube-apiserver"
                ),
                {},
            )
            record = {
                "pod": name,
                "node": _dig(pod, "spec", "nodeName"),
                "version": str(version) if version else None,
                "image": image,
                "flags": flags,
                "feature_gates": parse_feature_gates(flags.get("feature-gates")),
                "ready": status.get("ready"),
                "restarts": status.get("restartCount") or 0,
                "waiting_reason": _dig(status, "state", "waiting", "reason"),
                "source": "pod",
            }
            where = self.cite(pod)
            gates = flags.get("feature-gates")
            excerpt = f"Pod kube-system/{name}: " + (
                f"--feature-gates={gates}" if gates else "no --feature-gates flag"
            )
            records.append(self.remember(record, where.path, where.line, excerpt))
        if records:
            return records
        # Without the static pods, the flags rke2 was configured to pass are the next best.
        try:
            configs = self.get("rke2_config")
        except SourceMissing as missing:
            raise SourceMissing(
                f"no kube-apiserver pod ({pods_missing or 'none in kube-system pods'}) "
                f"and no rke2 config ({missing})"
            ) from None
        for config in configs:
            if not config["server"]:
                continue
            flags = config["apiserver_args"]
            record = {
                "pod": None,
                "node": config["node"],
                "version": None,
                "image": None,
                "flags": flags,
                "feature_gates": config["apiserver_feature_gates"],
                "ready": None,
                "restarts": 0,
                "waiting_reason": None,
                "source": "rke2-config",
            }
            where = self.cite(config)
            records.append(self.remember(record, where.path, where.line, where.excerpt))
        return records

    def _build_rke2_config(self) -> list[dict[str, Any]]:
        records = []
        for node in self._require_node_zips():
            prefix = self.node_roots()[node]
            files = [
                f
                for f in self.node_files(node)
                if f == prefix + _RKE2_CONFIG_DIR + "config.yaml"
                or (
                    f.startswith(prefix + _RKE2_CONFIG_DIR + "config.yaml.d/")
                    and f.endswith((".yaml", ".yml"))
                )
            ]
            files.sort(key=lambda f: (not f.endswith("/config.yaml"), f))
            if not files:
                continue
            merged: dict[str, Any] = {}
            cited = files[0], 1
            for path in files:
                data = self._node_document(path)
                if isinstance(data, dict):
                    _merge_rke2(merged, data)
                    if "kube-apiserver-arg" in data or "kube-apiserver-arg+" in data:
                        cited = path, self._line_of(path, "kube-apiserver-arg")
            flags = _args_to_flags(merged.get("kube-apiserver-arg"))
            record = {
                "node": node,
                "files": files,
                "config": merged,
                # Server nodes get the apiserver settings; agents hold none of them.
                "server": any(f.endswith("-server.yaml") for f in files)
                or "kube-apiserver-arg" in merged,
                "apiserver_args": flags,
                "apiserver_feature_gates": parse_feature_gates(flags.get("feature-gates")),
            }
            gates = flags.get("feature-gates")
            excerpt = f"rke2 config of {node}: " + (
                f"kube-apiserver-arg feature-gates={gates}"
                if gates
                else "no apiserver feature-gates"
            )
            records.append(self.remember(record, cited[0], cited[1], excerpt))
        return records

    def _line_of(self, path: str, needle: str) -> int | None:
        try:
            with self.bundle.open(path) as stream:
                for number, raw in enumerate(stream, 1):
                    if needle.encode() in raw:
                        return number
        except (BundleError, OSError, zipfile.BadZipFile, zlib.error, EOFError):
            return None
        return None

    def _build_harvester_release(self) -> list[dict[str, Any]]:
        records = []
        for node, prefix in self._require_node_zips().items():
            path = prefix + _RELEASE_FILE
            if not self.bundle.exists(path):
                continue
            data = self._node_document(path)
            if not isinstance(data, dict):
                continue
            record = {
                "node": node,
                **{str(k): (str(v) if v is not None else None) for k, v in data.items()},
            }
            excerpt = (
                f"harvester: {record.get('harvester')}, kubernetes: {record.get('kubernetes')}"
            )
            records.append(self.remember(record, path, 1, excerpt))
        return records

    def _build_versions(self) -> dict[str, Any]:
        found: dict[str, Any] = {"kubernetes": None, "harvester": None, "rancher": None}

        def take(key: str, value: Any, where: Evidence | None, label: str) -> None:
            if found[key] is None and value:
                found[key] = str(value)
                if where is not None:
                    self.version_refs[key] = Evidence(where.path, where.line, f"{label}: {value}")

        for getter in (
            self._versions_from_settings,
            self._versions_from_metadata,
            self._versions_from_releases,
            self._versions_from_nodes,
        ):
            try:
                for key, value, where, label in getter():
                    take(key, value, where, label)
            except SourceMissing:
                continue
        return found

    def _versions_from_settings(self) -> list[tuple[str, Any, Evidence | None, str]]:
        found = []
        for key, kind in (
            ("harvester", "harvesterhci.io/settings"),
            ("rancher", "management.cattle.io/settings"),
        ):
            for item in self.kind(kind):
                if _dig(item, "metadata", "name") == "server-version":
                    value = item.get("value") or item.get("default")
                    found.append((key, value, self.cite(item), "setting server-version"))
        return found

    def _versions_from_metadata(self) -> list[tuple[str, Any, Evidence | None, str]]:
        meta = self.get("metadata")
        return [("kubernetes", meta.get("kubernetesversion"), self.cite(meta), "kubernetesversion")]

    def _versions_from_releases(self) -> list[tuple[str, Any, Evidence | None, str]]:
        found = []
        releases = self.get("harvester_release")
        for key in ("harvester", "kubernetes", "rancher"):
            # Mid-upgrade nodes differ; the newest release is the one the cluster moves to.
            candidates = [(parse_version(r[key]), r) for r in releases if r.get(key)]
            if candidates:
                _, best = max(candidates, key=lambda vr: (vr[0] is not None, vr[0] or _NO_VERSION))
                found.append((key, best[key], self.cite(best), f"{key} in harvester-release.yaml"))
        return found

    def _versions_from_nodes(self) -> list[tuple[str, Any, Evidence | None, str]]:
        found = []
        nodes = self.get("nodes")
        for key, field in (("harvester", "harvester_version"), ("kubernetes", "kubelet_version")):
            versions = [(parse_version(n[field]), n) for n in nodes if parse_version(n[field])]
            if versions:
                _, node = max(versions, key=lambda vn: vn[0])
                found.append((key, node[field], self.cite(node), f"{field} of node {node['name']}"))
        return found

    # -- logs ---------------------------------------------------------------------------------
    def log_files(self, source: str) -> list[tuple[str, str]]:
        """(logical name, path) of every file of a log source, sorted by logical name."""
        key = f"logs:{source}"
        if key in self._missing:
            raise SourceMissing(self._missing[key])
        if key not in self._values:
            try:
                self._values[key] = self._list_log_files(source)
            except SourceMissing as exc:
                self._missing[key] = str(exc)
                raise
        return self._values[key]

    def _list_log_files(self, source: str) -> list[tuple[str, str]]:
        if source == "pod_logs":
            files = [(f[len("logs/") :], f) for f in self.bundle.files() if f.startswith("logs/")]
            if not files:
                raise SourceMissing("the bundle has no pod logs (logs/)")
            return files
        if source == "node_logs":
            files = []
            for node, prefix in self._require_node_zips().items():
                for path in self.node_files(node):
                    if path.startswith(prefix + "logs/"):
                        files.append((f"{node}/{path[len(prefix) + len('logs/') :]}", path))
            return sorted(files)
        raise SourceMissing(f"unknown log source {source}")

    # -- the cluster identity for the report header --------------------------------------------
    def bundle_info(self) -> BundleInfo:
        versions = self.get("versions")
        try:
            nodes = self.get("nodes")
        except SourceMissing:
            nodes = []
        created = self.created_at()
        return BundleInfo(
            name=self.bundle.name,
            sha256=self.bundle.sha256,
            created_at=created.strftime("%Y-%m-%dT%H:%M:%SZ") if created else None,
            kubernetes_version=versions["kubernetes"],
            harvester_version=versions["harvester"],
            rancher_version=versions["rancher"],
            nodes=tuple(
                NodeInfo(
                    n["name"],
                    n["ready"],
                    n["kubelet_version"],
                    n["os_image"],
                    tuple(n["roles"]),
                    n["has_node_zip"],
                )
                for n in sorted(nodes, key=lambda n: n["name"])
            ),
            notes=tuple(sorted(set(self.notes)))
            + tuple(f"entry refused (link or unsafe name): {r}" for r in self.bundle.rejected),
        )
