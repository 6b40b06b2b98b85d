"""Fixtures and golden reports are current, and reports are byte-identical run to run."""

from __future__ import annotations

import filecmp
from datetime import datetime, timezone
from pathlib import Path

from analyzer import analyze, render
from analyzer.render import FORMATS
from fixtures.goldens import BUNDLES, GOLDEN_NOW, REPORTS, write_fixtures, write_reports
from tests.conftest import make_form

REGENERATE = "run `python -m fixtures` to regenerate, then review the diff"


def differences(expected: Path, actual: Path) -> list[str]:
    found: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        found.extend(f"{prefix}{name}: only in one" for name in cmp.left_only + cmp.right_only)
        found.extend(f"{prefix}{name}: differs" for name in cmp.diff_files)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(expected, actual, ignore=[]), "")
    return found


def test_fixture_bundles_are_current(tmp_path):
    write_fixtures(tmp_path)
    assert differences(tmp_path, BUNDLES) == [], REGENERATE


def test_golden_reports_are_current(tmp_path):
    write_reports(BUNDLES, tmp_path)
    stale = differences(tmp_path, REPORTS)
    assert stale == [], f"stale golden reports {stale}: {REGENERATE}"


def test_same_bundle_gives_identical_reports(book, tmp_path):
    first = analyze(
        make_form("mixed-upgrade-forbidden", "zip", tmp_path / "a"), book, now=GOLDEN_NOW
    )
    second = analyze(
        make_form("mixed-upgrade-forbidden", "zip", tmp_path / "b"), book, now=GOLDEN_NOW
    )
    for fmt in FORMATS:
        assert render(first, fmt) == render(second, fmt)


def test_run_time_is_injectable(book, monkeypatch):
    bundle = BUNDLES / "healthy-v161"
    later = datetime(2030, 5, 6, 7, 8, 9, tzinfo=timezone.utc)
    assert analyze(bundle, book, now=later).generated_at == "2030-05-06T07:08:09Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert analyze(bundle, book).generated_at == "1970-01-01T00:00:00Z"
