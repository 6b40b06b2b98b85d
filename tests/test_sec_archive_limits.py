"""Issue 10, reading archives (items 8 and 10): entries Python cannot decompress, bounds per
bundle rather than per archive, and tar members refused before they land on disk."""

from __future__ import annotations

import io
import tarfile
import zipfile

import pytest

from analyzer import analyze, open_bundle, render
from analyzer.bundle.archive import Limits
from analyzer.errors import BundleError
from tests import hostile_corpus as corpus

ROOT = corpus.ROOT


def notes_of(report) -> str:
    return "\n".join(report.bundle.notes)


# -- item 8: deflate64 and encrypted entries are named and skipped --------------------------------
def test_deflate64_and_encrypted_entries_are_named_and_skipped(tmp_path):
    report = analyze(corpus.unreadable_methods(tmp_path))
    notes = notes_of(report)
    assert (
        "entry refused: yamls/cluster/v1/nodes.yaml: compressed with deflate64 (method 9)" in notes
    )
    assert "entry refused: bundleGenerationError.log: encrypted" in notes
    inner = "nodes/hv-node1.zip!/hv-node1/logs/"
    assert f"entry refused: {inner}rke2-server.log: compressed with deflate64" in notes
    assert f"entry refused: {inner}kubelet.log: encrypted" in notes
    assert not [f.rule_id for f in report.findings if f.status == "error"]
    # The rules that read the refused node list are skipped naming why; the others ran.
    skipped = [f for f in report.findings if "nodes.yaml: refused" in (f.message or "")]
    assert skipped and all(f.status == "skip" for f in skipped)
    assert any(f.status in ("pass", "fired") for f in report.findings)
    render(report, "json")


def test_unreadable_methods_are_refused_at_listing_not_at_reading(tmp_path):
    with open_bundle(corpus.unreadable_methods(tmp_path)) as bundle:
        assert "deflate64" in bundle.refused["yamls/cluster/v1/nodes.yaml"]
        assert "encrypted" in bundle.refused["bundleGenerationError.log"]
        with pytest.raises(BundleError, match="refused: compressed with deflate64"):
            bundle.open("yamls/cluster/v1/nodes.yaml")


# -- item 10: one budget for the bundle and its node zips -----------------------------------------
def _entries_of(path) -> int:
    with zipfile.ZipFile(path) as archive:
        return len(archive.infolist())


def test_node_zips_share_the_bundle_entry_budget(tmp_path):
    bundle = corpus.many_node_zip_entries(tmp_path, nodes=3, entries=2000)
    # Room for the bundle, its three small node zips and two of the big ones, not three.
    limit = _entries_of(bundle) + 3 * 20 + 2 * 2000 + 500
    with open_bundle(bundle, Limits(max_entries=limit)) as opened:
        report = analyze(opened)
    notes = notes_of(report)
    assert "nodes/hv-big02.zip: holds 2000 entries, over the" in notes
    assert "left of the bundle's limit" in notes
    assert "hv-big00.zip: holds" not in notes and "hv-big01.zip: holds" not in notes
    assert not [f.rule_id for f in report.findings if f.status == "error"]


def test_which_node_zips_fit_the_budget_does_not_depend_on_thread_timing(tmp_path):
    bundle = corpus.many_node_zip_entries(tmp_path, nodes=4, entries=1000)
    limit = _entries_of(bundle) + 3 * 20 + 2 * 1000 + 500
    seen = set()
    for _ in range(3):
        with open_bundle(bundle, Limits(max_entries=limit)) as opened:
            paths = [f"nodes/hv-big{n:02d}.zip" for n in range(4)]
            opened.open_nested(list(reversed(paths)))
            refused = []
            for path in paths:
                try:
                    opened.nested(path)
                except BundleError:
                    refused.append(path)
            seen.add(tuple(refused))
    assert seen == {("nodes/hv-big02.zip", "nodes/hv-big03.zip")}


def test_node_zips_share_the_bundle_size_budget(tmp_path):
    text = b"".join(b"line %06d of a node log\n" % n for n in range(16_000))  # 400 KiB
    extra = [
        (f"{ROOT}/nodes/hv-big{n}.zip", corpus._zip([(f"hv-big{n}/logs/a.log", text)]))
        for n in range(3)
    ]
    bundle = corpus.bundle_zip(tmp_path, extra=extra)
    with zipfile.ZipFile(bundle) as archive:
        outer = sum(i.file_size for i in archive.infolist())
    small_nodes = 3 * 64 * 1024  # the fixture's own node zips hold less than this each
    limit = outer + small_nodes + 2 * len(text) + 1000
    with open_bundle(bundle, Limits(max_total_size=limit)) as opened:
        opened.open_nested([f"nodes/hv-big{n}.zip" for n in range(3)])
        opened.nested("nodes/hv-big0.zip")
        opened.nested("nodes/hv-big1.zip")
        with pytest.raises(BundleError, match=r"nodes/hv-big2\.zip: unpacks to .* left of the"):
            opened.nested("nodes/hv-big2.zip")


# -- item 10: a tar member is refused before it is written ----------------------------------------
def test_a_tar_bomb_member_is_refused_while_written_not_after(tmp_path):
    path = "nodes/hv-node2/logs/kernel.log"
    with open_bundle(corpus.tar_bomb(tmp_path, 64 * corpus.MIB)) as bundle:
        assert "a tar bomb?" in bundle.refused[path]
        assert not (bundle.workdir / "unpacked" / ROOT / path).exists()
        with pytest.raises(BundleError, match="refused: compressed more than 200:1"):
            bundle.open(path)
        assert bundle.exists("nodes/hv-node1/logs/kubelet.log")  # the rest is there


def test_honest_text_in_a_tar_is_not_taken_for_a_bomb(tmp_path):
    # Repetitive logs compress well, but not 200 times: they must be extracted as is.
    lines = b"".join(
        b"I0101 00:00:%02d.000000 1 kubelet.go:1] sync pod %d\n" % (n % 60, n)
        for n in range(200_000)
    )
    target = tmp_path / "b.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        tar.add(corpus.BASE, arcname=ROOT)
        info = tarfile.TarInfo(f"{ROOT}/nodes/hv-node2/logs/kubelet.log")
        info.size = len(lines)
        tar.addfile(info, io.BytesIO(lines))
    with open_bundle(target) as bundle:
        assert not bundle.refused
        with bundle.open("nodes/hv-node2/logs/kubelet.log") as stream:
            assert stream.read() == lines
