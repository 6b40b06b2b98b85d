"""Read-only file trees over the forms a bundle arrives in: a zip here; a folder in
``dirtree.py``, a tar in ``tartree.py``; what they may claim in ``limits.py``.

Bundles come from broken clusters, partial uploads and, now and then, from someone curious
what a crafted file does. So:

- Nothing is written outside a private temporary folder. Zips (and the node zips nested in
  them) are read in place; a nested zip is copied to the private folder so it can be
  seeked. A tar.gz cannot be read at random: its regular files, and only those, are
  extracted into the private folder under names checked to stay inside it.
- Entry names that could escape the root (``..``, absolute paths), links and devices are
  refused. Nested archives are opened only for node zips (``nodes/<node>.zip``, depth 2;
  3 when the bundle came inside an outer zip); archives inside those are never opened.
- ``Limits`` bound what a bundle may claim, node zips included (one ``Budget`` per bundle).
  An archive over what is left of the entry count or total size is refused as a whole (a
  node zip alone, the rules that need it skipped); a single entry too large, compressed
  suspiciously well (a zip bomb), encrypted, or compressed with a method Python cannot read
  (deflate64), is refused alone: it stays listed, and opening it raises a BundleError
  saying why, so the rules that need it are skipped naming it while the others run.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import struct
import tempfile
import zipfile
from abc import ABC, abstractmethod
from pathlib import Path
from typing import BinaryIO

from analyzer.bundle.limits import DEFAULT_LIMITS, Budget, Limits, size_text
from analyzer.errors import WRITE_ERRNOS, BundleError, printable, work_area_error

__all__ = ["DEFAULT_LIMITS", "Budget", "Limits", "PreadFile", "Tree", "ZipTree"]

_COPY_CHUNK = 1024 * 1024
_MIB = 1024 * 1024
#: folders below the root a file may be: a bundle needs about 8 (an unpacked node zip in
#: a ticket folder); far deeper is crafted, and would reach the system's path length limits
MAX_DEPTH = 32
#: what zipfile can decompress; deflate64 (9, written by Windows Explorer for large files),
#: PKWARE's implode and the like are not among them
_ZIP_METHODS = {
    zipfile.ZIP_STORED: "stored",
    zipfile.ZIP_DEFLATED: "deflate",
    zipfile.ZIP_BZIP2: "bzip2",
    zipfile.ZIP_LZMA: "lzma",
}
_ZIP_METHOD_NAMES = {9: "deflate64", 6: "implode", 93: "zstandard", 95: "xz", 98: "ppmd"}


def name_problem(name: str) -> str | None:
    """Why a name found in a folder or a tar cannot be kept (or None): it is not UTF-8 (no
    report could quote it), or too long or too deep to be materialised and opened again."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "name not UTF-8"
    parts = name.split("/")
    if len(parts) > MAX_DEPTH:
        return f"deeper than {MAX_DEPTH} folders"
    if len(encoded) > 1024 or any(len(p.encode()) > 255 for p in parts):
        return f"name of {len(name)} characters, too long"
    return None


def rejected_name(name: str, why: str) -> str:
    """How a rejected entry is listed in the notes: escaped, cut short, with why."""
    shown = printable(name)
    if len(shown) > 160:
        shown = shown[:160] + "..."
    return f"{shown} ({why})"


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

    #: entries skipped because their names were unsafe or they were links, for the notes
    rejected: list[str]
    #: entries listed but not readable: path -> why (over a limit)
    refused: dict[str, str]

    @abstractmethod
    def files(self) -> list[str]:
        """Every regular file, sorted (refused ones included)."""

    @abstractmethod
    def _open(self, path: str) -> BinaryIO:
        """A binary stream of one file that is not refused."""

    @abstractmethod
    def size(self, path: str) -> int:
        """The uncompressed size of one file."""

    def open(self, path: str) -> BinaryIO:
        """A binary stream of one file; KeyError if unknown, BundleError if refused."""
        if path in self.refused:
            raise BundleError(f"{path}: refused: {self.refused[path]}")
        return self._open(path)

    def close(self) -> None:  # noqa: B027 - most trees hold nothing to release
        """Release open handles."""


_END = b"PK\x05\x06"
_END_SIZE = 22
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"


def _directory_size(handle: BinaryIO) -> tuple[int, int]:
    """(entries, central directory bytes) from the end records, before zipfile reads them.

    Also refuses a zip whose end record is not at its very end: zipfile searches the last
    64 KiB for it, and in a truncated bundle it can find the record of a node zip stored
    inside and would then read that node zip as the bundle.
    """
    try:
        size = handle.seek(0, os.SEEK_END)
        tail_size = min(size, 65536 + _END_SIZE)
        handle.seek(size - tail_size)
        tail = handle.read(tail_size)
        at = tail.rfind(_END)
        while at >= 0:
            comment = int.from_bytes(tail[at + 20 : at + 22], "little")
            if at + _END_SIZE + comment == len(tail):
                break
            at = tail.rfind(_END, 0, at)
        else:
            raise zipfile.BadZipFile("truncated or damaged: no end-of-archive record at its end")
        entries, directory = struct.unpack("<HI", tail[at + 10 : at + 16])
        if (entries == 0xFFFF or directory == 0xFFFFFFFF) and tail[
            at - 20 : at - 16
        ] == _END64_LOCATOR:
            (offset,) = struct.unpack("<Q", tail[at - 12 : at - 4])
            handle.seek(offset)
            record = handle.read(56)
            if record[:4] == _END64:
                entries, directory = struct.unpack("<QQ", record[32:48])
        return entries, directory
    finally:
        handle.seek(0)


def _unreadable(info: zipfile.ZipInfo, limits: Limits) -> str | None:
    """Why one zip entry is refused alone, or None: over a limit, or not readable here."""
    if info.flag_bits & 0x1:
        return "encrypted, cannot be read without its password"
    if info.compress_type not in _ZIP_METHODS:
        method = _ZIP_METHOD_NAMES.get(info.compress_type, "unknown")
        return (
            f"compressed with {method} (method {info.compress_type}), which cannot be read "
            "here; re-create the zip with deflate"
        )
    # zipfile stops a member at its declared size, so declared sizes bound the output.
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size > limits.max_file_size:
        return f"{size_text(info.file_size)}, over the {size_text(limits.max_file_size)} file limit"
    if info.file_size > _MIB and ratio > limits.max_ratio:
        return f"compressed {ratio:.0f}:1, over the {limits.max_ratio}:1 limit (a zip bomb?)"
    return None


class ZipTree(Tree):
    """A zip archive read in place; ``label`` names it in error messages."""

    def __init__(
        self,
        source: Path | BinaryIO,
        label: str,
        limits: Limits = DEFAULT_LIMITS,
        budget: Budget | None = None,
    ) -> None:
        self.label = label
        self.rejected = []
        self.refused = {}
        budget = budget or Budget(limits)
        try:
            self._source = PreadFile(source) if isinstance(source, Path) else source
        except OSError as exc:
            raise BundleError(f"{label}: cannot read ({exc.strerror or exc})") from None
        try:
            # Checked against what the bundle has left before the directory is parsed:
            # parsing is what takes the time and the memory.
            entries, directory = _directory_size(self._source)
            why = budget.over_entries(entries)
            if why is None and directory > budget.entries_left() * 4096:
                why = budget.over_entries(directory // 4096)
            if why is not None:
                raise BundleError(f"{label}: {why}")
            self._zip = zipfile.ZipFile(self._source)
            infos = self._zip.infolist()
        except BundleError:
            self._source.close()
            raise
        except (
            zipfile.BadZipFile,
            zipfile.LargeZipFile,
            OSError,
            EOFError,
            ValueError,
            struct.error,
        ) as exc:
            self._source.close()
            raise BundleError(f"{label}: not a readable zip archive ({exc})") from None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            if info.is_dir():
                continue
            name = safe_member_name(info.filename)
            # Symbolic links stored in zips (Unix mode bits) are refused like unsafe names.
            if name is None or stat.S_ISLNK(info.external_attr >> 16):
                self.rejected.append(printable(info.filename))
                continue
            self._infos[name] = info
            total += info.file_size
            why = _unreadable(info, limits)
            if why is not None:
                self.refused[name] = why
        why = budget.charge(len(infos), total)
        if why is not None:
            self.close()
            raise BundleError(f"{label}: {why}")
        self._infos = dict(sorted(self._infos.items()))

    def files(self) -> list[str]:
        return list(self._infos)

    def _open(self, path: str) -> BinaryIO:
        return self._zip.open(self._infos[path])

    def size(self, path: str) -> int:
        return self._infos[path].file_size

    def close(self) -> None:
        self._zip.close()
        self._source.close()


class _OwnPosition(io.RawIOBase):
    """A read-only, seekable file that keeps its position itself; see PreadFile."""

    _size = 0
    _pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        base = {os.SEEK_SET: 0, os.SEEK_CUR: self._pos, os.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos


class PreadFile(_OwnPosition):
    """A file whose reads go through ``os.pread`` at its own position, leaving the
    descriptor's shared offset alone: processes forked to scan logs inherit the open
    archives, and reads in one must not move the others' place in the file."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        self._size = os.fstat(self._fd).st_size

    def read(self, size: int = -1) -> bytes:
        # zipfile reads with read(n): one pread, where RawIOBase would copy twice
        if size < 0:
            size = max(self._size - self._pos, 0)
        data = _pread(self._fd, size, self._pos)
        self._pos += len(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            os.close(self._fd)
        super().close()


def _pread(fd: int, size: int, offset: int) -> bytes:
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - Windows: no fork there either
    return os.read(fd, size)  # pragma: no cover


class ConcatFile(_OwnPosition):
    """Several files read as one, for bundles split byte-wise into parts (.001, .002 ...)."""

    def __init__(self, parts: list[Path]) -> None:
        super().__init__()
        self._parts = parts
        self._sizes = [p.stat().st_size for p in parts]
        self._starts = [sum(self._sizes[:i]) for i in range(len(parts))]
        self._size = sum(self._sizes)
        self._fds: dict[int, int] = {}

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        # Fill the buffer across part boundaries: zipfile reads records that straddle them.
        done = 0
        while done < len(buffer) and self._pos < self._size:
            index = max(i for i, start in enumerate(self._starts) if start <= self._pos)
            fd = self._fds.get(index)
            if fd is None:
                fd = self._fds[index] = os.open(self._parts[index], os.O_RDONLY)
            offset = self._pos - self._starts[index]
            want = min(len(buffer) - done, self._sizes[index] - offset)
            data = _pread(fd, want, offset)
            if not data:
                break
            buffer[done : done + len(data)] = data
            done += len(data)
            self._pos += len(data)
        return done

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds.clear()
        super().close()


def spool(stream: BinaryIO, workdir: Path, suffix: str = ".zip") -> PreadFile:
    """A seekable copy of ``stream`` in the private folder (not in memory: node zips add up
    to the size of the logs, and memory must not grow with that)."""
    try:
        fd, name = tempfile.mkstemp(dir=workdir, suffix=suffix)
        with os.fdopen(fd, "wb") as copy:
            shutil.copyfileobj(stream, copy, _COPY_CHUNK)
    except OSError as exc:
        if exc.errno in WRITE_ERRNOS:  # TMPDIR full: not a problem of this node zip
            raise work_area_error(exc) from None
        raise
    return PreadFile(Path(name))


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


def is_zip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) in (b"PK\x03\x04", b"PK\x05\x06")


def is_complete_zip(path: Path) -> bool:
    """Whether ``path`` is a zip with its end record in place (not a byte-split first part)."""
    try:
        with open(path, "rb") as handle:
            _directory_size(handle)
    except (zipfile.BadZipFile, OSError, struct.error):
        return False
    return True


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
