"""Read-only file trees over the forms a bundle arrives in: a directory, a zip, a tar.gz.

Nothing here writes outside a private temporary folder: zips (and the node zips nested in
them) are read in place, a nested zip is spooled to memory or to the private folder so it can
be seeked; a tar.gz cannot be read at random, so its regular files, and only those, are
extracted into the private folder under names checked to stay inside it.
"""

from __future__ import annotations

import os
import shutil
import stat
import tarfile
import tempfile
import zipfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import BundleError

# Nested zips up to this size are spooled in memory, larger ones to the private folder.
_SPOOL_IN_MEMORY = 64 * 1024 * 1024
_COPY_CHUNK = 1024 * 1024


def safe_member_name(name: str) -> str | None:
    """The normalised relative path of an archive entry, or None if it could escape the root.

    Absolute names, drive letters and any ``..`` component are refused rather than repaired:
    a collector never writes them, so their presence means the archive was crafted or broken.
    """
    if not name or "\x00" in name:
        return None
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


class Tree(ABC):
    """Regular files addressed by relative POSIX paths; directories are implied."""

    #: entries refused because their names were unsafe, for the report's collection notes
    rejected: list[str]

    @abstractmethod
    def files(self) -> list[str]:
        """Every regular file, sorted."""

    @abstractmethod
    def open(self, path: str) -> BinaryIO:
        """A binary stream of one file; raises KeyError for an unknown path."""

    @abstractmethod
    def size(self, path: str) -> int:
        """The uncompressed size of one file."""

    def close(self) -> None:  # noqa: B027 - most trees hold nothing to release
        """Release open handles."""


class DirTree(Tree):
    """An unpacked bundle on disk. Symbolic links are not followed, so none leads outside."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.rejected = []
        found: dict[str, int] = {}
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for filename in filenames:
                full = os.path.join(dirpath, filename)
                info = os.lstat(full)
                rel = Path(full).relative_to(root).as_posix()
                if stat.S_ISREG(info.st_mode):
                    found[rel] = info.st_size
                else:
                    self.rejected.append(rel)
        self._sizes = dict(sorted(found.items()))

    def files(self) -> list[str]:
        return list(self._sizes)

    def open(self, path: str) -> BinaryIO:
        if path not in self._sizes:
            raise KeyError(path)
        return open(self.root / path, "rb")

    def size(self, path: str) -> int:
        return self._sizes[path]


class ZipTree(Tree):
    """A zip archive read in place; ``label`` names it in error messages."""

    def __init__(self, source: Path | BinaryIO, label: str) -> None:
        self.label = label
        self.rejected = []
        try:
            _check_complete(source)
            self._zip = zipfile.ZipFile(source)
            infos = self._zip.infolist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
            raise BundleError(f"{label}: not a readable zip archive ({exc})") from None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.is_dir():
                continue
            name = safe_member_name(info.filename)
            # Symbolic links stored in zips (Unix mode bits) are refused like unsafe names.
            if name is None or stat.S_ISLNK(info.external_attr >> 16):
                self.rejected.append(info.filename)
                continue
            self._infos[name] = info
        self._infos = dict(sorted(self._infos.items()))

    def files(self) -> list[str]:
        return list(self._infos)

    def open(self, path: str) -> BinaryIO:
        return self._zip.open(self._infos[path])

    def size(self, path: str) -> int:
        return self._infos[path].file_size

    def close(self) -> None:
        self._zip.close()


class TarTree(DirTree):
    """A tar archive whose regular files are extracted into ``workdir`` (a private folder)."""

    def __init__(self, path: Path, workdir: Path, label: str) -> None:
        rejected: list[str] = []
        try:
            # Stream mode reads the archive once, front to back, whatever its compression.
            with tarfile.open(path, "r|*") as tar:
                for member in tar:
                    name = safe_member_name(member.name)
                    if not member.isfile() or name is None:
                        # Links, devices and FIFOs are never materialised: a link could
                        # point at a host file that a later read would then disclose.
                        if not member.isdir():
                            rejected.append(member.name)
                        continue
                    target = workdir / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    if source is None:
                        continue
                    with source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out, _COPY_CHUNK)
        except (tarfile.TarError, OSError, EOFError, ValueError) as exc:
            raise BundleError(f"{label}: not a readable tar archive ({exc})") from None
        super().__init__(workdir)
        self.rejected = rejected + self.rejected


_END_RECORD = b"PK\x05\x06"
_END_RECORD_SIZE = 22


def _check_complete(source: Path | BinaryIO) -> None:
    """Refuse a zip whose end-of-archive record is not at its very end.

    zipfile searches the last 64 KiB for that record; in a truncated bundle it can find the
    record of a node zip stored inside, and would then read that node zip as the bundle.
    """
    handle = open(source, "rb") if isinstance(source, Path) else source  # noqa: SIM115
    try:
        size = handle.seek(0, os.SEEK_END)
        tail_size = min(size, 65536 + _END_RECORD_SIZE)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
    finally:
        if isinstance(source, Path):
            handle.close()
        else:
            handle.seek(0)
    at = tail.rfind(_END_RECORD)
    while at >= 0:
        comment = int.from_bytes(tail[at + 20 : at + 22], "little")
        if at + _END_RECORD_SIZE + comment == len(tail):
            return
        at = tail.rfind(_END_RECORD, 0, at)
    raise zipfile.BadZipFile("truncated or damaged: no end-of-archive record at its end")


def spool(stream: BinaryIO, workdir: Path) -> BinaryIO:
    """A seekable copy of ``stream``, in memory when small, else in the private folder."""
    copy = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY, dir=workdir)  # noqa: SIM115
    shutil.copyfileobj(stream, copy, _COPY_CHUNK)
    copy.seek(0)
    return copy  # type: ignore[return-value]


def is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def is_tar(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(262)
    # gzip, bzip2, xz magic numbers, or the ustar marker of a plain tar.
    return (
        head[:2] == b"\x1f\x8b"
        or head[:3] == b"BZh"
        or head[:6] == b"\xfd7zXZ\x00"
        or (head[257:262] == b"ustar")
    )
