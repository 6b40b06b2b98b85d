"""Hostile and broken bundles, built on demand (never checked in as binaries).

Each builder writes one bundle under ``dest`` and returns what to analyze. ``scale`` sets the
size of the large payloads: tests use small ones that still trip each protection;
benchmarks/hostile.py uses the sizes the issue names (a 2 GB log of zeros, a 300 MB line).
"""

from __future__ import annotations

import io
import lzma
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


# -- markup in every string a report shows (issue 10, item 4) -----------------------------------
#: What a ticket viewer, a browser or a terminal would act on, in one line: tags with event
#: handlers, a script, links and images to javascript: and data:, an unclosed code span,
#: table pipes, entity tricks, an HTML comment, emphasis, a right-to-left override and an
#: isolate, a terminal colour escape.
MARKUP = (
    "<img src=x onerror=alert(1)> <script>alert(2)</script> [x](javascript:alert(3)) "
    '<a href="javascript:alert(4)">a</a> ![i](data:text/html;base64,PHNjcmlwdD4=) '
    "``<img src=x onerror=alert(5)>` a|b|c &lt;img src=x onerror=alert(6)&gt; <!-- c "
    "<javascript:alert(7)> *em* _u_ ~~s~~ \\`x\\` \u202egnp.exe\u2066 \x1b[31mred\x1b[0m"
)
#: the same with line breaks that would start blocks: a heading, a list, a quote, an HTML
#: block, an indented code block, a table
MARKUP_LINES = (
    MARKUP + "\n\n# h\n- li\n> q\n<img src=x onerror=alert(8)>\r<b>x</b>\n    code\n|a|b|\n|-|-|\n"
)
#: for file and folder names, which hold no "/" and at most 255 bytes
MARKUP_NAME = "<img src=x onerror=alert(1)> [x](javascript:alert(3)) ``a|b &lt; <!-- \u202e\x1b[2J"


def markup_bundle(dest: Path, base: Path = BUNDLES / "rc3-console-notready") -> Path:
    """A copy of ``base`` whose every string a report shows carries MARKUP: the folder name,
    the versions in metadata.yaml and in the settings, node names, roles, readiness,
    conditions, kubelet and OS versions, and log lines (the cited one and its neighbours)."""
    import yaml  # here, not at the top: this section is self-contained

    target = dest / f"{MARKUP_NAME}\n# h"
    shutil.copytree(base, target)

    def edit(rel: str, change: object) -> None:
        path = target / rel
        data = yaml.safe_load(path.read_text())
        change(data)  # type: ignore[operator]
        path.write_text(yaml.safe_dump(data, sort_keys=False))

    edit("metadata.yaml", lambda d: d.update(kubernetesversion=MARKUP_LINES))
    for rel in (
        "yamls/cluster/harvesterhci.io/v1beta1/settings.yaml",
        "yamls/cluster/management.cattle.io/v3/settings.yaml",
    ):
        edit(rel, lambda d: [s.update(value=MARKUP_LINES) for s in d["items"]])

    def nodes(data: dict) -> None:
        for index, node in enumerate(data["items"]):
            node["metadata"]["name"] = f"{MARKUP_LINES} {index}"
            node["metadata"]["labels"][f"node-role.kubernetes.io/{MARKUP}"] = "true"
            for condition in node["status"]["conditions"]:
                condition.update(reason=MARKUP, message=MARKUP_LINES)
                if condition["type"] == "Ready":
                    condition["status"] = MARKUP_LINES
            node["status"]["nodeInfo"].update(kubeletVersion=MARKUP_LINES, osImage=MARKUP_LINES)

    edit("yamls/cluster/v1/nodes.yaml", nodes)
    event = {
        "apiVersion": "v1",
        "kind": "Event",
        "type": "Warning",
        "reason": MARKUP,
        "message": MARKUP_LINES,
        "lastTimestamp": "2025-04-01T10:28:00Z",
        "involvedObject": {"kind": "Pod", "name": MARKUP_LINES, "namespace": "harvester-system"},
        "metadata": {"name": MARKUP, "namespace": "harvester-system"},
    }
    events = target / "yamls/namespaced/harvester-system/v1/events.yaml"
    events.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [event]}))
    lines = [f"Apr 01 10:29:0{i} hv-node1 rke2[1]: HOSTILE {i} {MARKUP}" for i in range(4)]
    lines.append("Apr 01 10:29:05 hv-node1 rke2[1]: HOSTILE cr\r<img src=x onerror=alert(9)>")
    with open(target / "nodes/hv-node1/logs/rke2-server.log", "a") as log:
        log.write("\n".join(lines) + "\n")
    return target


def markup_rules(dest: Path) -> Path:
    """A rule pack whose category, titles, messages, remediations, references and log globs
    carry MARKUP; its root cause cites the hostile log lines and nodes, and explains a
    symptom (a folded finding), and one rule is skipped naming its hostile glob."""
    import yaml  # here, not at the top: this section is self-contained

    root = dest / "rules"
    folder = root / f"{MARKUP_NAME}\n- li"
    folder.mkdir(parents=True)
    common = {"description": "d", "severity": "high", "remediation": MARKUP_LINES}
    rules = {
        "hostile-root": {
            "title": MARKUP,
            "logs": [
                {
                    "name": "hits",
                    "source": "node_logs",
                    "files": "*/rke2-server.log",
                    "pattern": "HOSTILE",
                }
            ],
            "when": "hits",
            "evidence": ["hits", "nodes"],
            "explains": ["hostile-symptom"],
            "message": "{{ hits[0].text }} {{ nodes[0].name }} {{ nodes[0].ready }} "
            "{{ versions.harvester }} {{ versions.kubernetes }}\n\n" + MARKUP_LINES,
            "references": [
                "javascript:alert(1)",
                "data:text/html,<script>alert(2)</script>",
                "https://example.com/a>b<img src=x onerror=alert(3)> c",
                MARKUP,
            ],
        },
        "hostile-symptom": {"title": MARKUP_LINES, "when": "nodes", "message": MARKUP},
        "hostile-skip": {
            "title": MARKUP,
            "logs": [
                {"name": "none", "source": "node_logs", "files": f"*/{MARKUP_NAME}", "pattern": "x"}
            ],
            "when": "none",
            "message": "m",
        },
    }
    for rule_id, body in rules.items():
        text = yaml.safe_dump({"id": rule_id, **common, **body}, sort_keys=False)
        (folder / f"{rule_id}.yaml").write_text(text)
    return root


# -- issue 10, archives and folders (tests/test_sec_archive*.py) --------------------------------
def stored_zip(names: list[str]) -> bytes:
    """A zip of empty stored entries, written by hand: zipfile takes seconds per 100,000
    entries, this a fraction of one (the node zips of the per-bundle budget case)."""
    local, central = [], []
    offset = 0
    for name in names:
        raw = name.encode()
        header = struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, 0, 0, 0x21, 0, 0, 0, len(raw), 0)
        local.append(header + raw)
        central.append(
            struct.pack(
                "<4s6H3I5H2I",
                *(b"PK\x01\x02", 20, 20, 0, 0, 0, 0x21, 0, 0, 0, len(raw), 0, 0, 0, 0, 0, offset),
            )
            + raw
        )
        offset += len(header) + len(raw)
    directory = b"".join(central)
    count = len(names)
    end = b""
    if count > 0xFFFF:  # as zip tools write it: a zip64 end record and its locator
        end = struct.pack(
            "<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, len(directory), offset
        )
        end += struct.pack("<4sIQI", b"PK\x06\x07", 0, offset + len(directory), 1)
        count = 0xFFFF
    end += struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, count, count, len(directory), offset, 0)
    return b"".join(local) + directory + end


def many_node_zip_entries(dest: Path, nodes: int = 12, entries: int = 199_000) -> Path:
    """``nodes`` node zips of ``entries`` empty files each: each under the entry limit, all of
    them together many times over it (issue 10: 149 s and 2.3 GB before the bundle budget)."""
    inner = stored_zip([f"hv-big/logs/f{i:06d}.log" for i in range(entries)])
    extra = [(f"{ROOT}/nodes/hv-big{n:02d}.zip", inner) for n in range(nodes)]
    return bundle_zip(dest, extra=extra)


def patch_zip_entries(data: bytes, changes: dict[str, tuple[int | None, int]]) -> bytes:
    """``data`` with the named entries' compression method and general-purpose flag bits
    (name -> (method or None to keep it, flag bits to set)) rewritten, in the local header
    and the central directory both, as a zip written by another tool would have them."""
    out = bytearray(data)
    at = 0
    while (at := out.find(b"PK\x01\x02", at + 1)) >= 0:
        length = struct.unpack("<H", out[at + 28 : at + 30])[0]
        name = out[at + 46 : at + 46 + length].decode()
        if name not in changes:
            continue
        method, flags = changes[name]
        local = struct.unpack("<I", out[at + 42 : at + 46])[0]
        for flag_at in (at + 8, local + 6):
            old = struct.unpack("<H", out[flag_at : flag_at + 2])[0]
            out[flag_at : flag_at + 2] = struct.pack("<H", old | flags)
            if method is not None:
                out[flag_at + 2 : flag_at + 4] = struct.pack("<H", method)
    return bytes(out)


def unreadable_methods(dest: Path) -> Path:
    """Entries Python cannot read, in the bundle and in a node zip: deflate64 (method 9, as
    Windows Explorer writes large files) and encrypted ones (flag bit 0)."""
    outer, nodes = _base_entries()
    node = patch_zip_entries(
        _zip(nodes["hv-node1"]),
        {"hv-node1/logs/rke2-server.log": (9, 0), "hv-node1/logs/kubelet.log": (None, 1)},
    )
    entries = [e for e in outer] + [(f"{ROOT}/nodes/hv-node1.zip", node)]
    entries += [
        (f"{ROOT}/nodes/{n}.zip", _zip(e)) for n, e in sorted(nodes.items()) if n != "hv-node1"
    ]
    data = patch_zip_entries(
        _zip(entries),
        {
            f"{ROOT}/yamls/cluster/v1/nodes.yaml": (9, 0),
            f"{ROOT}/bundleGenerationError.log": (None, 1),
        },
    )
    target = dest / f"{ROOT}.zip"
    target.write_bytes(data)
    return target


def deep_folder(dest: Path, depth: int = 1500) -> Path:
    """The folder bundle with a chain of ``depth`` nested folders (os.walk recursed per level)."""
    target = bundle_dir(dest)
    fd = os.open(target, os.O_RDONLY)
    for _ in range(depth):
        os.mkdir("d", dir_fd=fd)
        child = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = child
    with open(os.open("deepest.log", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as f:
        f.write(b"at the bottom\n")
    os.close(fd)
    return target


def remove_deep(folder: Path) -> None:
    """Remove a folder tree of any depth (shutil.rmtree recurses per level, and would fail)."""
    fds, names = [os.open(folder, os.O_RDONLY)], []
    while fds:
        with os.scandir(fds[-1]) as listing:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in listing]
        for name, is_dir in entries:
            if not is_dir:
                os.unlink(name, dir_fd=fds[-1])
        subdirs = [name for name, is_dir in entries if is_dir]
        if subdirs:
            fds.append(os.open(subdirs[0], os.O_RDONLY, dir_fd=fds[-1]))
            names.append(subdirs[0])
            continue
        os.close(fds.pop())
        if names:
            os.rmdir(names.pop(), dir_fd=fds[-1])
    os.rmdir(folder)


NON_UTF8 = os.fsdecode(b"caf\xe9-\x1b[31mred.log")  # Latin-1 bytes and a terminal escape


def non_utf8_folder(dest: Path) -> Path:
    """The folder bundle with file names that are not UTF-8 (one in a folder so named)."""
    target = bundle_dir(dest)
    (target / NON_UTF8).write_bytes(b"x\n")
    (target / "yamls" / os.fsdecode(b"\xff\xfe")).mkdir()
    (target / "yamls" / os.fsdecode(b"\xff\xfe") / "pods.yaml").write_bytes(b"items: []\n")
    return target


def _tar_gz(target: Path, members: list[tuple[str, bytes]], base: bool = True) -> Path:
    with tarfile.open(target, "w:gz", format=tarfile.GNU_FORMAT, compresslevel=1) as tar:
        if base:
            tar.add(BASE, arcname=ROOT)
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def non_utf8_tar(dest: Path) -> Path:
    """A tar.gz whose member names are not UTF-8."""
    return _tar_gz(dest / f"{ROOT}.tar.gz", [(f"{ROOT}/{NON_UTF8}", b"x\n")])


def long_tar_path(dest: Path, length: int = 5000) -> Path:
    """A tar.gz with a ``length``-character member path (a GNU long name), and one whose
    single file name is longer than any file system allows."""
    deep = "/".join(["a" * 249] * (length // 250))
    return _tar_gz(
        dest / f"{ROOT}.tar.gz",
        [(f"{ROOT}/logs/{deep}/x.log", b"x\n"), (f"{ROOT}/logs/{'b' * 300}.log", b"x\n")],
    )


class _Zeros(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        buffer[:] = bytes(len(buffer))
        return len(buffer)


def tar_bomb(dest: Path, scale: int = 64 * MIB) -> Path:
    """A tar.gz whose node log is ``scale`` bytes of zeros (about 1000:1 compressed), under
    the file limit: to be refused while written, not after it landed in the temp folder."""
    target = dest / f"{ROOT}.tar.gz"
    with tarfile.open(target, "w:gz", compresslevel=9) as tar:
        tar.add(BASE, arcname=ROOT)
        info = tarfile.TarInfo(f"{ROOT}/nodes/hv-node2/logs/kernel.log")
        info.size = scale
        tar.addfile(info, io.BufferedReader(_Zeros(), 4 * MIB))
    return target


def ticket_folder(dest: Path, bundles: list[str], folders: int = 0) -> Path:
    """A ticket's attachments: notes, a screenshot, the bundle zips named ``bundles`` and
    ``folders`` unpacked bundle folders."""
    target = dest / "ticket"
    target.mkdir()
    (target / "notes.txt").write_text("customer says the VIP is gone\n")
    (target / "screenshot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    for name in bundles:
        bundle_zip(target, name=name)
    for n in range(folders):
        shutil.copytree(BASE, target / f"unpacked-{n}")
    return target


def outer_zip(dest: Path, inner: int = 1) -> Path:
    """A zip around ``inner`` bundle zips and a note (a ticket's attachments zipped again)."""
    (dest / "inner").mkdir()
    entries = [("notes.txt", b"see the bundle\n")]
    for n in range(inner):
        path = bundle_zip(dest / "inner", name=f"bundle-{n}.zip")
        entries.append((f"attachments/{path.name}", path.read_bytes()))
    target = dest / "ticket-attachments.zip"
    target.write_bytes(_zip(entries))
    return target


# -- secrets and redaction (issue 10, item 2) -------------------------------------------------
#: 64 KiB lines against the redaction patterns: runs where a backtracking pattern would try
#: every split or every start (quadratic before the guards), and keys over several lines
REDACTION_LINES = (
    "a" * 65_000,
    "eyJ-" * 16_000,
    "a." * 32_000,
    "a/" * 32_000,
    'token:"' * 9_000,
    '"name":"DB_PASSWORD","value":"' * 3_000,
    "a://b:" * 10_000,
    "  password: " + "a " * 32_000,
)


def secret_shapes(dest: Path, lines: int = 250, field: int = 4 * MIB) -> Path:
    """bundleGenerationError.log (every line of which the collection-errors rule cites) made
    of ``lines`` lines of REDACTION_LINES, with PEM key headers and bodies between them, and
    nodes whose osImage is ``field`` bytes of them."""
    target = bundle_dir(dest)
    # Log excerpts are cut at 1000 characters, but node fields reach the report whole and are
    # redacted since issue 10: each node's osImage is ``field`` bytes of one of the lines.
    nodes = target / "yamls/cluster/v1/nodes.yaml"
    text = nodes.read_text().splitlines(keepends=True)
    images = [n for n, line in enumerate(text) if line.lstrip().startswith("osImage:")]
    for i, n in enumerate(images):
        shape = REDACTION_LINES[i % len(REDACTION_LINES)].replace('"', "'")
        value = (shape * (field // len(shape) + 1))[:field]
        text[n] = text[n][: text[n].index("osImage:")] + f'osImage: "{value}"\n'
    nodes.write_text("".join(text))
    body = "MIIEpAIBAAKCAQEAwJ8nLqmGvS3Ykq0fXbTu9CQ2ZVp7e3o1h4j5k6l7m8n9o0p1"
    with open(target / "bundleGenerationError.log", "w") as handle:
        for n in range(lines):
            if n % 10 == 9:
                handle.write(f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n")
            handle.write(REDACTION_LINES[n % len(REDACTION_LINES)] + "\n")
    return target


# -- hostile rule packs (issue 10, item 11): each builder returns the pack's folder ----------
_RULE = """\
id: {id}
title: rule {id}
severity: {severity}
description: a hostile rule
{facts}when: {when}
message: {message}
remediation: none
explains: [{explains}]
"""


def _rule(pack: Path, rule_id: str, **fields: str) -> None:
    values = {"severity": "high", "facts": "", "when": "nodes", "message": "fired"}
    values["explains"] = ""
    values.update(fields)
    folder = pack / "general"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{rule_id}.yaml").write_text(_RULE.format(id=rule_id, **values))


def template_bombs(dest: Path) -> Path:
    """Rules whose templates would build 2 GB strings or compare 2**40 values (and one
    ordinary rule)."""
    pack = dest / "rules"
    bombs = {
        "percent": "'%2000000000s' % 'x'",
        "center": "'x'.center(2000000000)",
        "filter-center": "'x' | center(2000000000)",
        "format": "'{:2000000000}'.format('x')",
        "replace": "('x' * 100000).replace('x', 'x' * 100000)",
        "join": "('x' * 100000) | join('x' * 100000)",
        "wordwrap": "('x ' * 50000) | wordwrap(1, wrapstring='y' * 100000)",
        "concat": "{% set a = 'x' * 100000 %}" + "{% set a = a ~ a %}" * 15 + "{{ a | length }}",
        # 2**40 comparisons in C, where no signal can stop them (hours, before the guard)
        "compare": "{% set a = [1] %}{% set b = [1] %}"
        + "{% set a = [a, a] %}{% set b = [b, b] %}" * 40
        + "{{ a == b }}",
    }
    for name, expression in bombs.items():
        body = expression if expression.startswith("{%") else "{{ " + expression + " }}"
        _rule(pack, f"bomb-{name}", message=repr(body))
    _rule(pack, "ordinary", message="'{{ nodes | length }} nodes'")
    return pack


def query_bombs(dest: Path) -> Path:
    """Rules whose facts multiply data: [@, @] 34 times (shared), flattened 30 times, and
    to_string of a value shared 2**30 times."""
    pack = dest / "rules"
    shared = " | ".join(["[@, @]"] * 34)
    flat = " | ".join(["[@, @][]"] * 30)
    tostring = " | ".join(["[@, @]"] * 30) + " | to_string(@)"
    for name, query in (("shared", shared), ("flat", flat), ("to-string", tostring)):
        facts = f"facts:\n  x: {('nodes[].name | ' + query)!r}\n"
        _rule(pack, f"bomb-{name}", facts=facts, when="x")
    _rule(pack, "ordinary")
    return pack


def rule_alias_bomb(dest: Path) -> Path:
    """A rule file holding a YAML alias bomb (a billion x's once expanded)."""
    pack = dest / "rules"
    _rule(pack, "ordinary")
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)
    ]
    (pack / "general" / "bomb.yaml").write_text("id: bomb\n" + "\n".join(lines) + "\n")
    return pack


def rule_graph(dest: Path, rules: int = 5000, fan_out: int = 1) -> Path:
    """``rules`` rules that all fire, rule i explaining rules i+1 .. i+fan_out."""
    pack = dest / "rules"
    ids = [f"r{i:05d}" for i in range(rules)]
    severities = ("critical", "high", "medium", "low", "info")
    for i, rule_id in enumerate(ids):
        explains = ", ".join(ids[i + 1 : i + 1 + fan_out])
        _rule(pack, rule_id, severity=severities[i % 5], explains=explains)
    return pack


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
                if not name.startswith(f"{node}/logs/kernel.log."):  # written below
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


# -- supportconfig archives inside node zips (issue 12, item 4) ------------------------------
SCC_MEMBER = "hv-node1/scc/scc_supportconfig_hv-node1-a1b2c3.txz"


def _txz(members: list[tuple[tarfile.TarInfo, io.RawIOBase | None]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:xz", preset=1) as tar:
        for info, data in members:
            tar.addfile(info, io.BufferedReader(data, 4 * MIB) if data else None)
    return raw.getvalue()


def scc_bomb(dest: Path, scale: int = 1024 * MIB) -> Path:
    """hv-node1's supportconfig archive (scc/*.txz, inside its node zip) holds messages.txt
    of ``scale`` bytes of zeros: xz packs a GiB of them in about 150 KiB."""
    info = tarfile.TarInfo("scc_supportconfig_hv-node1-a1b2c3/messages.txt")
    info.size = scale
    bomb = _txz([(info, _Zeros())])
    return bundle_zip(dest, node_extra={"hv-node1": [(SCC_MEMBER, bomb)]})


def scc_pax_bomb(dest: Path) -> Path:
    """A supportconfig archive whose first header is a pax header claiming 2 GiB, which
    tarfile would read into memory whole, followed by nothing."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type, info.size = tarfile.XHDTYPE, 2 * 1024 * MIB
    header = info.tobuf(tarfile.USTAR_FORMAT)
    return bundle_zip(dest, node_extra={"hv-node1": [(SCC_MEMBER, lzma.compress(header))]})


def scc_rules(dest: Path) -> Path:
    """One rule whose log matcher reads supportconfig's messages.txt (so that the archive
    is opened: no shipped rule reads scc_logs yet)."""
    pack = dest / "scc-rules"
    _rule(
        pack,
        "scc-iscsid",
        facts="logs:\n  - {name: iscsid, source: scc_logs, files: ['*/messages.txt'], "
        "pattern: 'iscsid'}\n",
        when="iscsid",
    )
    return pack
