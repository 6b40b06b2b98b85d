"""A bundle unpacked on disk, read without following links, whatever happens to it meanwhile.

A folder can change between the walk that lists it and the reads that come later (the
rules, then the context lines of the report): a file or a folder on the way to it can be
swapped for a symbolic link to a host file, or for a FIFO that would block a read forever.
Checking once at the walk is not enough, so every open goes down from the bundle's root
folder one component at a time, relative to the folder before it (``dir_fd``), with
``O_NOFOLLOW`` at each step and ``O_NONBLOCK`` at the last; what it reaches must be a
regular file. The walk goes the same way, iteratively (deep folders cannot exhaust the
stack) and only ``MAX_DEPTH`` folders down, so path lengths never reach the system's limits.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import BinaryIO

from analyzer.bundle.archive import MAX_DEPTH, Tree, name_problem, rejected_name
from analyzer.bundle.limits import DEFAULT_LIMITS, Budget, Limits, size_text
from analyzer.errors import BundleError, printable

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
# O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, that is forever.
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | getattr(os, "O_NONBLOCK", 0) | _CLOEXEC
_SAFE_OPEN = bool(_NOFOLLOW) and os.open in os.supports_dir_fd


def _refusal(path: str, exc: OSError) -> BundleError:
    if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
        why = "a symbolic link or a non-folder on its way, not followed (changed since listed?)"
    elif exc.errno == errno.ENOENT:
        why = "gone since the bundle was listed"
    else:
        why = f"cannot read ({exc.strerror or exc})"
    return BundleError(f"{path}: {why}")


def open_beneath(root_fd: int, path: str, directory: bool = False) -> int:
    """A descriptor for ``path`` (relative, ``/``-separated) under the folder ``root_fd``,
    reached without following any symbolic link; a regular file unless ``directory``."""
    fd = root_fd
    parts = path.split("/") if path else []
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = _DIR_FLAGS if directory or not last else _FILE_FLAGS
            try:
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                raise _refusal(path, exc) from None
            if fd != root_fd:
                os.close(fd)
            fd = child
        if fd == root_fd:
            return os.dup(root_fd)
        info = os.fstat(fd)
        wanted = stat.S_ISDIR if directory else stat.S_ISREG
        if not wanted(info.st_mode):
            raise BundleError(f"{path}: not a regular file any more, not read")
        opened, fd = fd, root_fd  # handed over: not closed below
        return opened
    finally:
        if fd != root_fd:
            os.close(fd)


class DirTree(Tree):
    """An unpacked bundle on disk. Symbolic links are never followed, so none leads outside;
    files whose names are not UTF-8, and folders deeper than ``MAX_DEPTH``, are listed as
    rejected rather than read."""

    def __init__(
        self, root: Path, limits: Limits = DEFAULT_LIMITS, budget: Budget | None = None
    ) -> None:
        self.root = root
        self.limits = limits
        self.rejected = []
        self.refused = {}
        budget = budget or Budget(limits)
        try:
            self._root_fd = os.open(root, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _CLOEXEC)
        except OSError as exc:
            raise BundleError(f"{root}: cannot read ({exc.strerror or exc})") from None
        try:
            found = self._walk(budget)
        except BaseException:
            self.close()
            raise
        self._sizes = dict(sorted(found.items()))

    def _walk(self, budget: Budget) -> dict[str, int]:
        found: dict[str, int] = {}
        seen = total = 0
        stack = [""]
        while stack:
            folder = stack.pop()
            for entry in self._list(folder):
                seen += 1
                # Every entry counts, folders too: a tree of millions of empty folders
                # would otherwise be walked to its end.
                if seen > self.limits.max_entries:
                    raise BundleError(
                        f"{self.root}: more than {self.limits.max_entries} files, over the limit"
                    )
                rel = f"{folder}/{entry.name}" if folder else entry.name
                problem = name_problem(rel)
                if problem is not None:
                    self.rejected.append(rejected_name(rel, problem))
                    continue
                if entry.is_dir(follow_symlinks=False):
                    if rel.count("/") + 1 >= MAX_DEPTH:
                        self.rejected.append(
                            rejected_name(rel + "/", f"deeper than {MAX_DEPTH} folders")
                        )
                    else:
                        stack.append(rel)
                    continue
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISREG(info.st_mode):
                    self.rejected.append(printable(rel))
                    continue
                found[rel] = info.st_size
                total += info.st_size
                if info.st_size > self.limits.max_file_size:
                    self.refused[rel] = self._too_large(info.st_size)
        why = budget.charge(len(found), total)
        if why is not None:
            raise BundleError(f"{self.root}: {why}")
        return found

    def _list(self, folder: str) -> list[os.DirEntry[str]]:
        if not _SAFE_OPEN:  # pragma: no cover - no O_NOFOLLOW/dir_fd (Windows)
            with os.scandir(self.root / folder) as entries:
                return sorted(entries, key=lambda e: e.name)
        fd = open_beneath(self._root_fd, folder, directory=True)
        try:
            # DirEntry.stat() is an fstatat on this descriptor: keep it open while used.
            with os.scandir(fd) as entries:
                listed = sorted(entries, key=lambda e: e.name)
            for entry in listed:
                if not entry.is_dir(follow_symlinks=False):
                    entry.stat(follow_symlinks=False)  # cached on the entry
            return listed
        finally:
            os.close(fd)

    def _too_large(self, size: int) -> str:
        return f"{size_text(size)}, over the {size_text(self.limits.max_file_size)} file limit"

    def files(self) -> list[str]:
        return list(self._sizes)

    def _open(self, path: str) -> BinaryIO:
        if path not in self._sizes:
            raise KeyError(path)
        if not _SAFE_OPEN:  # pragma: no cover - no O_NOFOLLOW/dir_fd (Windows)
            full = self.root / path
            if not stat.S_ISREG(os.lstat(full).st_mode):
                raise BundleError(f"{path}: not a regular file any more, not read")
            return open(full, "rb")
        fd = open_beneath(self._root_fd, path)
        size = os.fstat(fd).st_size
        if size > self.limits.max_file_size:  # it grew since the walk
            os.close(fd)
            raise BundleError(f"{path}: refused: {self._too_large(size)}")
        return os.fdopen(fd, "rb")

    def size(self, path: str) -> int:
        return self._sizes[path]

    def close(self) -> None:
        fd, self._root_fd = getattr(self, "_root_fd", -1), -1
        if fd >= 0:
            os.close(fd)
