"""Cluster identity sources: metadata, versions, nodes, API-server flags, node configs.

Where each fact is best read: the Harvester version from the ``server-version`` setting, then
the nodes' ``/etc/harvester-release.yaml``, then their OS image; the kube-apiserver flags from
the command of the ``kube-apiserver-<node>`` static pod, then from the rke2 config that
would produce them; a node's readiness from its ``Ready`` condition.
"""

from __future__ import annotations

from typing import Any

from analyzer.report import Evidence
from analyzer.sources.core import (
    REGENERATE,
    SourceMissing,
    Sources,
    dig,
    source,
)
from analyzer.versions import Version, parse_version

_NO_VERSION = Version(0, 0, 0)
#: where a kube-apiserver pod's --feature-gates argument is (analyzer.bundle.fieldline paths)
_GATE_ARGUMENT = tuple(
    f"spec.containers[name=kube-apiserver].{key}[^--feature-gates]" for key in ("command", "args")
)


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


@source(
    "metadata",
    "metadata.yaml with lower-case keys (bundlename, kubernetesversion, ...) and created_at",
)
def build_metadata(src: Sources) -> dict[str, Any]:
    path = src.layout.first_file("metadata", src.bundle.files())
    if path is None:
        raise SourceMissing("metadata.yaml is not in the bundle", REGENERATE)
    data = src.document(path)
    if not isinstance(data, dict):
        raise SourceMissing(f"{path} is not a YAML mapping", REGENERATE)
    record = {str(k).lower(): v for k, v in data.items()}
    record["created_at"] = record.get("bundlecreatedat")
    return src.remember(record, path, 1, path)


@source(
    "nodes",
    "per Node: name, ready (True/False/Unknown), ready_reason, ready_message, "
    "conditions (by type: status, reason, message, last_transition, last_heartbeat), "
    "kubelet_version, os_image, harvester_version, kernel_version, container_runtime, roles, "
    "control_plane, internal_ip, taints [{key, effect}], unschedulable, has_node_zip, "
    "node_zip_problem (why a node zip that is there could not be read)",
)
def build_nodes(src: Sources) -> list[dict[str, Any]]:
    nodes = src.require_kind("nodes", "yamls/cluster/v1/nodes.yaml")
    zipped = src.node_roots()
    records = []
    for node in nodes:
        name = dig(node, "metadata", "name") or "?"
        conditions = {}
        for cond in dig(node, "status", "conditions") or []:
            if isinstance(cond, dict) and cond.get("type"):
                conditions[cond["type"]] = {
                    "status": cond.get("status"),
                    "reason": cond.get("reason"),
                    "message": cond.get("message"),
                    "last_transition": cond.get("lastTransitionTime"),
                    "last_heartbeat": cond.get("lastHeartbeatTime"),
                }
        labels = dig(node, "metadata", "labels") or {}
        annotations = dig(node, "metadata", "annotations") or {}
        info = dig(node, "status", "nodeInfo") or {}
        os_image = info.get("osImage")
        os_version = parse_version((os_image or "").replace("Harvester", "").strip())
        ready = dig(conditions, "Ready", "status")
        roles = sorted(
            k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/")
        )
        record = {
            "name": name,
            "ready": ready,
            "ready_reason": dig(conditions, "Ready", "reason"),
            "ready_message": dig(conditions, "Ready", "message"),
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
                for t in (dig(node, "spec", "taints") or [])
                if isinstance(t, dict)
            ],
            "unschedulable": bool(dig(node, "spec", "unschedulable")),
            "has_node_zip": name in zipped,
            "node_zip_problem": src.node_zip_problems.get(name),
        }
        where = src.cite(node)
        reason = (
            f" ({record['ready_reason']})" if ready != "True" and record["ready_reason"] else ""
        )
        excerpt = (
            f"Node {name}: Ready={ready}{reason}, kubelet {record['kubelet_version']}, "
            f"OS {os_image}"
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    return records


@source(
    "apiservers",
    "per kube-apiserver: pod, node, version, image, flags (map), "
    "feature_gates (map of booleans), ready, restarts, waiting_reason, source (pod, or "
    "rke2-config when the static pods were not collected)",
)
def build_apiservers(src: Sources) -> list[dict[str, Any]]:
    try:
        pods = src.require_kind("pods@kube-system", "yamls/namespaced/kube-system/v1/pods.yaml")
    except SourceMissing as missing:
        pods, pods_missing = [], str(missing)
    else:
        pods_missing = ""
    records = []
    for pod in pods:
        name = dig(pod, "metadata", "name") or ""
        containers = dig(pod, "spec", "containers") or []
        container = next(
            (c for c in containers if isinstance(c, dict) and c.get("name") == "kube-apiserver"),
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
                for s in dig(pod, "status", "containerStatuses") or []
                if isinstance(s, dict) and s.get("name") == "kube-apiserver"
            ),
            {},
        )
        record = {
            "pod": name,
            "node": dig(pod, "spec", "nodeName"),
            "version": str(version) if version else None,
            "image": image,
            "flags": flags,
            "feature_gates": parse_feature_gates(flags.get("feature-gates")),
            "ready": status.get("ready"),
            "restarts": status.get("restartCount") or 0,
            "waiting_reason": dig(status, "state", "waiting", "reason"),
            "source": "pod",
        }
        # A finding about the gates cites the argument itself, quoted; without one, the pod.
        gates = flags.get("feature-gates")
        # Only a pod with the flag has a line to quote: the others are not read again.
        quoted = src.cite_field(src.cite(pod), *_GATE_ARGUMENT) if gates else None
        where = quoted or src.cite(pod)
        excerpt = (
            quoted.excerpt
            if quoted
            else f"Pod kube-system/{name}: "
            + (f"--feature-gates={gates}" if gates else "no --feature-gates flag")
        )
        records.append(src.remember(record, where.path, where.line, excerpt))
    if records:
        return records
    # Without the static pods, the flags rke2 was configured to pass are the next best.
    try:
        configs = src.get("rke2_config")
    except SourceMissing as missing:
        raise SourceMissing(
            f"no kube-apiserver pod ({pods_missing or 'none in kube-system pods'}) "
            f"and no rke2 config ({missing})",
            REGENERATE,
        ) from None
    for config in configs:
        if not config["server"]:
            continue
        record = {
            "pod": None,
            "node": config["node"],
            "version": None,
            "image": None,
            "flags": config["apiserver_args"],
            "feature_gates": config["apiserver_feature_gates"],
            "ready": None,
            "restarts": 0,
            "waiting_reason": None,
            "source": "rke2-config",
        }
        where = src.cite(config)
        records.append(src.remember(record, where.path, where.line, where.excerpt))
    return records


@source(
    "rke2_config",
    "per node zip: node, files, config (config.yaml and config.yaml.d "
    "merged as rke2 does), server, apiserver_args, apiserver_feature_gates",
)
def build_rke2_config(src: Sources) -> list[dict[str, Any]]:
    records = []
    for node, prefix in src.require_node_zips().items():
        files = src.layout.glob_files("rke2_config", src.node_files(node), prefix)
        if not files:
            continue
        merged: dict[str, Any] = {}
        cited: tuple[str, int | None] = (files[0], 1)
        for path in files:
            data = src.document(path)
            if isinstance(data, dict):
                _merge_rke2(merged, data)
                if "kube-apiserver-arg" in data or "kube-apiserver-arg+" in data:
                    cited = path, src.line_of(path, "kube-apiserver-arg")
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
            f"kube-apiserver-arg feature-gates={gates}" if gates else "no apiserver feature-gates"
        )
        records.append(src.remember(record, cited[0], cited[1], excerpt))
    return records


@source(
    "harvester_release",
    "per node zip: node and the keys of /etc/harvester-release.yaml "
    "(harvester, kubernetes, rancher, os)",
)
def build_harvester_release(src: Sources) -> list[dict[str, Any]]:
    records = []
    for node, prefix in src.require_node_zips().items():
        path = src.layout.first_file("harvester_release", src.node_files(node), prefix)
        if path is None:
            continue
        data = src.document(path)
        if not isinstance(data, dict):
            continue
        record = {
            "node": node,
            **{str(k): (str(v) if v is not None else None) for k, v in data.items()},
        }
        excerpt = f"harvester: {record.get('harvester')}, kubernetes: {record.get('kubernetes')}"
        records.append(src.remember(record, path, 1, excerpt))
    return records


@source(
    "versions",
    "kubernetes, harvester, rancher: each from its best source (server-version "
    "settings, metadata.yaml, harvester-release.yaml, then the nodes)",
)
def build_versions(src: Sources) -> dict[str, Any]:
    found: dict[str, Any] = {"kubernetes": None, "harvester": None, "rancher": None}
    for getter in (_from_settings, _from_metadata, _from_releases, _from_nodes):
        try:
            candidates = getter(src)
        except SourceMissing:
            continue
        for key, value, where, label in candidates:
            if found[key] is None and value:
                found[key] = str(value)
                if where is not None:
                    src.version_refs[key] = Evidence(where.path, where.line, f"{label}: {value}")
    return found


_Candidate = tuple[str, Any, "Evidence | None", str]


def _from_settings(src: Sources) -> list[_Candidate]:
    found = []
    for key, kind in (
        ("harvester", "harvesterhci.io/settings"),
        ("rancher", "management.cattle.io/settings"),
    ):
        for item in src.kind(kind):
            if dig(item, "metadata", "name") == "server-version":
                found.append(
                    (
                        key,
                        item.get("value") or item.get("default"),
                        src.cite(item),
                        "setting server-version",
                    )
                )
    return found


def _from_metadata(src: Sources) -> list[_Candidate]:
    meta = src.get("metadata")
    return [("kubernetes", meta.get("kubernetesversion"), src.cite(meta), "kubernetesversion")]


def _from_releases(src: Sources) -> list[_Candidate]:
    found = []
    releases = src.get("harvester_release")
    for key in ("harvester", "kubernetes", "rancher"):
        # Mid-upgrade nodes differ; the newest release is the one the cluster moves to.
        candidates = [(parse_version(r[key]), r) for r in releases if r.get(key)]
        if candidates:
            _, best = max(candidates, key=lambda vr: (vr[0] is not None, vr[0] or _NO_VERSION))
            found.append((key, best[key], src.cite(best), f"{key} in harvester-release.yaml"))
    return found


def _from_nodes(src: Sources) -> list[_Candidate]:
    found = []
    nodes = src.get("nodes")
    for key, field in (("harvester", "harvester_version"), ("kubernetes", "kubelet_version")):
        versions = [(parse_version(n[field]), n) for n in nodes if parse_version(n[field])]
        if versions:
            _, node = max(versions, key=lambda vn: vn[0])
            found.append((key, node[field], src.cite(node), f"{field} of node {node['name']}"))
    return found
