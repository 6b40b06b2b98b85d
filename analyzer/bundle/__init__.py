"""A support bundle as one virtual tree, whatever form it came in.

Paths are relative to the bundle root (the folder holding ``metadata.yaml``). A file inside a
node zip is addressed through the zip: ``nodes/node1.zip!/node1/logs/kubelet.log``; a node zip
somebody already unpacked is simply ``nodes/node1/logs/kubelet.log``. Reports cite these paths.

Bundles split to pass upload limits (``...Z.001.zip``, ``.002.zip`` or ``.1.zip``, ``.2.zip``)
are read together, given the first part or all parts: parts that are zips of their own are
merged, parts cut byte-wise from one zip are read as their concatenation. A missing part is
reported: an error when the archive cannot be read without it, a note when only its files
are absent.

What was given may also hold the bundle rather than be it: a ticket folder (the bundle's zip,
tar.gz or folder beside notes and screenshots) or an outer zip around the bundle's zip. With
exactly one bundle inside, that one is analyzed and a note says so; with several, the error
names them (see ``locate.py``).
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from analyzer.bundle.archive import (
    ConcatFile,
    PreadFile,
    Tree,
    ZipTree,
    is_complete_zip,
    is_tar,
    is_zip,
    spool,
    usable_cores,
)
from analyzer.bundle.dirtree import DirTree
from analyzer.bundle.kinds import is_marker
from analyzer.bundle.limits import DEFAULT_LIMITS, Budget, Limits
from analyzer.bundle.locate import (
    ARCHIVE,
    archives_in_tree,
    bundles_in_folder,
    is_bundle_folder,
    several,
    split_parts,
)
from analyzer.bundle.nestedtar import nested_tar
from analyzer.bundle.tartree import TarTree
from analyzer.errors import BundleError, printable, work_area_error

NESTED = "!/"
_NOT_A_BUNDLE = (
    "not a Harvester support bundle nor one of the other kinds read (Longhorn, troubleshoot.sh, "
    "Rancher logs collector): no metadata.yaml, yamls/, version.yaml, cluster-resources/, "
    "systeminfo/ or journald/"
)


def _find_root(files: list[str]) -> str | None:
    """The prefix of the bundle root: "" or "<folder>/" (zips hold one root folder)."""
    candidates = []
    for path in files:
        parts = path.split("/")
        for depth in (0, 1):
            if is_marker(parts, depth):
                candidates.append((depth, "/".join(parts[:depth])))
                break
    if not candidates:
        return None
    depth, prefix = min(candidates)
    return prefix + "/" if prefix else ""


class MergedTree(Tree):
    """The union of several trees (split parts that are zips of their own); first part wins."""

    def __init__(self, trees: list[Tree]) -> None:
        self._trees = trees
        self._owner: dict[str, Tree] = {}
        for tree in trees:
            for name in tree.files():
                self._owner.setdefault(name, tree)
        self.rejected = [name for tree in trees for name in tree.rejected]
        self.refused = {name: why for tree in trees for name, why in tree.refused.items()}

    def files(self) -> list[str]:
        return sorted(self._owner)

    def _open(self, path: str) -> BinaryIO:
        return self._owner[path].open(path)

    def size(self, path: str) -> int:
        return self._owner[path].size(path)

    def close(self) -> None:
        for tree in self._trees:
            tree.close()


class Bundle:
    """An open support bundle; use it as a context manager so private files are removed."""

    def __init__(
        self, path: Path | str | Sequence[Path | str], limits: Limits = DEFAULT_LIMITS
    ) -> None:
        given = [Path(p) for p in ([path] if isinstance(path, (str, Path)) else path)]
        if not given:
            raise BundleError("no bundle given")
        self.path = given[0]
        self.limits = limits
        self.notes: list[str] = []
        self._workdir: Path | None = None
        self._nested: dict[str, Tree | BundleError] = {}  # a node zip, or why it is unusable
        self._parts: list[Path] = []
        self._name = self.path.name
        # One budget for the bundle and all its node zips: see analyzer/bundle/limits.py.
        self._budget = Budget(limits)
        for candidate in given:
            if not candidate.exists():
                raise BundleError(f"{candidate}: no such file or directory")
        try:
            self._tree = self._open_tree(given)
            prefix = _find_root(self._tree.files())
            if prefix is None and self.path.is_file():
                prefix = self._open_inner()
        except BaseException:
            self.close()
            raise
        if prefix is None:
            self.close()
            raise BundleError(f"{self.path}: {_NOT_A_BUNDLE}")
        self._prefix = prefix
        self._files = [f[len(prefix) :] for f in self._tree.files() if f.startswith(prefix)]
        self._file_set = set(self._files)

    def _open_tree(self, given: list[Path]) -> Tree:
        split = split_parts(given) if self.path.is_file() else None
        if split is not None:
            return self._open_split(*split)
        if self.path.is_dir():
            return self._open_folder()
        return self._open_archive(self.path, str(self.path))

    def _open_archive(self, path: Path, label: str) -> Tree:
        try:
            if path.stat().st_size == 0:
                raise BundleError(f"{label}: empty file, not a zip or tar archive")
            if is_zip(path):
                return ZipTree(path, label, self.limits, self._budget)
            if is_tar(path):
                return TarTree(path, self.workdir / "unpacked", label, self.limits, self._budget)
        except OSError as exc:
            raise BundleError(f"{label}: cannot read ({exc.strerror or exc})") from None
        raise BundleError(f"{label}: not a zip or tar archive")

    def _open_folder(self) -> Tree:
        """The folder given, or the one bundle it holds (a ticket folder: the bundle beside
        notes and screenshots), said in a note. Decided from the folder's top and the tops of
        its subfolders, before anything is walked: a huge folder that is no bundle is
        refused at once."""
        folder = self.path
        if is_bundle_folder(folder):
            return DirTree(folder, self.limits, self._budget)
        found = bundles_in_folder(folder)
        if not found:
            raise BundleError(
                f"{folder}: {_NOT_A_BUNDLE}, nor a folder holding one (a bundle folder, "
                ".zip or .tar.gz)"
            )
        if len(found) > 1:
            raise several(folder, [paths[0].name for paths in found])
        chosen = found[0]
        if chosen[0].is_dir() and len(list(folder.iterdir())) == 1:
            # The folder unzipping a bundle makes, around the bundle's own root folder: read
            # as before, the root found one level down (reports cite the same paths).
            return DirTree(folder, self.limits, self._budget)
        self.notes.append(
            f"{printable(folder.name)} is a folder holding one bundle: analyzed "
            f"{printable(chosen[0].name)}"
        )
        self.path, self._name = chosen[0], chosen[0].name
        if chosen[0].is_dir():
            return DirTree(chosen[0], self.limits, self._budget)
        split = split_parts(chosen)
        if split is not None:
            return self._open_split(*split)
        return self._open_archive(chosen[0], str(chosen[0]))

    def _open_inner(self) -> str | None:
        """When the archive given holds no bundle but exactly one archive (an outer zip
        around the bundle's zip): open that one instead, and say so; its prefix, or None.

        Only once: an archive in the inner one is never opened this way, so the nesting
        stays bounded (outer, bundle, node zips)."""
        inner = archives_in_tree(self._tree.files())
        if len(inner) > 1:
            raise several(self.path, inner)
        if not inner:
            return None
        label = f"{self.path}{NESTED}{inner[0]}"
        with self._tree.open(inner[0]) as stream:
            copy = spool(stream, self.workdir, suffix=ARCHIVE.search(inner[0])[0])  # type: ignore[index]
        copy.close()
        outer, self._tree = self._tree, self._open_archive(copy.path, label)
        outer.close()
        self.notes.append(
            f"{printable(self.path.name)} holds one bundle, {printable(inner[0])}: analyzed it"
        )
        return _find_root(self._tree.files())

    def _open_split(self, name: str, parts: list[Path], missing: list[int]) -> Tree:
        self._name, self._parts = name, parts
        absent = ", ".join(f"{n:03d}" for n in missing)
        present = ", ".join(p.name for p in parts)
        if is_complete_zip(parts[0]):
            if missing:
                self.notes.append(f"split bundle: part(s) {absent} missing; their files are absent")
            return MergedTree([ZipTree(p, str(p), self.limits, self._budget) for p in parts])
        if missing:
            raise BundleError(
                f"{name}: part(s) {absent} of the split bundle are missing (found {present})"
            )
        try:
            return ZipTree(
                ConcatFile(parts), f"{name} (parts {present})", self.limits, self._budget
            )
        except BundleError as exc:
            raise BundleError(f"{exc}; is a last part missing?") from None

    # -- the private work area -------------------------------------------------------------
    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            try:
                self._workdir = Path(tempfile.mkdtemp(prefix="bundle-analyzer-"))
            except OSError as exc:
                raise work_area_error(exc) from None
        return self._workdir

    def close(self) -> None:
        for tree in self._nested.values():
            if isinstance(tree, Tree):
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
        return self._name

    @cached_property
    def sha256(self) -> str:
        """The archive's sha256 (of all its parts in order, for a split bundle); for a
        directory, that of a sorted (path, content) manifest."""
        digest = hashlib.sha256()
        if self.path.is_file():
            for part in self._parts or [self.path]:
                with open(part, "rb") as handle:
                    for block in iter(lambda h=handle: h.read(1024 * 1024), b""):
                        digest.update(block)
            return digest.hexdigest()
        for rel in self._tree.files():
            if rel in self._tree.refused:
                digest.update(f"{rel}\0refused\n".encode())
                continue
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
        for outer, tree in sorted(self._trees()):
            found += [f"{outer}{NESTED}{name}" for name in tree.rejected]
        return found

    @property
    def refused(self) -> dict[str, str]:
        """Entries over a limit, relative to the bundle root, and why."""
        found = {
            n[len(self._prefix) :]: why
            for n, why in self._tree.refused.items()
            if n.startswith(self._prefix)
        }
        for outer, tree in sorted(self._trees()):
            found.update({f"{outer}{NESTED}{n}": why for n, why in tree.refused.items()})
        return found

    # -- files ------------------------------------------------------------------------------
    def files(self) -> list[str]:
        """Every file of the outer tree, relative to the bundle root, sorted."""
        return self._files

    def exists(self, path: str) -> bool:
        if NESTED in path:
            outer, inner = path.rsplit(NESTED, 1)
            return outer in self._file_set and inner in self.nested(outer).files()
        return path in self._file_set

    def open(self, path: str) -> BinaryIO:
        """A binary stream of ``path``; KeyError if absent, BundleError if unreadable."""
        if NESTED in path:
            outer, inner = path.rsplit(NESTED, 1)
            try:
                return self.nested(outer).open(inner)
            except BundleError as exc:
                # Name the file as reports do: through the node zip that holds it.
                raise BundleError(f"{outer}{NESTED}{exc}") from None
        if path not in self._file_set:
            raise KeyError(path)
        try:
            return self._tree.open(self._prefix + path)
        except BundleError as exc:
            shown = printable(self._prefix + path)
            raise BundleError(str(exc).replace(shown, printable(path), 1)) from None

    def size(self, path: str) -> int:
        if NESTED in path:
            outer, inner = path.rsplit(NESTED, 1)
            return self.nested(outer).size(inner)
        return self._tree.size(self._prefix + path)

    def nested(self, path: str) -> Tree:
        """The zip at ``path`` (a node zip), or a tar.xz in one, opened once for the run.

        Nothing deeper is ever opened (nestedtar.py): the depth stays bounded at three.
        """
        tree = self._nested.get(path)
        if tree is None:
            # A node zip, or a tar.xz in one (supportconfig's), never deeper: nestedtar.py.
            opened = nested_tar(path, self.open, self.size, self.limits, self._budget)
            tree = self._nested[path] = opened or self._open_nested(path)
        if isinstance(tree, BundleError):
            raise tree
        return tree

    def _trees(self) -> list[tuple[str, Tree]]:
        return [(path, tree) for path, tree in self._nested.items() if isinstance(tree, Tree)]

    def open_nested(self, paths: Sequence[str]) -> None:
        """Open several nested zips at once: copying one out of the bundle is mostly
        decompression, which runs outside the GIL, so they are copied on every core. They
        are then listed one by one in path order, each charged to the bundle's budget: which
        node zips fit in it must not depend on which thread finished first."""
        todo = sorted(p for p in paths if p not in self._nested)
        if len(todo) < 2:
            return
        self.workdir  # noqa: B018 - made here, not raced for by the threads
        workers = min(len(todo), usable_cores())
        with ThreadPoolExecutor(max_workers=workers) as pool:
            copies = list(pool.map(self._copy_nested, todo))
        for path, copy in zip(todo, copies, strict=True):
            self._nested[path] = self._list_nested(path, copy)

    def _open_nested(self, path: str) -> Tree | BundleError:
        return self._list_nested(path, self._copy_nested(path))

    def _copy_nested(self, path: str) -> PreadFile | BundleError:
        try:
            with self.open(path) as stream:
                return spool(stream, self.workdir)
        except BundleError as exc:
            return exc
        except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as exc:
            return BundleError(f"{path}: cannot read ({exc})")

    def _list_nested(self, path: str, copy: PreadFile | BundleError) -> Tree | BundleError:
        if isinstance(copy, BundleError):
            return copy
        try:
            return ZipTree(copy, path, self.limits, self._budget)
        except BundleError as exc:
            return exc


def open_bundle(path: Path | str | Sequence[Path | str], limits: Limits = DEFAULT_LIMITS) -> Bundle:
    """Open a bundle: an unpacked folder, a ``.zip``, a ``.tar.gz``, or the parts of a split one."""
    return Bundle(path, limits)
