"""supportconfig archives read in place: what a rule over every scc_logs file costs.

    python benchmarks/scc.py [MiB per archive]

Builds the healthy fixture with each node's scc/*.txz replaced by a supportconfig-sized
archive (40 text files of journal-like lines, 60 MiB by default, about 15 MiB packed), then
analyzes it with the CLI in a fresh process: once with a rule whose matcher reads every
scc_logs file (each member read decompresses the archive up to it), once with one that reads
messages.txt alone. Prints wall time and peak RSS.
"""

from __future__ import annotations

import io
import random
import sys
import tarfile
import tempfile
from pathlib import Path

from measure import PROJECT, analyze_command, measure

sys.path.insert(0, str(PROJECT))

from tests import hostile_corpus as corpus

FILES = 40


def archive(node: str, size: int) -> bytes:
    folder = f"scc_supportconfig_{node}-a1b2c3"
    # Lines that differ as journal lines do (a counter and a random token): xz packs them
    # about 4:1, where identical lines would pack past the 200:1 bomb limit.
    rng = random.Random(node)
    line = f"Nov 03 16:00:00 {node} kernel: usb 1-1: new high-speed USB device number %d %x\n"
    count = size // FILES // (len(line) + 8)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:xz", preset=6) as tar:
        for index in range(FILES):
            body = "".join(line % (n, rng.getrandbits(40)) for n in range(count)).encode()
            name = "messages.txt" if index == 0 else f"report-{index:02d}.txt"
            info = tarfile.TarInfo(f"{folder}/{name}")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
    return raw.getvalue()


def pack(dest: Path, files: str) -> Path:
    folder = dest / f"rules-{files.replace('*', 'all').replace('/', '-')}"
    corpus._rule(
        folder,
        "scc-usb",
        facts=f"logs:\n  - {{name: usb, source: scc_logs, files: ['{files}'], "
        "pattern: 'USB device number 12345 '}\n",
        when="usb",
    )
    return folder


def main() -> int:
    size = int(sys.argv[1]) * corpus.MIB if len(sys.argv) > 1 else 60 * corpus.MIB
    with tempfile.TemporaryDirectory(prefix="scc-bench-") as folder:
        work = Path(folder)
        nodes = {
            node: [(f"{node}/scc/scc_supportconfig_{node}-a1b2c3.txz", archive(node, size))]
            for node in ("hv-node1", "hv-node2", "hv-node3")
        }
        packed = sum(len(e[0][1]) for e in nodes.values())
        bundle = corpus.bundle_zip(work, node_extra=nodes)
        print(
            f"3 archives of {FILES} files, {size * 3 >> 20} MiB unpacked, {packed >> 20} MiB packed"
        )
        for files in ("*/messages.txt", "*/*"):
            run = measure(analyze_command([bundle], "--rules", str(pack(work, files))))
            print(
                f"scc_logs {files:<16} exit {run.returncode}  {run.wall:6.2f} s  "
                f"{run.peak_mb:5.0f} MB  {run.stderr.strip()[:60]}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
