"""Writing a report (or the rule reference) to the file the user named, safely.

The file is written whole or not at all: the text goes to a new temporary file in the target
folder (created exclusively, so nothing already there is opened), is flushed to disk, and
then renamed over the target in one step. A full disk, a file-size limit or an interruption
leaves the previous report as it was and no temporary file behind. A target that is a
symbolic link is refused: ``-o report.md`` pointing at ``~/.bashrc`` must not overwrite it.
A target that exists and is no regular file (``/dev/null``, a FIFO) is written in place,
since it cannot be replaced by renaming.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from analyzer.errors import AnalyzerError

_ATTEMPTS = 16  # temporary names tried before giving up (each has 64 random bits)
# Not on every platform; where missing, the lstat check alone refuses a link.
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically; AnalyzerError (one line) on failure."""
    try:
        mode = os.lstat(target).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise AnalyzerError(f"cannot write {target}: {exc.strerror or exc}") from None
    if mode is not None and stat.S_ISLNK(mode):
        raise AnalyzerError(f"cannot write {target}: it is a symbolic link (refused)")
    try:
        if mode is not None and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
            _write_in_place(target, data)
        else:
            _replace(target, data)
    except OSError as exc:
        raise AnalyzerError(f"cannot write {target}: {exc.strerror or exc}") from None


def _write_in_place(target: Path, data: bytes) -> None:
    # O_NOFOLLOW: if the device was swapped for a link since lstat, fail instead of following.
    fd = os.open(target, os.O_WRONLY | os.O_TRUNC | _NOFOLLOW)
    try:
        _write_all(fd, data)
    finally:
        os.close(fd)


def _replace(target: Path, data: bytes) -> None:
    folder = target.parent
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW
    for _ in range(_ATTEMPTS):
        temporary = folder / f".{target.name}.{secrets.token_hex(8)}.tmp"
        try:
            # 0o666 less the umask: the permissions a report written directly would get.
            fd = os.open(temporary, flags, 0o666)
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(f"no free temporary name in {folder}")
    try:
        try:
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        # rename() replaces the name: a link swapped in since lstat is replaced, not followed.
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_folder(folder)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _sync_folder(folder: Path) -> None:
    # The rename is durable once the folder is synced; where a folder cannot be opened or
    # synced (some file systems, other platforms) the report is written all the same.
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
