"""Hostile and broken bundles, built on demand (never checked in as binaries).

Each builder writes one bundle under ``dest`` and returns what to analyze. ``scale`` sets the
size of the large payloads: tests use small ones that still trip each protection;
benchmarks/hostile.py uses the sizes the issue names (a 2 GB log of zeros, a 300 MB line).
"""

from __future__ import annotations

import io
import os
import shutil
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import yaml

from fixtures.goldens import BUNDLES

BASE = BUNDLES / "healthy-v161"
ROOT = "supportbundle_5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9_2025-11-03T16-45-00Z"
MIB = 1024 * 1024


def _base_entries() -> tuple[list[tuple[str, bytes]], dict[str, list[tuple[str, bytes]]]]:
    outer: list[tuple[str, bytes]] = []
    nodes: dict[str, list[tuple[str, bytes]]] = {}
    for path in sorted(p for p in BASE.rglob("*") if p.is_file()):
        rel = path.relative_to(BASE).as_posix()
        parts = rel.split("/")
        if parts[0] == "nodes":
            nodes.setdefault(parts[1], []).append(("/".join(parts[1:]), path.read_bytes()))
        else:
            outer.append((f"{ROOT}/{rel}", path.read_bytes()))
    return outer, nodes


def _zip(entries: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
            info.compress_type = compression
            archive.writestr(info, data)
    return buffer.getvalue()


def bundle_zip(
    dest: Path,
    extra: list[tuple[str, bytes]] = (),
    node_extra: dict[str, list[tuple[str, bytes]]] | None = None,
    replace: dict[str, bytes] | None = None,
    name: str = f"{ROOT}.zip",
    node_zips: dict[str, bytes] | None = None,
) -> Path:
    """The healthy fixture as a real zip, plus ``extra`` raw entries (names as given, so they
    can be hostile), extra node-zip entries, and replaced files (relative to the root)."""
    outer, nodes = _base_entries()
    replace = replace or {}
    outer = [(n, replace.pop(n[len(ROOT) + 1 :], d)) for n, d in outer]
    outer += [(f"{ROOT}/{rel}", data) for rel, data in replace.items()]
    for node, entries in (node_extra or {}).items():
        names = {name for name, _ in entries}
        kept = [e for e in nodes.get(node, []) if e[0] not in names]
        nodes[node] = kept + list(entries)
    for node, entries in sorted(nodes.items()):
        data = (node_zips or {}).get(node) or _zip(entries)
        outer.append((f"{ROOT}/nodes/{node}.zip", data))
    target = dest / name
    target.write_bytes(_zip(outer + list(extra)))
    return target


def bundle_dir(dest: Path) -> Path:
    target = dest / "bundle"
    shutil.copytree(BASE, target)
    return target


# -- archive safety ---------------------------------------------------------------------------
def traversal(dest: Path) -> Path:
    return bundle_zip(
        dest,
        extra=[
            ("../../escape.txt", b"outside"),
            ("/tmp/bundle-analyzer-escape.txt", b"absolute"),
            (f"{ROOT}/logs/../../../escape2.txt", b"dotdot"),
        ],
    )


def nested_traversal(dest: Path) -> Path:
    return bundle_zip(
        dest,
        node_extra={
            "hv-node1": [
                ("../../../node-escape.log", b"outside"),
                ("/etc/node-evil", b"absolute"),
            ]
        },
    )


def tar_links(dest: Path, secret: Path) -> Path:
    """A tar.gz whose pod log is a symlink, and whose kubelet log a hard link, to ``secret``."""
    base = bundle_dir(dest / "src")
    target = dest / f"{ROOT}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(base, arcname=ROOT)
        link = tarfile.TarInfo(f"{ROOT}/logs/harvester-system/p/c.log")
        link.type, link.linkname = tarfile.SYMTYPE, str(secret)
        tar.addfile(link)
        hard = tarfile.TarInfo(f"{ROOT}/nodes/hv-node1/logs/kubelet.log.1")
        hard.type, hard.linkname = tarfile.LNKTYPE, str(secret)
        tar.addfile(hard)
    return target


def zip_bomb_entry(dest: Path, scale: int = 50 * MIB) -> Path:
    """kernel.log of a node: ``scale`` bytes of zeros, which deflate about 1000:1; written as
    a stream, so that gigabytes cost the builder no memory."""
    _, nodes = _base_entries()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in nodes["hv-node2"]:
            if not name.endswith("logs/kernel.log"):
                archive.writestr(name, data)
        info = zipfile.ZipInfo("hv-node2/logs/kernel.log", date_time=(2025, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as out:
            for _ in range(scale // MIB):
                out.write(bytes(MIB))
    return bundle_zip(dest, node_zips={"hv-node2": buffer.getvalue()})


def tiny_values_yaml(dest: Path, scale: int = 90 * MIB) -> Path:
    """pods.yaml of ``scale`` bytes of tiny mappings: the most objects per byte of YAML."""
    target = bundle_dir(dest)
    with open(target / "yamls/namespaced/kube-system/v1/pods.yaml", "wb") as handle:
        handle.write(b"items:\n")
        line = b"- {a: 1}\n" * (MIB // 9)
        for _ in range(scale // len(line)):
            handle.write(line)
    return target


def nested_bomb(dest: Path) -> Path:
    """A zip bomb inside a node zip: archives below node zips are never opened."""
    bomb = _zip([(f"layer/{i}.bin", bytes(4 * MIB)) for i in range(8)])
    return bundle_zip(dest, node_extra={"hv-node1": [("hv-node1/logs/rke2-server.log.zip", bomb)]})


def many_entries_declared(dest: Path, entries: int = 10_000_000) -> Path:
    """A zip whose end record claims ``entries`` entries (zipfile would try to read them all)."""
    target = bundle_zip(dest)
    data = bytearray(target.read_bytes())
    at = data.rfind(b"PK\x05\x06")
    data[at + 8 : at + 12] = struct.pack("<HH", 0xFFFF, 0xFFFF)
    data[at + 12 : at + 16] = struct.pack("<I", 0xFFFFFFFF)
    # A zip64 locator and end record that claim the entries.
    record = b"PK\x06\x06" + struct.pack(
        "<QHHIIQQQQ", 44, 45, 45, 0, 0, entries, entries, entries * 100, 0
    )
    offset = at
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, offset, 1)
    data[at:at] = record + locator
    target.write_bytes(bytes(data))
    return target


def huge_declared_sizes(dest: Path, copies: int = 20) -> Path:
    """Entries whose central directory declares 4 GiB each (80 GiB in all)."""
    target = bundle_zip(dest, extra=[(f"{ROOT}/logs/x/y/big{i}.log", b"x") for i in range(copies)])
    data = bytearray(target.read_bytes())
    at = 0
    while (at := data.find(b"PK\x01\x02", at + 1)) >= 0:
        name_length = struct.unpack("<H", data[at + 28 : at + 30])[0]
        name = data[at + 46 : at + 46 + name_length]
        if b"/big" in name:
            data[at + 24 : at + 28] = struct.pack("<I", 0xFFFFFFF0)
    target.write_bytes(bytes(data))
    return target


# -- broken content ---------------------------------------------------------------------------
def truncated_tar(dest: Path) -> Path:
    base = bundle_dir(dest / "src")
    full = dest / "full.tar.gz"
    with tarfile.open(full, "w:gz") as tar:
        tar.add(base, arcname=ROOT)
    target = dest / f"{ROOT}.tar.gz"
    target.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    return target


def malformed_yaml(dest: Path) -> Path:
    return bundle_zip(
        dest, replace={"yamls/cluster/v1/nodes.yaml": b"items:\n- metadata: {name: [\n"}
    )


def alias_bomb(dest: Path) -> Path:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)
    ]
    lines.append("items: [*i]")
    return bundle_zip(
        dest, replace={"yamls/namespaced/kube-system/v1/pods.yaml": "\n".join(lines).encode()}
    )


def non_list_yaml(dest: Path) -> Path:
    return bundle_zip(
        dest, replace={"yamls/cluster/v1/nodes.yaml": b"kind: Node\nmetadata: {name: x}\n"}
    )


def binary_logs(dest: Path) -> Path:
    noise = os.urandom(256 * 1024) + b"\xff\xfe\n\x00\x00 invalid \xc3\x28 utf-8\n"
    return bundle_zip(
        dest,
        node_extra={"hv-node1": [("hv-node1/logs/kubelet.log", noise)]},
        extra=[(f"{ROOT}/logs/harvester-system/blob/blob.log", noise)],
    )


def long_line(dest: Path, scale: int = 20 * MIB) -> Path:
    """A node log holding one line of ``scale`` bytes without a newline (folder form)."""
    target = bundle_dir(dest)
    with open(target / "nodes/hv-node1/logs/rke2-server.log", "ab") as handle:
        chunk = b"A" * MIB
        for _ in range(scale // MIB):
            handle.write(chunk)
    return target


def zeros_log(dest: Path, scale: int = 2048 * MIB) -> Path:
    """A node log of ``scale`` bytes of zeros, sparse on disk (folder form)."""
    target = bundle_dir(dest)
    with open(target / "nodes/hv-node2/logs/kernel.log", "wb") as handle:
        handle.truncate(scale)
    return target


# -- split bundles ----------------------------------------------------------------------------
def split_bytes(dest: Path, parts: int = 3) -> list[Path]:
    """The bundle zip cut byte-wise into parts named ...Z.001.zip, .002.zip, ..."""
    (dest / "whole").mkdir()
    whole = bundle_zip(dest / "whole").read_bytes()
    size = -(-len(whole) // parts)
    paths = []
    for i in range(parts):
        path = dest / f"{ROOT}.{i + 1:03d}.zip"
        path.write_bytes(whole[i * size : (i + 1) * size])
        paths.append(path)
    return paths


def split_zips(dest: Path) -> list[Path]:
    """Three zips of their own, each with part of the files: ...Z.1.zip, .2.zip, .3.zip."""
    outer, nodes = _base_entries()
    for node, entries in sorted(nodes.items()):
        outer.append((f"{ROOT}/nodes/{node}.zip", _zip(entries)))
    first = [e for e in outer if "/yamls/" not in e[0] and "/nodes/" not in e[0]]
    second = [e for e in outer if "/yamls/" in e[0]]
    third = [e for e in outer if "/nodes/" in e[0]]
    paths = []
    for number, entries in ((1, first), (2, second), (3, third)):
        path = dest / f"{ROOT}.{number}.zip"
        path.write_bytes(_zip(entries))
        paths.append(path)
    return paths


def truncated_tar_at_member_boundary(dest: Path, compress: bool) -> Path:
    """A tar (or tar.gz) cut right after a whole member: every member read is complete, so
    only the missing end of the archive (end blocks, or the gzip end marker) betrays it."""
    base = bundle_dir(dest / "src")
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        tar.add(base, arcname=ROOT)
    data = raw.getvalue()
    raw.seek(0)
    with tarfile.open(fileobj=raw, mode="r") as tar:
        offsets = [member.offset for member in tar.getmembers()]
    cut = data[: offsets[len(offsets) // 2]]
    if compress:
        packer = zlib.compressobj(9, zlib.DEFLATED, 31)  # gzip framing
        cut = packer.compress(cut) + packer.flush(zlib.Z_SYNC_FLUSH)  # no end marker
    target = dest / (f"{ROOT}.tar.gz" if compress else f"{ROOT}.tar")
    target.write_bytes(cut)
    return target


# -- robustness: signals, a full TMPDIR (issue 10, item 12) --------------------------------------
def busy_logs(dest: Path, scale: int = 192 * MIB, files: int = 12) -> Path:
    """A bundle whose node zips hold ``scale`` bytes of kernel log lines that nearly match a
    rule (in ``files`` entries, each under 1 MiB deflated: within the archive limits), so
    that an analysis spends a while scanning, with its helper processes running and node
    zips copied into its private folder: the moment at which a signal has the most to clean
    up. Written as a stream, a MiB at a time."""
    _, nodes = _base_entries()
    per_file = scale // files
    node_zips = {}
    names = sorted(nodes)
    for index, node in enumerate(names):
        # Near misses of the OOM rule's pattern: each line is checked in full (not skipped
        # by the literal prefilter), which is what makes scanning slow per byte.
        lines = (
            f"Nov  3 16:{n // 60 % 60:02d}:{n % 60:02d} {node} kernel: Memory cgroup out of "
            f"memory: Killed process {n:07d} (bash) total-vm:{n % 9973}kB\n"
            for n in range(13_000)
        )
        # One MiB of lines, repeated: a repeat is further back than deflate's 32 KiB window,
        # so it compresses no better than fresh lines, and costs nothing to make.
        block = "".join(lines).encode()[:MIB].ljust(MIB, b"\n")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            for name, data in nodes[node]:
                archive.writestr(name, data)
            for number in range(index, files, len(names)):
                # Rotated kernel logs: a rule reads kernel.log*, so each is scanned.
                name = f"{node}/logs/kernel.log.{number}"
                info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                with archive.open(info, "w", force_zip64=True) as out:
                    for _ in range(per_file // MIB):
                        out.write(block)
        node_zips[node] = buffer.getvalue()
    return bundle_zip(dest, node_zips=node_zips, name=f"{ROOT}.zip")


# -- robustness: odd values, odd log times (issue 10, items 7 and 13) -------------------------
class _NoAliases(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """Objects that share parts are written out in full, as the collector does."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _yaml_text(document: object) -> str:
    return yaml.dump(document, Dumper=_NoAliases, sort_keys=False, width=1 << 20)


def odd_values(dest: Path, pods: int = 20_000, odd: int = 25) -> Path:
    """Wrong types, odd tags, huge numbers and times outside datetime in every kind of file:
    a string ``nodeInfo``, an int node name, NaN, a ``!!timestamp`` in year 1, a 5,000-digit
    version, and ``pods`` ordinary pods followed by ``odd`` with a string
    ``lastState.terminated``: the worst case of skipping objects (each skip rebuilds the
    source, which walks every pod before the odd ones again)."""
    base = BASE / "yamls/namespaced/kube-system/v1/pods.yaml"
    dump = yaml.safe_load(base.read_text())
    template = dump["items"][0]
    items = []
    for index in range(pods + odd):
        pod = {**template, "metadata": {**template["metadata"], "name": f"pod-{index}"}}
        if index >= pods:
            pod["status"] = {"containerStatuses": [{"name": "c", "lastState": {"terminated": "x"}}]}
        items.append(pod)
    nodes = yaml.safe_load((BASE / "yamls/cluster/v1/nodes.yaml").read_text())
    nodes["items"][0]["status"]["nodeInfo"] = "a string"
    nodes["items"][1]["metadata"]["name"] = 12345
    nodes["items"][2]["status"]["conditions"] = [{"type": "Ready", "status": "ODD-NAN"}]
    settings = "yamls/cluster/harvesterhci.io/v1beta1/settings.yaml"
    document = yaml.safe_load((BASE / settings).read_text())
    for item in document["items"]:
        if item["metadata"]["name"] == "server-version":
            item["value"] = "ODD-VERSION"
    metadata = yaml.safe_load((BASE / "metadata.yaml").read_text())
    metadata["bundlecreatedat"] = "ODD-TIME"
    return bundle_zip(
        dest,
        replace={
            "yamls/namespaced/kube-system/v1/pods.yaml": _yaml_text(
                {**dump, "items": items}
            ).encode(),
            "yamls/cluster/v1/nodes.yaml": _yaml_text(nodes).replace("ODD-NAN", ".nan").encode(),
            settings: _yaml_text(document).replace("ODD-VERSION", "v1." + "9" * 5000).encode(),
            "metadata.yaml": _yaml_text(metadata)
            .replace("ODD-TIME", "!!timestamp 0001-01-01T00:00:00+05:00")
            .encode(),
        },
    )


def odd_log_times(dest: Path, lines: int = 200_000) -> Path:
    """A rancherd.log whose every line matches a rule, with a ``time=`` outside what datetime
    holds (year 1 moved to UTC, year 9999 moved past it): the rule must still fire."""
    stamps = ("0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00")
    text = "".join(
        f'time="{stamps[n % 2]}" level=error msg="response hash ({n:x}) does not match"\n'
        for n in range(lines)
    )
    return bundle_zip(
        dest, node_extra={"hv-node2": [("hv-node2/logs/rancherd.log", text.encode())]}
    )
