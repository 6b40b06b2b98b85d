"""A tar archive inside a node zip (supportconfig's ``scc/*.txz``), read in place.

The archive is never copied out or unpacked: it is streamed from the node zip (or the node
folder) through the decompressor each time, once to list it and once per member read. A tar
cannot be read at random, so reading a member decompresses what comes before it; what that
may cost is bounded before it is spent:

- every member's declared size is charged to the bundle's ``Budget`` when the archive is
  listed, with one entry each, as node zips are;
- the declared sizes together may not pass ``Limits.max_ratio`` times the compressed size
  (past 1 MiB), nor one member ``Limits.max_file_size``: an xz bomb is refused from its
  headers, before its data is inflated;
- the decompressed stream is counted too, so headers that lie (a pax or long-name header
  of gigabytes, which tarfile reads into memory) end at the same bound, and extended
  headers over 1 MiB are refused outright;
- depth: archives inside it are files like any other, never opened.
"""

from __future__ import annotations

import io
import lzma
import tarfile
from collections.abc import Callable
from typing import Any, BinaryIO

from analyzer.bundle.archive import Tree, name_problem, safe_member_name
from analyzer.bundle.limits import Budget, Limits, size_text
from analyzer.errors import BundleError, printable

_MIB = 1024 * 1024
#: the names of the archives read this way: supportconfig writes ``scc_<name>.txz``
NESTED_TAR_SUFFIXES = (".txz", ".tar.xz")
#: pax, GNU long-name and Solaris extended headers are read into memory whole
_EXTENDED = {tarfile.XHDTYPE, tarfile.XGLTYPE, tarfile.SOLARIS_XHDTYPE}
_EXTENDED |= {tarfile.GNUTYPE_LONGNAME, tarfile.GNUTYPE_LONGLINK}
_TAR_ERRORS = (tarfile.TarError, lzma.LZMAError, EOFError, OSError, ValueError)


def is_nested_tar(path: str) -> bool:
    return path.endswith(NESTED_TAR_SUFFIXES)


class _TarInfo(tarfile.TarInfo):
    """Refuses an extended header too large to be honest before tarfile reads it whole."""

    def _proc_member(self, tar: tarfile.TarFile) -> Any:
        if self.type in _EXTENDED and self.size > _MIB:
            raise tarfile.HeaderError(f"extended header of {size_text(self.size)}")
        return super()._proc_member(tar)  # type: ignore[misc]


class _Capped(io.RawIOBase):
    """The decompressed stream, which may yield at most ``cap`` bytes."""

    def __init__(self, stream: BinaryIO, cap: int, label: str) -> None:
        super().__init__()
        self._stream, self._cap, self._label, self.count = stream, cap, label, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._cap - self.count + 1)
        data = self._stream.read(want)
        self.count += len(data)
        if self.count > self._cap:
            raise BundleError(
                f"{self._label}: inflates past {size_text(self._cap)}, over the limits "
                "(an xz bomb?)"
            )
        buffer[: len(data)] = data
        return len(data)


class NestedTar(Tree):
    """The regular files of a tar.xz read through ``opener`` (a fresh stream of the
    compressed archive each call), ``packed`` bytes long; ``label`` names it in messages."""

    def __init__(
        self,
        opener: Callable[[], BinaryIO],
        packed: int,
        label: str,
        limits: Limits,
        budget: Budget,
    ) -> None:
        self._opener, self._label, self._limits = opener, label, limits
        self.rejected: list[str] = []
        self.refused: dict[str, str] = {}
        self._sizes: dict[str, int] = {}
        #: member -> its place in the archive (1 is the first entry)
        self._order: dict[str, int] = {}
        #: the pass of the last member read, kept to read a later one without starting over
        self._cursor: _Cursor | None = None
        # Honest text compresses well under max_ratio; 1 MiB covers a tiny archive's padding.
        self._cap = max(packed * limits.max_ratio, _MIB)
        self._cap = min(self._cap, limits.max_file_size, max(budget.size_left(), 0))
        entries = declared = 0
        try:
            with self._tar() as (tar, _):
                for member in tar:
                    entries += 1
                    if entries > budget.entries_left():
                        raise BundleError(f"{label}: {budget.over_entries(entries)}")
                    name = self._kept(member)
                    if name is None:
                        continue
                    declared += member.size
                    if declared > self._cap:
                        raise BundleError(
                            f"{label}: its members declare {size_text(declared)} from a "
                            f"{size_text(packed)} archive, over the limits (an xz bomb?)"
                        )
                    self._sizes[name] = member.size
                    self._order[name] = entries
        except _TAR_ERRORS as exc:
            raise BundleError(f"{label}: not a readable tar.xz archive ({exc})") from None
        why = budget.charge(entries, declared)
        if why is not None:
            raise BundleError(f"{label}: {why}")
        self._sizes = dict(sorted(self._sizes.items()))

    def _tar(self) -> _Opened:
        return _Opened(self._opener, self._cap, self._label)

    def _kept(self, member: tarfile.TarInfo) -> str | None:
        name = safe_member_name(member.name)
        if not member.isfile() or name is None:
            if not member.isdir():
                self.rejected.append(printable(member.name))
            return None
        if name_problem(name) is not None or name in self._sizes:
            self.rejected.append(printable(member.name))
            return None
        if member.size > self._limits.max_file_size:
            self.refused[name] = f"{size_text(member.size)}, over the file limit"
        return name

    def files(self) -> list[str]:
        return list(self._sizes)

    def size(self, path: str) -> int:
        return self._sizes[path]

    def position(self, path: str) -> int:
        """Where ``path`` is in the archive: reading members in this order costs one pass."""
        return self._order[path]

    def _open(self, path: str) -> BinaryIO:
        want = self._order[path]
        cursor = self._cursor
        # A later member than the last one read continues that pass; else one starts over.
        if cursor is None or cursor.busy or cursor.closed or cursor.at >= want:
            if cursor is not None and not cursor.busy:
                cursor.close()
            cursor = _Cursor(_Opened(self._opener, self._cap, self._label), self)
        try:
            data = cursor.seek(want, path)
        except _TAR_ERRORS as exc:
            cursor.close()
            raise BundleError(f"{self._label}: cannot read {path} ({exc})") from None
        except BaseException:
            cursor.close()
            raise
        self._cursor = cursor
        return io.BufferedReader(_Member(data, cursor))  # type: ignore[return-value]

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None


class _Cursor:
    """One pass over the archive, at its ``at``-th entry; ``busy`` while a member is read."""

    def __init__(self, opened: _Opened, owner: NestedTar) -> None:
        self.opened, self.owner, self.at = opened, owner, 0
        self.busy = self.closed = False
        self.tar, _ = opened.__enter__()

    def seek(self, want: int, path: str) -> BinaryIO:
        while self.at < want:
            member = self.tar.next()
            if member is None:
                break
            self.at += 1
            if self.at == want and safe_member_name(member.name) == path and member.isfile():
                data = self.tar.extractfile(member)
                assert data is not None  # a regular file always has data
                self.busy = True
                return data
        raise BundleError(f"{self.opened._label}: {path} is no longer in the archive")

    def release(self) -> None:
        """Its member was closed: kept for the next member, unless another pass replaced it."""
        self.busy = False
        if self.owner._cursor is not self:
            self.close()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self.opened.__exit__(None, None, None)


class _Opened:
    """One pass over the archive: the compressed stream, its decompressor and the tar."""

    def __init__(self, opener: Callable[[], BinaryIO], cap: int, label: str) -> None:
        self._opener, self._cap, self._label = opener, cap, label
        self._parts: list[Any] = []

    def __enter__(self) -> tuple[tarfile.TarFile, _Capped]:
        try:
            raw = self._opener()
            self._parts.append(raw)
            inflated = lzma.LZMAFile(raw, "rb")
            self._parts.append(inflated)
            capped = _Capped(inflated, self._cap, self._label)  # type: ignore[arg-type]
            stream = io.BufferedReader(capped, 256 * 1024)
            self._parts.append(stream)
            tar = tarfile.open(fileobj=stream, mode="r|", tarinfo=_TarInfo)
            self._parts.append(tar)
        except BaseException:
            self.__exit__()
            raise
        return tar, capped

    def __exit__(self, *exc: object) -> None:
        for part in reversed(self._parts):
            part.close()
        self._parts.clear()


class _Member(io.RawIOBase):
    """A member's data; closing it frees its pass for a later member."""

    def __init__(self, data: BinaryIO, cursor: _Cursor) -> None:
        super().__init__()
        self._data, self._cursor = data, cursor

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        try:
            chunk = self._data.read(len(buffer))
        except _TAR_ERRORS as exc:
            self._cursor.close()
            raise BundleError(f"{self._cursor.opened._label}: cannot read on ({exc})") from None
        buffer[: len(chunk)] = chunk
        return len(chunk)

    def close(self) -> None:
        if not self.closed:
            self._cursor.release()
        super().close()


def nested_tar(
    path: str,
    opener: Callable[[str], BinaryIO],
    size: Callable[[str], int],
    limits: Limits,
    budget: Budget,
) -> Tree | BundleError | None:
    """The archive at ``path`` read in place if it is a tar.xz in the bundle or in a node
    zip (``opener``/``size`` read bundle paths); why not, for a deeper archive; None for a
    node zip (which is the caller's to open)."""
    depth = path.count("!/")
    if not is_nested_tar(path):
        # A zip inside a node zip or inside a tar.xz would be a third level: never opened.
        return (
            BundleError(f"{path}: archives deeper than a node zip are not opened")
            if depth
            else None
        )
    if depth > 1:
        return BundleError(f"{path}: archives deeper than a node zip's tar.xz are not opened")
    try:
        return NestedTar(lambda: opener(path), size(path), path, limits, budget)
    except KeyError:
        return BundleError(f"{path}: no such file")
    except BundleError as exc:
        return exc
