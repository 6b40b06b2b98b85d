"""Finding the bundles of an archive: ticket folders, split parts, links, globs, errors."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from analyzer.cli import main
from analyzer.errors import AnalyzerError
from analyzer.fleet.archive import find_bundles

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


def test_tickets_split_parts_folders_and_links(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    (archive / "t1" / "notes").mkdir(parents=True)
    (archive / "t2").mkdir()
    (archive / "t1" / "notes" / "screenshot.png").write_bytes(b"\x89PNG")
    (archive / "t1" / "bundle.zip").write_bytes(b"PK")
    for n in (2, 1, 3):
        (archive / "t2" / f"supportbundle_x.00{n}.zip").write_bytes(b"PK")
    shutil.copytree(FIXTURES / "healthy-v161", archive / "t2" / "unpacked")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.zip").write_bytes(b"PK")
    os.symlink(outside, archive / "t1" / "link-to-elsewhere")
    os.symlink(outside / "secret.zip", archive / "t1" / "link.zip")
    refs = find_bundles([str(archive)])
    names = [Path(r.path).relative_to(archive).as_posix() for r in refs]
    assert names == ["t1/bundle.zip", "t2/supportbundle_x.001.zip", "t2/unpacked"]
    split = refs[1]
    assert [Path(p).name for p in split.parts] == [f"supportbundle_x.00{n}.zip" for n in (1, 2, 3)]


def test_globs_files_and_nothing(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.zip").write_bytes(b"PK")
    (tmp_path / "b.tar.gz").write_bytes(b"\x1f\x8b")
    assert [Path(r.path).name for r in find_bundles([str(tmp_path / "*.zip")])] == ["a.zip"]
    assert len(find_bundles([str(tmp_path / "a.zip"), str(tmp_path)])) == 2
    with pytest.raises(AnalyzerError, match="no such file, folder or match"):
        find_bundles([str(tmp_path / "missing-*.zip")])
    pytest.importorskip("distributed", reason="the fleet extra is not installed")
    code = main(["fleet", "analyze", str(tmp_path / "nope"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert capsys.readouterr().err.count("\n") == 1
