"""Hostile input in every bundle kind: any entries under each layout's paths give a report
(what could not be read is a note) or one clean error, never a crash or an error finding."""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import analyze
from analyzer.bundle import open_bundle
from analyzer.errors import BundleError
from analyzer.sources import Sources

SLOW = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: paths each layout reads, under its archive's root folder
LAYOUT_PATHS = {
    "support-bundle-2025-01-01T00_00_00": [
        "version.yaml",
        "cluster-resources/nodes.json",
        "cluster-resources/pods/default.json",
        "cluster-resources/events/default.json",
        "cluster-resources/pvcs/default.json",
        "cluster-resources/jobs/default.json",
        "cluster-resources/custom-resources/volumes.longhorn.io/longhorn-system.yaml",
        "cluster-resources/custom-resources/volumes.longhorn.io/longhorn-system.json",
        "cluster-resources/pods/logs/default/p/c.log",
        "cluster-resources/pods/logs/default/p/c-previous.log",
    ],
    "longhorn-support-bundle_x_2025-01-01T00-00-00Z": [
        "metadata.yaml",
        "yamls/kubernetes/nodes.yaml",
        "yamls/kubernetes/pods.yaml",
        "yamls/longhorn/volumes.yaml",
        "yamls/longhorn/nodes.yaml",
        "logs/longhorn-manager-x/longhorn-manager.log",
    ],
    "host1-2025-01-01_00_00_00": [
        "systeminfo/hostname",
        "journald/rke2-server",
        "rke2/agent-logs/kubelet.log",
        "rke2/kubectl/nodes.json",
        "rke2/podlogs/kube-system-etcd-host1",
        "rke2/podlogs/kube-system-etcd-host1-previous",
    ],
}
CONTENTS = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"[]",
            b"{}",
            b"null",
            b"[1, 2, 3]",
            b'{"items": "x"}',
            b'[{"metadata": {"name": ["a"]}, "status": {"conditions": 7}}]',
            b"- metadata:\n    name: v\n  spec:\n    secret: ***HIDDEN***\n",
            b"a: &x [1]\nb: *x\n",
            b"[" * 5000,
            b"\xff\xfe\x00bad",
            b"\x1b[2Jhost\x07\n",
        ]
    ),
    st.recursive(
        st.one_of(st.none(), st.integers(), st.text(max_size=20), st.booleans()),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
        ),
        max_leaves=20,
    ).map(lambda value: json.dumps(value).encode()),
)


def _tar(path: Path, root: str, entries: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in entries:
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@SLOW
@given(
    st.sampled_from(sorted(LAYOUT_PATHS)),
    st.data(),
)
def test_any_content_in_any_layout_analyzes_or_fails_cleanly(root, data):
    paths = LAYOUT_PATHS[root]
    chosen = data.draw(st.lists(st.sampled_from(paths), min_size=1, max_size=8, unique=True))
    entries = [(name, data.draw(CONTENTS)) for name in chosen]
    with tempfile.TemporaryDirectory() as folder:
        archive = _tar(Path(folder) / f"{root}.tar.gz", root, entries)
        try:
            report = analyze(archive)
        except BundleError as exc:
            assert "\n" not in str(exc)
            return
        assert not [f for f in report.findings if f.status == "error"], report.findings


def test_a_logs_collector_without_its_host_file_is_one_node_named_host(tmp_path):
    root = tmp_path / "h-2025-01-01_00_00_00"
    (root / "journald").mkdir(parents=True)
    (root / "journald" / "rke2-server").write_text("")
    report = analyze(root)
    assert not [f for f in report.findings if f.status == "error"]
    with open_bundle(root) as bundle:
        assert Sources(bundle).node_roots() == {"host": ""}


def test_a_hostile_host_name_is_not_shown(tmp_path):
    root = tmp_path / "h-2025-01-01_00_00_00"
    (root / "systeminfo").mkdir(parents=True)
    (root / "systeminfo" / "hostname").write_bytes(b"\x1b[2J../../etc\n")
    (root / "journald").mkdir()
    (root / "journald" / "rke2-server").write_text("x\n")
    with open_bundle(root) as bundle:
        assert Sources(bundle).node_roots() == {"host": ""}


def test_unparsable_files_are_notes_naming_them(tmp_path):
    root = tmp_path / "support-bundle"
    (root / "cluster-resources" / "pods").mkdir(parents=True)
    (root / "version.yaml").write_text("kind: SupportBundle\n")
    (root / "cluster-resources" / "nodes.json").write_text('[{"metadata": ')
    (root / "cluster-resources" / "pods" / "default.json").write_text('"just text"')
    report = analyze(root)
    notes = "\n".join(report.bundle.notes)
    assert "cluster-resources/nodes.json" in notes
    assert "cluster-resources/pods/default.json: not a Kubernetes List" in notes
    assert report.finding("crash-looping-pods").skip_kind == "missing-input"
    assert not [f for f in report.findings if f.status == "error"]
