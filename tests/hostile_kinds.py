"""Hostile bundles of the other kinds (issue 15), at full size for benchmarks/hostile.py:
troubleshoot.sh JSON at the parse limit and nested without end, a legacy Longhorn bundle of
alias bombs and redacted YAML, a logs collector with a 2 GiB journald unit and a hostile
host name. Each is a folder: the sizes are what the parsers see, not what an archive holds."""

from __future__ import annotations

from pathlib import Path

MIB = 1024 * 1024


def _folder(dest: Path, root: str, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = dest / root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return dest / root


def troubleshoot_tiny_json(dest: Path, scale: int = 90 * MIB) -> Path:
    """A bare JSON array of ``scale`` bytes of tiny objects: the most objects per byte."""
    root = _folder(dest, "support-bundle-2025-01-01T00_00_00", {"version.yaml": b"kind: x\n"})
    pods = root / "cluster-resources" / "pods" / "default.json"
    pods.parent.mkdir(parents=True)
    with open(pods, "wb") as handle:
        handle.write(b"[\n")
        line = b'{"a": 1},\n' * (MIB // 10)
        for _ in range(scale // len(line)):
            handle.write(line)
        handle.write(b'{"a": 1}\n]\n')
    return root


def troubleshoot_deep_json(dest: Path, depth: int = 5_000_000) -> Path:
    """nodes.json nested ``depth`` arrays deep (10 MB): no recursion may follow it."""
    return _folder(
        dest,
        "support-bundle-2025-01-01T00_00_00",
        {
            "version.yaml": b"kind: x\n",
            "cluster-resources/nodes.json": b"[" * depth + b"]" * depth,
            "cluster-resources/custom-resources/volumes.longhorn.io/longhorn-system.yaml": (
                b"- metadata:\n    name: v\n  spec:\n    secret: ***HIDDEN***\n"
            ),
        },
    )


def longhorn_legacy_bombs(dest: Path) -> Path:
    """Bare lists of Longhorn objects made of an alias bomb, and a node list of 200,000
    Longhorn nodes with odd values."""
    lines = ["- &a [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"- &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    node = b"- {metadata: {name: [1]}, status: {diskStatus: {d: {conditions: 7}}}}\n"
    return _folder(
        dest,
        "longhorn-support-bundle_x_2025-01-01T00-00-00Z",
        {
            "metadata.yaml": b"longhornversion: v1.3.3\n",
            "yamls/longhorn/volumes.yaml": "\n".join(lines).encode() + b"\n",
            "yamls/longhorn/nodes.yaml": node * 200_000,
            "yamls/kubernetes/pods.yaml": b"items: 7\n",
        },
    )


def logs_collector_zeros(dest: Path, scale: int = 2048 * MIB) -> Path:
    """A journald unit of ``scale`` bytes of zeros (sparse), and a host name of escapes."""
    root = _folder(
        dest,
        "host-2025-01-01_00_00_00",
        {"systeminfo/hostname": b"\x1b[2J\x1b]0;pwned\x07../../etc\n"},
    )
    unit = root / "journald" / "rke2-server"
    unit.parent.mkdir(parents=True)
    with open(unit, "wb") as handle:
        handle.truncate(scale)
    return root
