"""Fleet analysis on a real Dask LocalCluster (2 worker processes): statuses, Parquet against
the single-bundle JSON report, --resume, duplicates, backtest, and the report."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip(
    "distributed", reason="the fleet extra is not installed (pip install '.[fleet]')"
)
pytest.importorskip("pyarrow", reason="the fleet extra is not installed (pip install '.[fleet]')")

from analyzer.cli import main
from analyzer.fleet.store import read_results
from fixtures.fleetarchive import big_values_bundle, many_pods_bundle
from fixtures.synth import pack_bundle

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


def _archive(root: Path) -> Path:
    """Two tickets: three fixture bundles zipped, one of them twice, and a broken zip."""
    ticket1, ticket2 = root / "ticket-1", root / "ticket-2"
    ticket1.mkdir(parents=True)
    ticket2.mkdir()
    for name in ("rc3-console-notready", "healthy-v161"):
        pack_bundle(FIXTURES / name, ticket1 / f"{name}.zip")
    shutil.copytree(FIXTURES / "mixed-upgrade-forbidden", ticket2 / "mixed-upgrade-forbidden")
    shutil.copy(ticket1 / "healthy-v161.zip", ticket2 / "same-bytes-other-name.zip")
    (ticket2 / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    return root


def _by_path(rows: list[dict]) -> dict[str, dict]:
    return {Path(r["path"]).name: r for r in rows}


# The workers start near 80 MB; the memory hog needs over 200 MB, the fixtures under 100 MB.
LIMIT = ("--memory-limit", "200MB")


def fleet(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a process of its own: a Dask client leaves threads behind, and the tests of
    the log scan's helper processes (which fork) need a pytest worker without any."""
    return subprocess.run(
        [sys.executable, "-m", "analyzer", "fleet", *args], capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def analyzed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("fleet")
    archive = _archive(root / "archive")
    big_values_bundle(FIXTURES / "healthy-v161", archive / "ticket-2" / "memory-hog")
    out = root / "out"
    done = fleet("analyze", str(archive), "--out", str(out), "--workers", "2", *LIMIT)
    assert done.returncode == 0, done.stderr
    return archive, out


def test_statuses_and_duplicates(analyzed: tuple[Path, Path]) -> None:
    _, out = analyzed
    bundles, _ = read_results(out)
    rows = _by_path(bundles)
    assert set(rows) == {
        "rc3-console-notready.zip",
        "healthy-v161.zip",
        "mixed-upgrade-forbidden",
        "broken.zip",
        "memory-hog",
    }
    assert rows["broken.zip"]["status"] == "error"
    assert "not a zip" in rows["broken.zip"]["error"] or rows["broken.zip"]["error"]
    # Over the memory limit: the worker dies, the bundle is recorded, the others stand.
    assert rows["memory-hog"]["status"] == "crashed"
    assert "worker process died" in rows["memory-hog"]["error"]
    for name in ("rc3-console-notready.zip", "healthy-v161.zip", "mixed-upgrade-forbidden"):
        assert rows[name]["status"] == "ok", rows[name]
        assert rows[name]["node_count"] == 3 and rows[name]["cluster_uuid"]
    # The same bytes under two names: analyzed once, both paths kept.
    assert [Path(p).name for p in rows["healthy-v161.zip"]["other_paths"]] == [
        "same-bytes-other-name.zip"
    ]


def test_parquet_holds_what_the_json_report_holds(analyzed: tuple[Path, Path], capsys) -> None:
    _, out = analyzed
    bundles, findings = read_results(out)
    for row in bundles:
        if row["status"] != "ok":
            continue
        capsys.readouterr()
        main(["analyze", row["path"], "-f", "json", "--fail-on", "none"])
        report = json.loads(capsys.readouterr().out)
        assert row["sha256"] == report["bundle"]["sha256"]
        assert row["harvester_version"] == report["bundle"]["harvester_version"]
        assert row["rule_pack"] == report["rule_pack"]["sha256"]
        mine = {f["rule_id"]: f for f in findings if f["bundle_sha256"] == row["sha256"]}
        assert set(mine) == {f["rule_id"] for f in report["findings"]}
        roots = {r["rule_id"] for r in report["root_causes"]}
        for finding in report["findings"]:
            stored = mine[finding["rule_id"]]
            assert stored["status"] == finding["status"]
            assert stored["severity"] == finding["severity"]
            assert stored["message"] == finding["message"]
            assert stored["explained_by"] == finding["explained_by"]
            assert (stored["role"] == "root cause") == (finding["rule_id"] in roots)
            if finding["evidence"]:
                first = finding["evidence"][0]
                assert stored["evidence"] == f"{first['path']}:{first['line']}".removesuffix(
                    ":None"
                )


def test_resume_does_no_work_the_second_time(analyzed: tuple[Path, Path], capsys) -> None:
    archive, out = analyzed
    before = (out / "bundles.parquet").read_bytes()
    # The memory hog is a crash: tried again by --resume; without it nothing is left to do.
    shutil.rmtree(archive / "ticket-2" / "memory-hog")
    done = fleet("analyze", str(archive), "--out", str(out), "--resume")
    assert done.returncode == 0, done.stderr
    assert "4 already done" in done.stderr, done.stderr
    # Nothing analyzed again: the rows (times included) are those of the first run.
    assert (out / "bundles.parquet").read_bytes() == before


JSON = ("-f", "json")


def test_backtest_finds_the_bundles_a_changed_rule_newly_flags(
    analyzed: tuple[Path, Path], tmp_path: Path, capsys
) -> None:
    _, out = analyzed
    pack = tmp_path / "pack" / "kubernetes"
    pack.mkdir(parents=True)
    # A rule on the Kubernetes version of the bundle: fires on the v1.32 bundles only.
    pack.joinpath("k8s-132.yaml").write_text(
        "id: k8s-132\ntitle: Kubernetes 1.32\nseverity: low\n"
        'description: test rule\nfacts:\n  v: "versions.kubernetes"\n'
        "when: \"starts_with(v, 'v1.32')\"\nmessage: runs {{ v }}\nremediation: none\n"
        "references:\n  - https://github.com/harvester/harvester/issues/1\n"
    )
    done = fleet("backtest", "--rules", str(tmp_path / "pack"), "--baseline", str(out), *JSON)
    assert done.returncode == 0, done.stderr
    changes = json.loads(done.stdout)
    assert [c["rule_id"] for c in changes] == ["k8s-132"]
    change = changes[0]
    assert change["new_rule"] is True
    newly = sorted(Path(p).name for p, _ in change["newly_firing"])
    bundles, _ = read_results(out)
    expected = sorted(
        Path(b["path"]).name
        for b in bundles
        if b["status"] == "ok" and b["kubernetes_version"].startswith("v1.32")
    )
    assert newly == expected and newly
    assert change["no_longer_firing"] == []
    assert change["still_quiet"] == sum(1 for b in bundles if b["status"] == "ok") - len(newly)


def test_report_markdown_and_html(analyzed: tuple[Path, Path], tmp_path: Path, capsys) -> None:
    _, out = analyzed
    capsys.readouterr()
    assert main(["fleet", "report", str(out)]) == 0
    text = capsys.readouterr().out
    assert "| `console-false-notready` | high | 1 | 33.3% |" in text
    assert "| `node-authorizer-mixed-versions` | high | 1 | 33.3% |" in text
    assert "memory-hog" in text and "crashed" in text
    target = tmp_path / "fleet.html"
    assert main(["fleet", "report", str(out), "-o", str(target)]) == 0
    html = target.read_text()
    assert "<svg" in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', ""
    )
    assert "script" not in html


def test_timeout_restarts_the_worker(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    pack_bundle(FIXTURES / "healthy-v161", archive / "healthy.zip")
    many_pods_bundle(FIXTURES / "healthy-v161", archive / "slow", 60_000)
    out = tmp_path / "out"
    done = fleet("analyze", str(archive), "--out", str(out), "--workers", "2", "--timeout", "5")
    assert done.returncode == 0, done.stderr
    rows = _by_path(read_results(out)[0])
    assert rows["slow"]["status"] == "timeout"
    assert rows["slow"]["error"] == "still running after 5 s"
    assert rows["healthy.zip"]["status"] == "ok"


def test_without_the_extra_one_line(monkeypatch, capsys) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name)
    )
    assert main(["fleet", "report", "."]) == 2
    err = capsys.readouterr().err
    assert err.strip() == (
        "bundle-analyzer: error: fleet needs distributed: pip install 'bundle-analyzer[fleet]'"
    )


def test_the_duckdb_queries_of_the_docs_run(analyzed: tuple[Path, Path]) -> None:
    duckdb = pytest.importorskip("duckdb", reason="duckdb is not installed (test extra)")
    _, out = analyzed
    docs = (FIXTURES.parent.parent / "docs" / "fleet.md").read_text()
    queries = docs.split("```sql\n", 1)[1].split("```", 1)[0].split(";")
    queries = [q.replace("results/", f"{out}/") for q in queries if "SELECT" in q]
    assert len(queries) == 2
    per_version = duckdb.sql(queries[0]).fetchall()
    assert ("v1.5.0-rc3", "console-false-notready", 1) in per_version
    assert duckdb.sql(queries[1]).fetchall() == []  # no cluster had a faulted volume twice
