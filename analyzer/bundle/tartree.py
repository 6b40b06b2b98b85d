"""A tar archive (plain, gzip, bzip2 or xz), unpacked into the bundle's private folder.

A tar cannot be read at random, so its regular files, and only those, are extracted, under
names checked to stay inside the folder. Each member is weighed before a byte of it is
written (its declared size against the file limit and what the bundle has left), and again
while it is written: the compressed bytes it took are counted, so a member that inflates
more than ``Limits.max_ratio`` times (a tar bomb) is stopped after a few MiB, not after a
gigabyte has landed in the temporary folder.
"""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import tarfile
from pathlib import Path
from typing import BinaryIO

from analyzer.bundle.archive import name_problem, rejected_name, safe_member_name
from analyzer.bundle.dirtree import DirTree
from analyzer.bundle.limits import DEFAULT_LIMITS, Budget, Limits, size_text
from analyzer.errors import WRITE_ERRNOS, BundleError, printable, work_area_error

_COPY_CHUNK = 1024 * 1024
_MIB = 1024 * 1024
#: compressed bytes a decompressor may have read ahead, and so be counted for the member
#: before; added to a member's count so that read-ahead never makes honest text look like a bomb
_READ_AHEAD = 64 * 1024


class _Counted(io.RawIOBase):
    """The archive file, counting the compressed bytes read from it."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self._raw = open(path, "rb")  # noqa: SIM115 - closed with this object
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        done = self._raw.readinto(buffer) or 0
        self.count += done
        return done

    def close(self) -> None:
        self._raw.close()
        super().close()


class TarTree(DirTree):
    """A tar archive whose regular files are extracted into ``workdir`` (a private folder)."""

    def __init__(
        self,
        path: Path,
        workdir: Path,
        label: str,
        limits: Limits = DEFAULT_LIMITS,
        budget: Budget | None = None,
    ) -> None:
        self._label, self._limits = label, limits
        self._budget = budget or Budget(limits)
        self._rejected: list[str] = []
        self._refused: dict[str, str] = {}
        packed = max(path.stat().st_size, 1)
        workdir.mkdir(parents=True, exist_ok=True)
        total = entries = 0
        counter = _Counted(path)
        try:
            # Stream mode reads the archive once, front to back; the decompression is ours
            # so that a stream cut short is noticed (tarfile would end quietly at a member
            # boundary and leave a partial bundle).
            with _decompressed(counter) as stream, tarfile.open(fileobj=stream, mode="r|") as tar:
                for member in tar:
                    entries += 1
                    if entries > limits.max_entries:
                        raise BundleError(
                            f"{label}: more than {limits.max_entries} entries, over the limit"
                        )
                    name = self._keep(member)
                    if name is None:
                        continue
                    total += member.size
                    if total > 1024 * _MIB and total > limits.max_ratio * packed:
                        raise BundleError(
                            f"{label}: unpacking {member.name} would take {size_text(total)} "
                            f"from a {size_text(packed)} archive, over the limits"
                        )
                    self._extract(tar, member, workdir, name, counter)
                _check_tar_end(path, stream)
        except (tarfile.TarError, OSError, EOFError, ValueError, lzma.LZMAError) as exc:
            if isinstance(exc, OSError) and exc.errno in WRITE_ERRNOS:  # TMPDIR full
                raise work_area_error(exc) from None
            raise BundleError(f"{label}: not a readable tar archive ({exc})") from None
        finally:
            counter.close()
        # The extracted files were charged to the bundle's budget as they were written.
        super().__init__(workdir, limits, Budget(limits))
        self.rejected = self._rejected + self.rejected
        for name, why in self._refused.items():
            self.refused[name] = why
            self._sizes[name] = 0
        self._sizes = dict(sorted(self._sizes.items()))

    def _keep(self, member: tarfile.TarInfo) -> str | None:
        """The name to extract ``member`` under, or None (then it is listed as rejected or
        refused) if it is not a regular file, has an unsafe or unusable name, or is too large."""
        name = safe_member_name(member.name)
        if not member.isfile() or name is None:
            # Links, devices and FIFOs are never materialised: a link could
            # point at a host file that a later read would then disclose.
            if not member.isdir():
                self._rejected.append(printable(member.name))
            return None
        problem = name_problem(name)
        if problem is not None:
            self._rejected.append(rejected_name(member.name, problem))
            return None
        limit = self._limits.max_file_size
        if member.size > limit:
            self._refused[name] = (
                f"{size_text(member.size)}, over the {size_text(limit)} file limit"
            )
            return None
        # Declared sizes are charged before writing; a header that lies about its size
        # cannot write more, as tarfile stops a member at its declared size.
        why = self._budget.charge(1, member.size)
        if why is not None:
            raise BundleError(f"{self._label}: unpacking {member.name}: {why}")
        return name

    def _extract(
        self,
        tar: tarfile.TarFile,
        member: tarfile.TarInfo,
        workdir: Path,
        name: str,
        counter: _Counted,
    ) -> None:
        source = tar.extractfile(member)
        if source is None:
            return
        target = workdir / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            out = open(target, "wb")  # noqa: SIM115 - closed below, removed if refused
        except (FileExistsError, NotADirectoryError, IsADirectoryError):
            # "a" as a file and "a/b" too: the later one cannot be materialised.
            self._rejected.append(rejected_name(member.name, "conflicts with another entry"))
            return
        start, written, why = counter.count, 0, None
        with source, out:
            while chunk := source.read(_COPY_CHUNK):
                written += len(chunk)
                consumed = counter.count - start + _READ_AHEAD
                if written > _MIB and written > self._limits.max_ratio * consumed:
                    why = (
                        f"compressed more than {self._limits.max_ratio}:1, "
                        "over the limit (a tar bomb?)"
                    )
                    break
                out.write(chunk)
        if why is not None:
            target.unlink()
            self._refused[name] = why


def _decompressed(raw: _Counted) -> BinaryIO:
    """The tar stream in ``raw``, decompressed by the library its magic number names."""
    buffered = io.BufferedReader(raw)
    head = buffered.peek(6)[:6]
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    if head[:3] == b"BZh":
        return bz2.BZ2File(buffered, "rb")  # type: ignore[return-value]
    if head == b"\xfd7zXZ\x00":
        return lzma.LZMAFile(buffered, "rb")  # type: ignore[return-value]
    return buffered  # type: ignore[return-value]


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
