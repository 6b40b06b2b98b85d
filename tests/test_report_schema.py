"""The JSON report follows its published schema, for every fixture."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest

from analyzer import analyze, render
from fixtures.scenarios import SCENARIOS
from tests.conftest import make_form


@pytest.fixture(scope="module")
def schema() -> dict:
    text = resources.files("analyzer").joinpath("render/report.schema.json").read_text()
    return json.loads(text)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_json_report_matches_schema(scenario, schema, book):
    document = json.loads(render(analyze(make_form(scenario.name, "dir", None), book), "json"))
    jsonschema.validate(document, schema)
    assert document["schema_version"] == "1.3"
    for finding in document["findings"]:
        assert finding["severity"] == finding["severity"].lower()


def test_html_report_is_self_contained(book):
    html = render(analyze(make_form("bogus-gate-workaround", "dir", None), book), "html")
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html
    assert "Content-Security-Policy" in html
