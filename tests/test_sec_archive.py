"""Issue 10, reading folders (items 6 and 9): files swapped after the walk, names that are
not UTF-8, too long or too deep, folders that are no bundle, and ticket folders or outer
zips holding one bundle. Each test fails without its guard (see the commit messages)."""

from __future__ import annotations

import os
import shutil
import tarfile
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import analyzer.bundle
import analyzer.engine
from analyzer import analyze, open_bundle, render
from analyzer.cli import main
from analyzer.errors import BundleError
from analyzer.report import Report
from fixtures.goldens import BUNDLES
from tests import hostile_corpus as corpus

SECRET = "HOST-SECRET-7f3a"
CITED = "logs/harvester-system/kube-vip-hv-node1/kube-vip.log.1"  # cited with context lines


def everything(report: Report) -> str:
    return "".join(render(report, fmt) for fmt in ("md", "html", "json"))


def notes(report: Report) -> str:
    return "\n".join(report.bundle.notes)


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["analyze", *args, "--fail-on", "none"])
    err = capsys.readouterr().err
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err


def _host_copy(tmp_path: Path) -> Path:
    """A folder outside the bundle shaped like the cited log's folder, holding secrets."""
    host = tmp_path / "host" / "kube-vip-hv-node1"
    host.mkdir(parents=True)
    lines = "".join(f"{SECRET} line {n}\n" for n in range(1, 20))
    (host / "kube-vip.log.1").write_text(lines)
    return host


def _swap(bundle_root: Path, target: str, host: Path) -> None:
    """Replace the cited log (``file``) or its folder (``folder``) by a link to ``host``."""
    if target == "file":
        path = bundle_root / CITED
        path.unlink()
        path.symlink_to(host / "kube-vip.log.1")
    else:
        folder = (bundle_root / CITED).parent
        shutil.rmtree(folder)
        folder.symlink_to(host, target_is_directory=True)


# -- item 6: every read refuses links, at the file and on the way to it ---------------------------
@pytest.mark.parametrize("target", ["file", "folder"])
def test_context_lines_are_not_read_through_a_link_swapped_in_after_the_walk(
    tmp_path, monkeypatch, target
):
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "kube-vip-dhcp-conflict", root)
    host = _host_copy(tmp_path)
    original = analyzer.engine.Analysis._add_context

    def swap_then_add(self):  # the logs were scanned; the context is read again now
        _swap(root, target, host)
        original(self)

    monkeypatch.setattr(analyzer.engine.Analysis, "_add_context", swap_then_add)
    report = analyze(root)
    cited = [
        e for f in report.findings for e in f.evidence if e.path == CITED and e.span is not None
    ]
    assert cited, "the fixture no longer cites the log: pick another"
    assert SECRET not in everything(report)
    assert all(not e.before and not e.after for e in cited)


@pytest.mark.parametrize(
    "path",
    [
        CITED,  # a pod log (logscan)
        "yamls/namespaced/kube-system/v1/services.yaml",  # a YAML dump (yamlfile)
        "nodes/hv-node1/logs/kubelet.log",  # a node's file, three folders down
    ],
)
@pytest.mark.parametrize("how", ["file", "parent", "top"])
def test_every_read_refuses_links_swapped_in_after_the_walk(tmp_path, path, how):
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "kube-vip-dhcp-conflict", root)
    with open_bundle(root) as bundle:
        assert bundle.exists(path)
        # The file, its folder or its top folder becomes a link to a decoy holding a secret.
        swapped = {"file": root / path, "parent": (root / path).parent}.get(how)
        swapped = swapped or root / path.split("/")[0]
        decoy = tmp_path / "decoy"
        if swapped.is_dir():
            shutil.copytree(swapped, decoy)
            (decoy / (root / path).relative_to(swapped)).write_text(f"{SECRET}\n")
            shutil.rmtree(swapped)
        else:
            decoy.write_text(f"{SECRET}\n")
            swapped.unlink()
        swapped.symlink_to(decoy)
        with pytest.raises(BundleError, match="not followed"):
            bundle.open(path)


def test_a_fifo_swapped_in_after_the_walk_is_refused_not_waited_on(tmp_path):
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "kube-vip-dhcp-conflict", root)
    outcome: list[object] = []
    with open_bundle(root) as bundle:
        (root / CITED).unlink()
        os.mkfifo(root / CITED)

        def read() -> None:
            try:
                with bundle.open(CITED) as stream:
                    outcome.append(stream.read())
            except BundleError as exc:
                outcome.append(exc)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(120)  # not a speed bound: only so that a blocked open fails the test
        if reader.is_alive():  # release the blocked reader
            os.close(os.open(root / CITED, os.O_WRONLY | os.O_NONBLOCK))
            reader.join()
    assert outcome and isinstance(outcome[0], BundleError), outcome
    assert "not a regular file" in str(outcome[0])


def test_a_node_zip_swapped_for_a_link_is_not_opened(tmp_path):
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "healthy-v161", root)
    node = root / "nodes/hv-node1.zip"
    shutil.make_archive(str(node.with_suffix("")), "zip", root / "nodes", "hv-node1")
    shutil.rmtree(root / "nodes/hv-node1")
    shutil.copy(node, tmp_path / "decoy.zip")
    with open_bundle(root) as bundle:
        node.unlink()
        node.symlink_to(tmp_path / "decoy.zip")
        with pytest.raises(BundleError, match="not followed"):
            bundle.nested("nodes/hv-node1.zip")


# -- item 9: names, depth, folders that are no bundle, ticket folders -----------------------------
def test_names_that_are_not_utf8_in_a_folder_are_named_escaped_not_a_crash(tmp_path):
    report = analyze(corpus.non_utf8_folder(tmp_path))
    text = everything(report)  # every format renders
    assert "caf\\xe9-\\x1b[31mred.log (name not UTF-8)" in notes(report)
    assert "yamls/\\xff\\xfe (name not UTF-8)" in notes(report)
    assert "\x1b" not in text


def test_names_that_are_not_utf8_in_a_tar_are_named_escaped_not_a_crash(tmp_path):
    report = analyze(corpus.non_utf8_tar(tmp_path))
    everything(report)
    assert "caf\\xe9-\\x1b[31mred.log (name not UTF-8)" in notes(report)


def test_a_folder_1500_levels_deep_is_cut_with_a_note(tmp_path):
    root = corpus.deep_folder(tmp_path, depth=1500)
    try:
        report = analyze(root)
    finally:
        corpus.remove_deep(root)  # pytest's own cleanup recurses per level, and would fail
    assert "(deeper than 32 folders)" in notes(report)
    assert report.bundle.notes and everything(report)


def test_a_5000_character_tar_path_is_named_not_fatal(tmp_path):
    report = analyze(corpus.long_tar_path(tmp_path, length=5000))
    found = [n for n in report.bundle.notes if "too long" in n]
    assert len(found) == 2, report.bundle.notes
    assert all(len(n) < 300 for n in found)  # the note names it, cut short


def test_a_huge_folder_that_is_no_bundle_is_refused_without_being_walked(tmp_path, monkeypatch):
    usr = tmp_path / "usr"
    for sub in ("bin", "lib", "share/doc/x"):
        (usr / sub).mkdir(parents=True)
        (usr / sub / "file").write_text("x")

    def no_walk(*args, **kwargs):
        raise AssertionError("the folder was walked")

    monkeypatch.setattr(analyzer.bundle, "DirTree", no_walk)
    with pytest.raises(BundleError, match="not a Harvester support bundle"):
        open_bundle(usr)


def test_a_ticket_folder_with_one_bundle_zip_is_analyzed_with_a_note(tmp_path):
    report = analyze(corpus.ticket_folder(tmp_path, ["bundle.zip"]))
    assert "ticket is a folder holding one bundle: analyzed bundle.zip" in notes(report)
    assert report.bundle.name == "bundle.zip"
    assert report.bundle.nodes  # the bundle itself was read


def test_a_ticket_folder_with_one_bundle_folder_is_analyzed_with_a_note(tmp_path):
    report = analyze(corpus.ticket_folder(tmp_path, [], folders=1))
    assert "ticket is a folder holding one bundle: analyzed unpacked-0" in notes(report)


def test_a_ticket_folder_with_several_bundles_names_them(tmp_path, capsys):
    folder = tmp_path / "case\x1b[2J"
    folder.mkdir()
    ticket = corpus.ticket_folder(folder, ["a.zip", "b\x1b]0;pwned\x07.zip"], folders=1)
    err = one_line_error(capsys, str(ticket))
    assert "holds 3 bundles (a.zip, b\\x1b]0;pwned\\x07.zip, unpacked-0)" in err
    assert "case\\x1b[2J" in err and "\x1b" not in err and "\x07" not in err


def test_a_split_bundle_in_a_ticket_folder_counts_as_one(tmp_path):
    ticket = tmp_path / "ticket"
    ticket.mkdir()
    (ticket / "notes.txt").write_text("split for upload\n")
    parts = corpus.split_bytes(ticket)
    shutil.rmtree(ticket / "whole")
    report = analyze(ticket)
    assert f"analyzed {parts[0].name}" in notes(report)


def test_an_outer_zip_around_one_bundle_zip_is_analyzed_with_a_note(tmp_path):
    report = analyze(corpus.outer_zip(tmp_path))
    assert (
        "ticket-attachments.zip holds one bundle, attachments/bundle-0.zip: analyzed it"
        in notes(report)
    )
    assert report.bundle.nodes


def test_an_outer_zip_around_several_bundles_names_them(tmp_path, capsys):
    err = one_line_error(capsys, str(corpus.outer_zip(tmp_path, inner=2)))
    assert "holds 2 bundles (attachments/bundle-0.zip, attachments/bundle-1.zip)" in err


def test_printable_escapes_controls_and_undecodable_bytes():
    from analyzer.errors import printable  # new in issue 10: imported here, not at the top

    assert printable("a\nb\x1b[2J\x9b\x7f") == "a\\x0ab\\x1b[2J\\x9b\\x7f"
    assert printable(os.fsdecode(b"caf\xe9")) == "caf\\xe9"
    assert printable("ok/ünïcode") == "ok/ünïcode"


# -- property: any file name, in a folder or a tar, ends in a report or a clean error -------------
file_names = st.binary(min_size=1, max_size=40).filter(
    lambda b: b"/" not in b and b"\x00" not in b and b not in (b".", b"..")
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(file_names, min_size=1, max_size=6, unique=True), st.booleans())
def test_any_file_names_analyze_or_fail_cleanly(tmp_path_factory, names, as_tar):
    work = tmp_path_factory.mktemp("names")
    root = work / "bundle"
    shutil.copytree(BUNDLES / "healthy-v161", root)
    for raw in names:
        (root / "yamls" / os.fsdecode(raw)).write_bytes(b"items: []\n")
    target: Path = root
    if as_tar:
        target = work / "bundle.tar.gz"
        with tarfile.open(target, "w:gz", format=tarfile.GNU_FORMAT) as tar:
            tar.add(root, arcname="b")
    try:
        report = analyze(target)
    except BundleError as exc:
        assert "\n" not in str(exc)
        return
    text = everything(report)
    assert "\x1b" not in "\n".join(report.bundle.notes) and text
