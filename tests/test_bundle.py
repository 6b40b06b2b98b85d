"""Reading bundles: forms, layout quirks, nested node zips, unsafe entries."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from analyzer.bundle import open_bundle
from analyzer.errors import BundleError
from analyzer.sources import SourceMissing, Sources
from fixtures.synth import as_list, dump

CONFIG_D = "nodes/n1/configs/etc/rancher/rke2/config.yaml.d"
META = dump(
    {
        "bundlecreatedat": "2025-01-05T10:00:00Z",
        "kubernetesversion": "v1.32.3+rke2r1",
        "bundlename": "null",
    }
)


def write_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def zip_of(files: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_null_strings_read_as_null(tmp_path):
    node = {
        "metadata": {"name": "n1"},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "message": "null", "reason": "null"}]
        },
    }
    root = write_tree(
        tmp_path, {"metadata.yaml": META, "yamls/cluster/v1/nodes.yaml": as_list([node])}
    )
    with open_bundle(root) as bundle:
        sources = Sources(bundle)
        assert sources.get("metadata")["bundlename"] is None
        record = sources.get("nodes")[0]
        assert record["ready"] == "True" and record["ready_message"] is None


def test_empty_resources_old_and_new_style(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "metadata.yaml": META,
            # old collectors: an empty kind is a file with "items: []"
            "yamls/namespaced/longhorn-system/longhorn.io/v1beta1/volumes.yaml": "items: []\n",
            "yamls/namespaced/longhorn-system/v1/pods.yaml": as_list([]),
        },
    )
    with open_bundle(root) as bundle:
        sources = Sources(bundle)
        assert sources.kind("longhorn.io/volumes") == []  # old: a file with items: []
        assert sources.kind("longhorn.io/replicas") == []  # new: no file at all
        with pytest.raises(SourceMissing, match="namespace cattle-system was not collected"):
            sources.kind("pods@cattle-system")
        with pytest.raises(
            SourceMissing, match=r"yamls/cluster/v1/nodes.yaml is not in the bundle"
        ):
            sources.get("nodes")


def test_any_longhorn_version_and_the_highest_wins(tmp_path):
    volume = {
        "apiVersion": "longhorn.io/v1beta2",
        "kind": "Volume",
        "metadata": {"name": "pvc-1", "namespace": "longhorn-system"},
    }
    root = write_tree(
        tmp_path,
        {
            "metadata.yaml": META,
            "yamls/namespaced/longhorn-system/longhorn.io/v1beta1/volumes.yaml": as_list(
                [{**volume, "old": True}]
            ),
            "yamls/namespaced/longhorn-system/longhorn.io/v1beta2/volumes.yaml": as_list([volume]),
        },
    )
    with open_bundle(root) as bundle:
        sources = Sources(bundle)
        [found] = sources.kind("longhorn.io/volumes")
        assert "old" not in found
        where = sources.cite(found)
        assert where.path.endswith("v1beta2/volumes.yaml") and where.line == 3
        assert where.excerpt == "Volume longhorn-system/pvc-1"


def test_unparseable_yaml_is_a_named_missing_source(tmp_path):
    root = write_tree(
        tmp_path, {"metadata.yaml": META, "yamls/cluster/v1/nodes.yaml": "items: [\n"}
    )
    with open_bundle(root) as bundle:
        sources = Sources(bundle)
        with pytest.raises(SourceMissing, match=r"yamls/cluster/v1/nodes.yaml: line 2"):
            sources.get("nodes")
        assert any("nodes.yaml" in note for note in sources.bundle_info().notes)


def test_zip_root_folder_and_nested_node_zip_read_in_place(tmp_path):
    node_zip = zip_of(
        {
            "n1/logs/kubelet.log": "I0105 09:00:00.000000 1 x.go:1] hello\n",
            "n1/configs/etc/harvester-release.yaml": "harvester: v1.5.0\n",
        }
    )
    outer = tmp_path / "supportbundle_x_2025-01-05T10-00-00Z.zip"
    outer.write_bytes(
        zip_of(
            {
                "supportbundle_x_2025-01-05T10-00-00Z/metadata.yaml": META,
                "supportbundle_x_2025-01-05T10-00-00Z/nodes/n1.zip": node_zip,
            }
        )
    )
    with open_bundle(outer) as bundle:
        sources = Sources(bundle)
        assert sources.node_roots() == {"n1": "nodes/n1.zip!/n1/"}
        assert sources.log_files("node_logs") == [
            ("n1/kubelet.log", "nodes/n1.zip!/n1/logs/kubelet.log")
        ]
        [release] = sources.get("harvester_release")
        assert release["harvester"] == "v1.5.0"
        assert sources.cite(release).path == "nodes/n1.zip!/n1/configs/etc/harvester-release.yaml"
        workdir = bundle.workdir
        # Nothing was unpacked: the private folder holds no extracted tree.
        assert not any(p.is_file() for p in workdir.rglob("*") if p.suffix == ".log")
    assert not workdir.exists()


def test_unpacked_node_folders_are_read_like_node_zips(tmp_path):
    root = write_tree(tmp_path, {"metadata.yaml": META, "nodes/n1/logs/console.log": "x\n"})
    with open_bundle(root) as bundle:
        assert Sources(bundle).log_files("node_logs") == [
            ("n1/console.log", "nodes/n1/logs/console.log")
        ]


def test_bundle_root_at_top_or_one_folder_down(tmp_path):
    top = write_tree(tmp_path / "a", {"metadata.yaml": META})
    down = write_tree(tmp_path / "b", {"supportbundle_y/yamls/cluster/v1/nodes.yaml": as_list([])})
    with open_bundle(top) as bundle:
        assert bundle.files() == ["metadata.yaml"]
    with open_bundle(down) as bundle:
        assert bundle.files() == ["yamls/cluster/v1/nodes.yaml"]


def test_zip_entries_that_could_escape_are_refused(tmp_path):
    outer = tmp_path / "b.zip"
    outer.write_bytes(
        zip_of(
            {
                "b/metadata.yaml": META,
                "../../etc/evil": "x",
                "/abs/path": "y",
                "b/ok/../../../up": "z",
            }
        )
    )
    with open_bundle(outer) as bundle:
        assert bundle.files() == ["metadata.yaml"]
        assert sorted(bundle.rejected) == ["../../etc/evil", "/abs/path", "b/ok/../../../up"]
        notes = Sources(bundle).bundle_info().notes
        assert "entry refused (link or unsafe name): ../../etc/evil" in notes


def test_tar_links_are_not_materialised(tmp_path):
    secret = tmp_path / "host-secret"
    secret.write_text("do not read\n")
    target = tmp_path / "b.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        for name, data in (("b/metadata.yaml", META.encode()),):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("b/logs/kube-system/p/c.log")
        link.type = tarfile.SYMTYPE
        link.linkname = str(secret)
        tar.addfile(link)
        escape = tarfile.TarInfo("../outside.txt")
        escape.size = 1
        tar.addfile(escape, io.BytesIO(b"x"))
    with open_bundle(target) as bundle:
        assert bundle.files() == ["metadata.yaml"]
        assert sorted(bundle.rejected) == ["../outside.txt", "b/logs/kube-system/p/c.log"]
    assert not (tmp_path.parent / "outside.txt").exists()


def test_directory_symlinks_are_not_followed(tmp_path):
    outside = write_tree(tmp_path / "outside", {"secret.log": "token\n"})
    root = write_tree(tmp_path / "bundle", {"metadata.yaml": META})
    (root / "logs").mkdir()
    os.symlink(outside, root / "logs" / "linked")
    os.symlink(outside / "secret.log", root / "logs" / "file.log")
    with open_bundle(root) as bundle:
        assert bundle.files() == ["metadata.yaml"]


def test_not_a_bundle_and_not_an_archive(tmp_path):
    with pytest.raises(BundleError, match="not a Harvester support bundle"):
        open_bundle(write_tree(tmp_path / "x", {"readme.txt": "hi"}))
    empty = tmp_path / "empty.zip"
    empty.write_bytes(b"")
    with pytest.raises(BundleError, match="empty file"):
        open_bundle(empty)


def test_corrupt_node_zip_is_a_note_not_a_crash(tmp_path):
    outer = tmp_path / "b.zip"
    outer.write_bytes(zip_of({"b/metadata.yaml": META, "b/nodes/n1.zip": b"PK\x03\x04garbage"}))
    with open_bundle(outer) as bundle:
        sources = Sources(bundle)
        assert sources.node_roots() == {}
        assert any(
            "nodes/n1.zip" in note and "not a readable zip" in note for note in sources.notes
        )


def test_apiserver_flags_and_gates_from_the_static_pod(tmp_path):
    pod = {
        "metadata": {"name": "kube-apiserver-n1", "namespace": "kube-system"},
        "spec": {
            "nodeName": "n1",
            "containers": [
                {
                    "name": "kube-apiserver",
                    "image": "rancher/hardened-kubernetes:v1.32.3-rke2r1-build20250312",
                    "command": [
                        "kube-apiserver",
                        "--feature-gates=A=true,AuthorizeNodeWithSelectors=false",
                        "--secure-port",
                        "6443",
                        "--feature-gates=C=false",
                    ],
                }
            ],
        },
    }
    root = write_tree(
        tmp_path,
        {"metadata.yaml": META, "yamls/namespaced/kube-system/v1/pods.yaml": as_list([pod])},
    )
    with open_bundle(root) as bundle:
        [server] = Sources(bundle).get("apiservers")
    assert server["version"] == "v1.32.3"
    assert server["flags"]["secure-port"] == "6443"
    assert server["feature_gates"] == {"A": True, "AuthorizeNodeWithSelectors": False, "C": False}


def test_apiserver_flags_fall_back_to_rke2_config(tmp_path):
    root = write_tree(
        tmp_path,
        {
            "metadata.yaml": META,
            f"{CONFIG_D}/90-harvester-server.yaml": (
                "kube-apiserver-arg:\n- feature-gates=AuthorizeNodeWithSelectors=false\n"
            ),
            f"{CONFIG_D}/95-extra.yaml": "kube-apiserver-arg+:\n- audit-log-maxage=30\n",
        },
    )
    with open_bundle(root) as bundle:
        sources = Sources(bundle)
        [server] = sources.get("apiservers")
        assert server["source"] == "rke2-config"
        assert server["feature_gates"] == {"AuthorizeNodeWithSelectors": False}
        assert server["flags"]["audit-log-maxage"] == "30"
        where = sources.cite(server)
        assert where.path.endswith("95-extra.yaml") and where.line == 1
