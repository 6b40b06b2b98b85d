"""Where the bundle is, in what was given: the bundle itself, or a ticket folder (or an
outer zip) holding exactly one bundle beside notes and screenshots.

Looking costs a listing of one or two folder levels, never a walk: a huge folder that is no
bundle (``/usr``) is refused at once, by the absence of a bundle's markers (``metadata.yaml``,
``yamls/``) at its top or one level down, instead of after listing all it holds.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from pathlib import Path

from analyzer.bundle.kinds import DIR_MARKERS, FILE_MARKERS
from analyzer.errors import BundleError, printable

#: names an archive holding a bundle can have (a re-packed one, or one split for upload)
ARCHIVE = re.compile(r"\.(zip|tar|tgz|tar\.gz|tar\.bz2|tbz2|tar\.xz|txz)$", re.IGNORECASE)
PART = re.compile(r"^(?P<stem>.+)\.(?P<number>\d{1,3})\.zip$")
#: a ticket folder holds a bundle and a few notes; a folder of more is no ticket folder
_MAX_LISTED = 10_000


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    """The folder's entries, sorted; at most ``_MAX_LISTED`` (then BundleError)."""
    try:
        with os.scandir(folder) as listing:
            found = []
            for entry in listing:
                found.append(entry)
                if len(found) > _MAX_LISTED:
                    raise BundleError(
                        f"{folder}: not a Harvester support bundle (no marker of a known "
                        f"kind), nor a folder holding one (over {_MAX_LISTED} entries)"
                    )
            return sorted(found, key=lambda e: e.name)
    except OSError as exc:
        raise BundleError(f"{folder}: cannot read ({exc.strerror or exc})") from None


def _mode(path: Path) -> int:
    try:
        return os.lstat(path).st_mode
    except (OSError, ValueError):
        return 0


def is_bundle_folder(folder: Path) -> bool:
    """Whether ``folder`` holds a bundle's markers at its top (a few lookups, no listing)."""
    return any(stat.S_ISREG(_mode(folder / name)) for name in sorted(FILE_MARKERS)) or any(
        stat.S_ISDIR(_mode(folder / name)) for name in sorted(DIR_MARKERS)
    )


def bundles_in_folder(folder: Path) -> list[list[Path]]:
    """The bundles a folder holds one level down: folders with a bundle's markers, and
    archives by name (the parts of a split bundle together, as one). Links are ignored."""
    found: list[list[Path]] = []
    parts: dict[str, list[Path]] = {}
    for entry in _entries(folder):
        try:
            mode = entry.stat(follow_symlinks=False).st_mode
        except OSError:
            continue
        path = folder / entry.name
        if stat.S_ISDIR(mode):
            if is_bundle_folder(path):
                found.append([path])
        elif stat.S_ISREG(mode) and ARCHIVE.search(entry.name):
            split = PART.match(entry.name)
            if split:
                parts.setdefault(split["stem"], []).append(path)
            else:
                found.append([path])
    found += [sorted(p) for _, p in sorted(parts.items())]
    return sorted(found)


def archives_in_tree(files: list[str]) -> list[str]:
    """Archives an outer archive holds at its top or in one folder: the inner bundles."""
    return [f for f in files if f.count("/") <= 1 and ARCHIVE.search(f)]


def several(where: object, names: list[str]) -> BundleError:
    shown = ", ".join(printable(n) for n in names[:10]) + (", ..." if len(names) > 10 else "")
    return BundleError(
        f"{where}: holds {len(names)} bundles ({shown}), not one; pass the one to analyze"
    )


def split_parts(paths: Sequence[Path]) -> tuple[str, list[Path], list[int]] | None:
    """(the bundle's name, its parts in order, missing part numbers) for a split bundle.

    One path: its sibling parts are found beside it. Several paths: they must be the parts.
    """
    matches = [PART.match(p.name) for p in paths]
    if not all(matches):
        if len(paths) > 1:
            raise BundleError("several bundles given, but they are not parts of one (.001.zip ...)")
        return None
    stems = {m["stem"] for m in matches if m}
    if len(stems) != 1:
        raise BundleError(
            f"the parts given belong to different bundles: {', '.join(sorted(stems))}"
        )
    stem = stems.pop()
    found = set(paths)
    if len(paths) == 1:
        folder = paths[0].parent
        found = {p for p in folder.iterdir() if (m := PART.match(p.name)) and m["stem"] == stem}
    numbered = sorted((int(PART.match(p.name)["number"]), p) for p in found)  # type: ignore[index]
    numbers = [n for n, _ in numbered]
    first = min(1, numbers[0])
    missing = sorted(set(range(first, numbers[-1] + 1)) - set(numbers))
    return f"{stem}.zip", [p for _, p in numbered], missing
