"""The bundles of an archive, and what identifies each.

An archive is what a support organisation keeps: folders of tickets holding bundles (zip,
tar.gz, unpacked folders, split zips). ``find_bundles`` walks it without following links,
stops descending at a bundle folder, and groups the parts of a split bundle. A bundle is
known by its sha256 (as the single-bundle report computes it), so the same bundle saved under
two names is analyzed once.
"""

from __future__ import annotations

import glob
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from analyzer.bundle.locate import ARCHIVE, PART, is_bundle_folder
from analyzer.errors import AnalyzerError, printable

#: folders deeper than this below an archive root are not searched (an archive of tickets is
#: a few levels deep; a loop of bind mounts is not)
MAX_DEPTH = 12
#: entries listed in all, so that pointing at / fails fast instead of walking the disk
MAX_ENTRIES = 2_000_000


@dataclass(frozen=True, order=True)
class BundleRef:
    """One bundle of the archive: its path (the first part of a split one) and all parts."""

    path: str
    parts: tuple[str, ...]


def find_bundles(sources: list[str]) -> list[BundleRef]:
    """The bundles under each of ``sources`` (folders searched, files taken as they are,
    anything else read as a glob), sorted by path, each once."""
    found: dict[str, BundleRef] = {}
    for source in sources:
        path = Path(source)
        if path.is_dir() and not path.is_symlink():
            refs = _walk(path)
        elif path.is_file():
            refs = [BundleRef(str(path), (str(path),))]
        else:
            matches = sorted(glob.glob(source, recursive=True))
            if not matches:
                raise AnalyzerError(f"{printable(source)}: no such file, folder or match")
            refs = [r for match in matches for r in find_bundles([match])]
        for ref in refs:
            found.setdefault(ref.path, ref)
    return [found[key] for key in sorted(found)]


def _walk(root: Path) -> list[BundleRef]:
    found: list[BundleRef] = []
    pending = [(root, 0)]
    listed = 0
    while pending:
        folder, depth = pending.pop()
        if is_bundle_folder(folder):
            found.append(BundleRef(str(folder), (str(folder),)))
            continue
        parts: dict[str, list[str]] = {}
        try:
            with os.scandir(folder) as entries:
                names = sorted((e.name, e.stat(follow_symlinks=False).st_mode) for e in entries)
        except OSError:
            continue  # an unreadable folder of the archive is skipped, as it would be by hand
        listed += len(names)
        if listed > MAX_ENTRIES:
            raise AnalyzerError(f"{printable(str(root))}: over {MAX_ENTRIES:,} entries searched")
        for name, mode in names:
            path = folder / name
            if stat.S_ISDIR(mode) and depth < MAX_DEPTH:
                pending.append((path, depth + 1))
            elif stat.S_ISREG(mode) and ARCHIVE.search(name):
                split = PART.match(name)
                if split:
                    parts.setdefault(split["stem"], []).append(str(path))
                else:
                    found.append(BundleRef(str(path), (str(path),)))
        for group in parts.values():
            ordered = tuple(sorted(group, key=_part_number))
            found.append(BundleRef(ordered[0], ordered))
    return found


def _part_number(path: str) -> int:
    match = PART.match(Path(path).name)
    return int(match["number"]) if match else 0
