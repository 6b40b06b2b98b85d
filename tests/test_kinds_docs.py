"""The bundle kinds' tables of docs/rule-format.md are generated from the layouts, and the
README names every kind."""

from __future__ import annotations

from analyzer.bundle import kinds
from analyzer.layoutdocs import LAYOUTS_MARKERS, layout_tables, readable
from analyzer.sources.layouts import LAYOUTS
from tests.conftest import PROJECT


def test_the_bundle_kinds_tables_are_current():
    document = (PROJECT / "docs" / "rule-format.md").read_text()
    begin, end = LAYOUTS_MARKERS
    generated = document.split(begin + "\n", 1)[1].split(end, 1)[0]
    assert generated == layout_tables() + "\n", (
        "docs/rule-format.md is stale: run `bundle-analyzer rules docs`"
    )


def test_every_kind_has_a_layout_a_table_and_a_readme_line():
    tables = layout_tables()
    readme = (PROJECT / "README.md").read_text()
    for kind in kinds.KINDS:
        assert kind in LAYOUTS
        assert f"(`{kind}`)" in tables
        assert f"`{kind}`" in readme.split("## Bundle kinds", 1)[1]


def test_paths_read_as_people_write_them():
    assert readable(r"cluster-resources/(?P<plural>[a-z-]+)/(?P<ns>[^/]+)\.json") == (
        "cluster-resources/<plural>/<ns>.json"
    )
    assert readable(r"x/(?P<plural>nodes|volumeattachments)\.(?:json|yaml)") == (
        "x/{nodes,volumeattachments}.{json,yaml}"
    )
