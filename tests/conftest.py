"""Shared test fixtures: the rule pack, fixture bundles in each form users send them."""

from __future__ import annotations

import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from analyzer import load_rules
from analyzer.rulebook import RuleBook, default_rules_dir
from fixtures.goldens import BUNDLES, packed_name
from fixtures.synth import pack_bundle

PROJECT = Path(__file__).resolve().parent.parent
SHARED_BUNDLES = PROJECT.parent / "shared" / "bundles"
REAL_BUNDLE = SHARED_BUNDLES / (
    "supportbundle_9b6b22de-6e5d-4905-aec8-1f226e413986_2022-03-22T23-49-32Z.zip"
)


@pytest.fixture(autouse=True)
def private_tmpdir(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Each test gets its own temporary folder (tempfile's, and TMPDIR for subprocesses).

    Tests assert that analyses leave no ``bundle-analyzer-*`` folder behind: counted in the
    system temp folder, another run on the same machine (pytest -n, a second suite, the
    benchmarks) would make them fail. Counted here, only this test's analyses are seen.
    """
    folder = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.setenv("TMPDIR", str(folder))
    return folder


@pytest.fixture(scope="session")
def book() -> RuleBook:
    return load_rules(default_rules_dir())


def make_form(fixture: str, form: str, dest: Path) -> Path:
    """The fixture as an unpacked folder, a zip (stored or deflated) or a tar.gz."""
    folder = BUNDLES / fixture
    if form == "dir":
        return folder
    dest.mkdir(parents=True, exist_ok=True)
    name = packed_name(folder)
    if form in ("zip", "zip-deflated"):
        compression = zipfile.ZIP_DEFLATED if form == "zip-deflated" else zipfile.ZIP_STORED
        return pack_bundle(folder, dest / name, compression)
    if form == "tar.gz":
        packed = pack_bundle(folder, dest / name)
        unpacked = dest / "unpacked"
        with zipfile.ZipFile(packed) as archive:
            archive.extractall(unpacked)
        target = dest / (name[: -len(".zip")] + ".tar.gz")
        with tarfile.open(target, "w:gz") as tar:
            tar.add(unpacked / name[: -len(".zip")], arcname=name[: -len(".zip")])
        return target
    raise ValueError(form)


@pytest.fixture
def real_bundle() -> Path:
    if not REAL_BUNDLE.is_file():
        pytest.skip(
            f"the shared real bundle is absent ({REAL_BUNDLE}); it lives outside the project"
        )
    return REAL_BUNDLE
