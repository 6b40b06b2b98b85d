"""A support bundle as one virtual tree, whatever form it came in.

Paths are relative to the bundle root (the folder holding ``metadata.yaml``). A file inside a
node zip is addressed through the zip: ``nodes/node1.zip!/node1/logs/kubelet.log``; a node zip
somebody already unpacked is simply ``nodes/node1/logs/kubelet.log``. Reports cite these paths.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
import zlib
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from analyzer.bundle.archive import DirTree, TarTree, Tree, ZipTree, is_tar, is_zip, spool
from analyzer.errors import BundleError

NESTED = "!/"
_MARKERS = ("metadata.yaml", "yamls")


def _find_root(files: list[str]) -> str | None:
    """The prefix of the bundle root: "" or "<folder>/" (zips hold one root folder)."""
    candidates = []
    for path in files:
        parts = path.split("/")
        for depth in (0, 1):
            if len(parts) > depth and parts[depth] in _MARKERS:
                if parts[depth] == "metadata.yaml" and len(parts) != depth + 1:
                    continue
                candidates.append((depth, "/".join(parts[:depth])))
                break
    if not candidates:
        return None
    depth, prefix = min(candidates)
    return prefix + "/" if prefix else ""


class Bundle:
    """An open support bundle; use it as a context manager so private files are removed."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._workdir: Path | None = None
        self._nested: dict[str, Tree] = {}
        if not self.path.exists():
            raise BundleError(f"{self.path}: no such file or directory")
        try:
            self._tree = self._open_tree()
        except BaseException:
            self.close()
            raise
        prefix = _find_root(self._tree.files())
        if prefix is None:
            self.close()
            raise BundleError(
                f"{self.path}: not a Harvester support bundle (no metadata.yaml or yamls/ folder)"
            )
        self._prefix = prefix
        self._files = [f[len(prefix) :] for f in self._tree.files() if f.startswith(prefix)]
        self._file_set = set(self._files)

    def _open_tree(self) -> Tree:
        if self.path.is_dir():
            return DirTree(self.path)
        try:
            if self.path.stat().st_size == 0:
                raise BundleError(f"{self.path}: empty file, not a zip or tar archive")
            if is_zip(self.path):
                return ZipTree(self.path, str(self.path))
            if is_tar(self.path):
                return TarTree(self.path, self.workdir / "unpacked", str(self.path))
        except OSError as exc:
            raise BundleError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        raise BundleError(f"{self.path}: not a zip or tar archive")

    # -- the private work area -------------------------------------------------------------
    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            self._workdir = Path(tempfile.mkdtemp(prefix="bundle-analyzer-"))
        return self._workdir

    def close(self) -> None:
        for tree in self._nested.values():
            tree.close()
        self._nested.clear()
        if getattr(self, "_tree", None) is not None:
            self._tree.close()
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def __enter__(self) -> Bundle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- identity ---------------------------------------------------------------------------
    @property
    def name(self) -> str:
        """The bundle's file or folder name, without the local directory it sits in."""
        return self.path.name

    @cached_property
    def sha256(self) -> str:
        """The archive's sha256; for a directory, that of a sorted (path, content) manifest."""
        digest = hashlib.sha256()
        if self.path.is_file():
            with open(self.path, "rb") as handle:
                for block in iter(lambda: handle.read(1024 * 1024), b""):
                    digest.update(block)
            return digest.hexdigest()
        for rel in self._tree.files():
            content = hashlib.sha256()
            with self._tree.open(rel) as handle:
                for block in iter(lambda h=handle: h.read(1024 * 1024), b""):
                    content.update(block)
            digest.update(f"{rel}\0{content.hexdigest()}\n".encode())
        return digest.hexdigest()

    @property
    def rejected(self) -> list[str]:
        """Entries skipped because they were links or had unsafe names."""
        found = list(self._tree.rejected)
        for outer, tree in sorted(self._nested.items()):
            found += [f"{outer}{NESTED}{name}" for name in tree.rejected]
        return found

    # -- files ------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every file of the outer tree, relative to the bundle root, sorted."""
        return self._files

    def exists(self, path: str) -> bool:
        if NESTED in path:
            outer, inner = path.split(NESTED, 1)
            return outer in self._file_set and inner in self.nested(outer).files()
        return path in self._file_set

    def open(self, path: str) -> BinaryIO:
        """A binary stream of ``path``; KeyError if absent, BundleError if unreadable."""
        if NESTED in path:
            outer, inner = path.split(NESTED, 1)
            return self.nested(outer).open(inner)
        if path not in self._file_set:
            raise KeyError(path)
        return self._tree.open(self._prefix + path)

    def size(self, path: str) -> int:
        if NESTED in path:
            outer, inner = path.split(NESTED, 1)
            return self.nested(outer).size(inner)
        return self._tree.size(self._prefix + path)

    def nested(self, path: str) -> Tree:
        """The zip at ``path`` (e.g. a node zip), opened once and kept for the run."""
        tree = self._nested.get(path)
        if tree is None:
            try:
                with self.open(path) as stream:
                    copy = spool(stream, self.workdir)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
                raise BundleError(f"{path}: cannot read ({exc})") from None
            tree = ZipTree(copy, path)
            self._nested[path] = tree
        return tree


def open_bundle(path: Path | str) -> Bundle:
    """Open a bundle: an unpacked folder, a ``.zip`` or a ``.tar.gz``."""
    return Bundle(path)
