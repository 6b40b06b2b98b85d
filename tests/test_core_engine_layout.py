"""Where each source comes from is a layout map: candidate paths in order of preference."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from analyzer.bundle import open_bundle
from analyzer.sources import Sources
from analyzer.sources.layout import SUPPORT_BUNDLE_KIT, Layout

LAYOUT = Layout(
    name="test",
    yamls="yamls",
    nodes="nodes",
    pod_logs="logs/",
    node_logs="logs/",
    files={"meta": ("meta/new.yaml", "meta/old.yaml"), "conf": ("c.yaml", "c.d/*.y*ml")},
)


def test_first_file_takes_the_first_candidate_present() -> None:
    assert LAYOUT.first_file("meta", ["meta/old.yaml", "meta/new.yaml"]) == "meta/new.yaml"
    assert LAYOUT.first_file("meta", ["meta/old.yaml"]) == "meta/old.yaml"
    assert LAYOUT.first_file("meta", ["x"]) is None


def test_glob_files_keeps_candidate_order_then_name_order() -> None:
    prefix = "nodes/n[1].zip!/n[1]/"  # a node name is text, not a pattern
    present = [prefix + p for p in ("c.d/b.yml", "c.d/a.yaml", "c.yaml", "c.d/z.txt")]
    assert LAYOUT.glob_files("conf", present, prefix) == [
        prefix + "c.yaml",
        prefix + "c.d/a.yaml",
        prefix + "c.d/b.yml",
    ]


def test_another_layout_is_another_map_not_other_code(tmp_path: Path) -> None:
    nodes = tmp_path / "yamls" / "cluster" / "v1" / "nodes.yaml"  # makes it a bundle
    nodes.parent.mkdir(parents=True)
    nodes.write_text("items: []\n")
    (tmp_path / "info").mkdir()
    (tmp_path / "info" / "bundle.yaml").write_text("bundleName: elsewhere\n")
    files = {**SUPPORT_BUNDLE_KIT.files, "metadata": ("metadata.yaml", "info/bundle.yaml")}
    with open_bundle(tmp_path) as bundle:
        sources = Sources(bundle, replace(SUPPORT_BUNDLE_KIT, files=files))
        metadata = sources.get("metadata")
        assert metadata["bundlename"] == "elsewhere"
        assert sources.cite(metadata).path == "info/bundle.yaml"
