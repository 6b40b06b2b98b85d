"""`rules test` and `rules docs` from a non-editable install (issue 11, item 13): the wheel
carries the rule pack and the fixture bundles its cases name, and the reference is written
where the user is, not into the installed package.

Built for real: `pip wheel` of this checkout, installed with `pip install --target` (no
index, no dependencies: those of the test environment serve), run with the test
interpreter from a folder outside the checkout, the installed copy first on the path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT


def _pip(*args: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("install")
    _pip("wheel", "--no-deps", "-w", str(root / "wheel"), str(PROJECT))
    (wheel,) = (root / "wheel").glob("bundle_analyzer-*.whl")
    _pip("install", "--no-deps", "--no-index", "--target", str(root / "site"), str(wheel))
    return root / "site"


def _run(site: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analyzer", *args],
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_installed_copy_is_the_one_run(installed, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", "import analyzer.cli; print(analyzer.cli.__file__)"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(installed)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert Path(result.stdout.strip()).is_relative_to(installed)


def test_rules_test_from_an_installed_package(installed, tmp_path):
    result = _run(installed, tmp_path, "rules", "test", "console-false-notready")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PASS console-false-notready::" in result.stdout
    assert result.stderr.strip().endswith(" passed, 0 failed")


def test_rules_docs_from_an_installed_package(installed, tmp_path):
    result = _run(installed, tmp_path, "rules", "docs")
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == f"wrote {tmp_path / 'rules.md'}"
    assert (tmp_path / "rules.md").read_text().startswith("# ")
    assert not list(installed.rglob("rules.md"))
    given = tmp_path / "elsewhere.md"
    assert _run(installed, tmp_path, "rules", "docs", "-o", str(given)).returncode == 0
    assert given.read_text() == (tmp_path / "rules.md").read_text()
