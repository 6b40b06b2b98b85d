"""The sources table of docs/rule-format.md is generated from the registries."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.ruledocs import with_sources_table
from analyzer.sources import LOG_SOURCES, SOURCES, sources_table

RULE_FORMAT = Path(__file__).resolve().parent.parent / "docs" / "rule-format.md"


def test_the_sources_table_in_the_docs_is_the_registrys() -> None:
    text = RULE_FORMAT.read_text()
    assert with_sources_table(text) == text, (
        "docs/rule-format.md's sources table is stale: run `python -m fixtures`"
    )


def test_every_registered_source_has_a_row() -> None:
    table = sources_table()
    for name in [*SOURCES, *LOG_SOURCES]:
        assert f"| `{name}`" in table


def test_a_doc_without_the_markers_is_refused() -> None:
    with pytest.raises(ValueError, match="sources:begin"):
        with_sources_table("# no table here\n")
