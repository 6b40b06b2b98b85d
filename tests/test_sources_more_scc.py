"""Node logs of issue 12 item 4 (kernel.log and the boots before, containerd.log,
containerd-images.log) and supportconfig archives (scc/*.txz) read in place as scc_logs: in
every form a bundle comes in, through a rule's log matcher, and against hostile archives."""

from __future__ import annotations

import io
import lzma
import tarfile

import pytest

from analyzer import analyze, load_rules
from analyzer.bundle import BundleError, open_bundle
from analyzer.bundle.limits import DEFAULT_LIMITS, Budget, Limits
from analyzer.bundle.nestedtar import NestedTar
from analyzer.render import FORMATS, render
from analyzer.sources import open_sources
from fixtures import sources_more as more
from fixtures.scenarios import healthy_v161
from tests import hostile_corpus as corpus
from tests.conftest import make_form

NODES = ["hv-node1", "hv-node2", "hv-node3"]
SCC_FILES = ["basic-environment.txt", "boot.txt", "messages.txt", "network.txt"]


@pytest.fixture(params=["dir", "zip", "zip-deflated", "tar.gz"])
def healthy(request, tmp_path):
    return make_form("healthy-v161", request.param, tmp_path)


def test_node_logs_hold_kernel_and_containerd_logs(healthy):
    with open_sources(healthy) as src:
        logical = {name for name, _ in src.log_files("node_logs")}
    for node in NODES:
        for log in ("kernel.log", "kernel.log.1", "containerd.log", "containerd-images.log"):
            assert f"{node}/{log}" in logical


def test_scc_logs_are_the_archives_text_files_read_in_place(healthy):
    with open_sources(healthy) as src:
        files = src.log_files("scc_logs")
        assert [name for name, _ in files] == [f"{n}/{f}" for n in NODES for f in SCC_FILES]
        _, path = files[2]
        assert path.endswith(
            "scc/scc_supportconfig_hv-node1-a1b2c3.txz!/"
            "scc_supportconfig_hv-node1-a1b2c3/messages.txt"
        )
        with src.bundle.open(path) as stream:
            text = stream.read().decode()
        assert "hv-node1 iscsid: iSCSI daemon started" in text
        assert src.bundle.size(path) == len(text.encode())
        assert src.origin(path) == "hv-node1"
        workdir = src.bundle._workdir
        extracted = list(workdir.rglob("*.txt")) if workdir else []
        assert not extracted  # nothing of the archive was written to disk
        assert not src.notes


def test_a_rule_matches_scc_and_kernel_lines_and_cites_them(tmp_path):
    bundle = make_form("healthy-v161", "zip-deflated", tmp_path)
    pack = corpus.scc_rules(tmp_path)
    corpus._rule(
        pack,
        "kernel-boot",
        facts="logs:\n  - {name: boots, source: node_logs, files: ['*/kernel.log*'], "
        "pattern: 'Linux version (?P<kernel>\\S+)'}\n",
        when="boots",
    )
    report = analyze(bundle, load_rules(pack))
    scc = report.finding("scc-iscsid")
    assert scc.status == "fired"
    cited = sorted(e.path for e in scc.evidence)
    assert len(cited) == 3 and all(p.endswith("/messages.txt") for p in cited)
    assert all(".txz!/" in p and e.line == 3 for p, e in zip(cited, scc.evidence, strict=True))
    for fmt in FORMATS:  # paths through two archives render like any other
        assert ".txz!/" in render(report, fmt)
    boots = report.finding("kernel-boot")
    assert {e.path.rsplit("/", 1)[-1] for e in boots.evidence} == {"kernel.log", "kernel.log.1"}


def test_an_xz_bomb_in_a_node_zip_is_refused_by_the_budget(tmp_path):
    bundle = corpus.scc_bomb(tmp_path, 256 * corpus.MIB)
    report = analyze(bundle, load_rules(corpus.scc_rules(tmp_path)))
    finding = report.finding("scc-iscsid")
    # hv-node1's archive is refused from its headers; the two others are read
    assert finding.status == "fired"
    assert sorted(e.path.split("/")[1] for e in finding.evidence) == [
        "hv-node2.zip!",
        "hv-node3.zip!",
    ]
    notes = [n for n in report.bundle.notes if "scc_supportconfig_hv-node1" in n]
    assert len(notes) == 1 and "over the limits (an xz bomb?)" in notes[0]


def test_a_pax_header_of_gigabytes_is_refused_before_it_is_read(tmp_path):
    with open_sources(corpus.scc_pax_bomb(tmp_path)) as src:
        names = [name for name, _ in src.log_files("scc_logs")]
        assert not [n for n in names if n.startswith("hv-node1/")]
        assert any("extended header of 2.0 GiB" in n for n in src.notes), src.notes


@pytest.mark.parametrize(
    "data, why",
    [
        (b"not xz at all", "not a readable tar.xz"),
        (lzma.compress(b"\x00" * 100)[:-20], "not a readable tar.xz"),
    ],
)
def test_an_unreadable_archive_is_a_note_and_the_others_still_read(tmp_path, data, why):
    bundle = corpus.bundle_zip(tmp_path, node_extra={"hv-node1": [(corpus.SCC_MEMBER, data)]})
    with open_sources(bundle) as src:
        nodes = {name.split("/")[0] for name, _ in src.log_files("scc_logs")}
        assert nodes == {"hv-node2", "hv-node3"}
        assert any(why in n and "hv-node1" in n for n in src.notes), src.notes


def test_the_archives_entries_count_with_the_bundles(tmp_path):
    bundle = make_form("healthy-v161", "zip", tmp_path)
    with open_bundle(bundle) as whole, open_sources(whole) as src:
        src.node_roots()
        used = whole._budget.entries  # the bundle and its node zips
    # Entries enough for those, not for the archives' four files each.
    with open_bundle(bundle, Limits(max_entries=used + 2)) as tight, open_sources(tight) as src:
        assert src.log_files("scc_logs") == []
        assert sum("over the 2 left" in n and ".txz" in n for n in src.notes) == 3, src.notes


def test_archives_inside_the_archive_are_never_opened(tmp_path):
    inner = io.BytesIO()
    with tarfile.open(fileobj=inner, mode="w:xz") as tar:
        data = corpus._zip([("a.txt", b"x\n")])
        info = tarfile.TarInfo("scc_x/inner.zip")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    bundle = corpus.bundle_zip(
        tmp_path, node_extra={"hv-node1": [(corpus.SCC_MEMBER, inner.getvalue())]}
    )
    with open_bundle(bundle) as opened:
        archive = f"nodes/hv-node1.zip!/{corpus.SCC_MEMBER}"
        assert opened.nested(archive).files() == ["scc_x/inner.zip"]
        with pytest.raises(BundleError, match="archives deeper"):
            opened.open(f"{archive}!/scc_x/inner.zip!/a.txt")


def test_members_read_in_archive_order_share_one_pass():
    data = more.scc_archive("hv-node1", healthy_v161().created_at)
    passes = []

    def opener() -> io.BytesIO:
        passes.append(1)
        return io.BytesIO(data)

    tar = NestedTar(opener, len(data), "scc.txz", DEFAULT_LIMITS, Budget(DEFAULT_LIMITS))
    assert len(passes) == 1  # the listing
    members = sorted(tar.files(), key=tar.position)
    texts = []
    for member in members:
        with tar.open(member) as stream:
            texts.append(stream.read())
    assert len(passes) == 2 and all(texts)
    for member in reversed(members):  # backwards: each starts over
        with tar.open(member) as stream:
            assert stream.read() == texts[members.index(member)]
    assert len(passes) == 2 + len(members)
    tar.close()
