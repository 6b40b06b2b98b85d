"""Read-only file trees over the forms a bundle arrives in: a directory, a zip, a tar.gz.

Bundles come from broken clusters, partial uploads and, now and then, from someone curious
what a crafted file does. So:

- Nothing is written outside a private temporary folder. Zips (and the node zips nested in
  them) are read in place; a nested zip is copied to the private folder so it can be
  seeked. A tar.gz cannot be read at random: its regular files, and only those, are
  extracted into the private folder under names checked to stay inside it.
- Entry names that could escape the root (``..``, absolute paths), links and devices are
  refused. Nested archives are opened only for node zips (``nodes/<node>.zip``, depth 2);
  archives inside those are never opened.
- ``Limits`` bound what an archive may claim. An archive over the entry count or total size
  is refused as a whole; a single entry too large, or compressed suspiciously well (a zip
  bomb), is refused alone: it stays listed, and opening it raises a BundleError saying why,
  so the rules that need it are skipped naming it while the others run.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import os
import shutil
import stat
import struct
import tarfile
import tempfile
import zipfile
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from analyzer.errors import WRITE_ERRNOS, BundleError, work_area_error

_COPY_CHUNK = 1024 * 1024
_MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What one archive may claim. The defaults are far above real bundles: a 16-node
    bundle holds a few thousand files, its logs are cut at 10 MB, its largest YAML dump is tens
    of MB, and text compresses 5 to 50 times."""

    max_entries: int = 200_000
    max_file_size: int = 1024 * _MIB
    max_total_size: int = 64 * 1024 * _MIB
    #: uncompressed/compressed, for entries of more than 1 MiB
    max_ratio: int = 200
    #: YAML larger than this is not parsed: objects take 3-4 times the text in memory (up to
    #: 9 times for crafted files of tiny scalars), so this bounds a parse below 1 GB
    max_parse_size: int = 96 * _MIB


DEFAULT_LIMITS = Limits()


def _size(n: int) -> str:
    return f"{n / _MIB:.0f} MiB" if n < 1024 * _MIB else f"{n / 1024 / _MIB:.1f} GiB"


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


class DirTree(Tree):
    """An unpacked bundle on disk. Symbolic links are not followed, so none leads outside."""

    def __init__(self, root: Path, limits: Limits = DEFAULT_LIMITS) -> None:
        self.root = root
        self.rejected = []
        self.refused = {}
        found: dict[str, int] = {}
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            dirnames.sort()
            for filename in filenames:
                full = os.path.join(dirpath, filename)
                info = os.lstat(full)
                rel = Path(full).relative_to(root).as_posix()
                if not stat.S_ISREG(info.st_mode):
                    self.rejected.append(rel)
                    continue
                if len(found) >= limits.max_entries:
                    raise BundleError(
                        f"{root}: more than {limits.max_entries} files, over the limit"
                    )
                found[rel] = info.st_size
                if info.st_size > limits.max_file_size:
                    self.refused[rel] = (
                        f"{_size(info.st_size)}, over the {_size(limits.max_file_size)} file limit"
                    )
        self._sizes = dict(sorted(found.items()))

    def files(self) -> list[str]:
        return list(self._sizes)

    def _open(self, path: str) -> BinaryIO:
        if path not in self._sizes:
            raise KeyError(path)
        return open(self.root / path, "rb")

    def size(self, path: str) -> int:
        return self._sizes[path]


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


class ZipTree(Tree):
    """A zip archive read in place; ``label`` names it in error messages."""

    def __init__(
        self, source: Path | BinaryIO, label: str, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        self.label = label
        self.rejected = []
        self.refused = {}
        try:
            self._source = PreadFile(source) if isinstance(source, Path) else source
        except OSError as exc:
            raise BundleError(f"{label}: cannot read ({exc.strerror or exc})") from None
        try:
            entries, directory = _directory_size(self._source)
            if entries > limits.max_entries or directory > limits.max_entries * 4096:
                raise BundleError(
                    f"{label}: holds {entries} entries, over the limit of {limits.max_entries}"
                )
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
                self.rejected.append(info.filename)
                continue
            self._infos[name] = info
            total += info.file_size
            # zipfile stops a member at its declared size, so declared sizes bound the output.
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.max_file_size:
                self.refused[name] = (
                    f"{_size(info.file_size)}, over the {_size(limits.max_file_size)} file limit"
                )
            elif info.file_size > _MIB and ratio > limits.max_ratio:
                self.refused[name] = (
                    f"compressed {ratio:.0f}:1, over the {limits.max_ratio}:1 limit (a zip bomb?)"
                )
        if total > limits.max_total_size:
            self.close()
            raise BundleError(
                f"{label}: unpacks to {_size(total)}, over the {_size(limits.max_total_size)} limit"
            )
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


class TarTree(DirTree):
    """A tar archive whose regular files are extracted into ``workdir`` (a private folder)."""

    def __init__(
        self, path: Path, workdir: Path, label: str, limits: Limits = DEFAULT_LIMITS
    ) -> None:
        rejected: list[str] = []
        refused: dict[str, str] = {}
        packed = max(path.stat().st_size, 1)
        total = entries = 0
        try:
            # Stream mode reads the archive once, front to back; the decompression is ours
            # so that a stream cut short is noticed (tarfile would end quietly at a member
            # boundary and leave a partial bundle).
            with _decompressed(path) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    entries += 1
                    if entries > limits.max_entries:
                        raise BundleError(
                            f"{label}: more than {limits.max_entries} entries, over the limit"
                        )
                    name = safe_member_name(member.name)
                    if not member.isfile() or name is None:
                        # Links, devices and FIFOs are never materialised: a link could
                        # point at a host file that a later read would then disclose.
                        if not member.isdir():
                            rejected.append(member.name)
                        continue
                    if member.size > limits.max_file_size:
                        refused[name] = (
                            f"{_size(member.size)}, over the "
                            f"{_size(limits.max_file_size)} file limit"
                        )
                        continue
                    total += member.size
                    if total > limits.max_total_size or (
                        total > 1024 * _MIB and total > limits.max_ratio * packed
                    ):
                        raise BundleError(
                            f"{label}: unpacking {member.name} would take {_size(total)} from a "
                            f"{_size(packed)} archive, over the limits"
                        )
                    target = workdir / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    source = tar.extractfile(member)
                    if source is None:
                        continue
                    with source, open(target, "wb") as out:
                        shutil.copyfileobj(source, out, _COPY_CHUNK)
                _check_tar_end(path, stream)
        except (tarfile.TarError, OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:  # TMPDIR full
                raise work_area_error(exc) from None
            raise BundleError(f"{label}: not a readable tar archive ({exc})") from None
        super().__init__(workdir, limits)
        self.rejected = rejected + self.rejected
        for name, why in refused.items():
            self.refused[name] = why
            self._sizes[name] = 0
        self._sizes = dict(sorted(self._sizes.items()))


def _decompressed(path: Path) -> BinaryIO:
    """The tar stream inside ``path``, decompressed by the library its magic number names."""
    with open(path, "rb") as handle:
        head = handle.read(6)
    if head[:2] == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    if head[:3] == b"BZh":
        return bz2.open(path, "rb")  # type: ignore[return-value]
    if head == b"\xfd7zXZ\x00":
        return lzma.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _check_tar_end(path: Path, stream: BinaryIO) -> None:
    """Raise if the archive was cut short after its last whole member."""
    if isinstance(stream, (gzip.GzipFile, bz2.BZ2File, lzma.LZMAFile)):
        # Reading on to the end checks the compressor's end marker (and, for gzip, the CRC):
        # a truncated stream raises EOFError here.
        while stream.read(_COPY_CHUNK):
            pass
        return
    with open(path, "rb") as handle:
        handle.seek(max(path.stat().st_size - 1024, 0))
        if handle.read(1024) != bytes(1024):
            raise tarfile.ReadError("no end-of-archive blocks: truncated")


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


def spool(stream: BinaryIO, workdir: Path) -> PreadFile:
    """A seekable copy of ``stream`` in the private folder (not in memory: node zips add up
    to the size of the logs, and memory must not grow with that)."""
    try:
        fd, name = tempfile.mkstemp(dir=workdir, suffix=".zip")
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
