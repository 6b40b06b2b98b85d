"""The JSON report follows its published schema, for every fixture."""

from __future__ import annotations

import base64
import hashlib
import json
import re
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
    assert document["schema_version"] == "2.1"
    for finding in document["findings"]:
        assert finding["severity"] == finding["severity"].lower()


def test_html_report_is_self_contained(book):
    html = render(analyze(make_form("bogus-gate-workaround", "dir", None), book), "html")
    lower = html.lower()
    assert lower.count("<script") == 1 and "<script>" in lower  # inline, no src
    assert "<link" not in lower and " src=" not in lower and "@import" not in html
    assert re.findall(r"url\((?!#)", html) == []  # only in-page SVG markers
    # The CSP allows exactly the inline style and script, by hash: nothing else can run.
    policy = re.search(r'Content-Security-Policy" content="([^"]+)"', html)[1]
    assert "unsafe-inline" not in policy and "default-src 'none'" in policy
    for tag, directive in (("style", "style-src"), ("script", "script-src")):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL)[1]
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{directive} 'sha256-{digest}'" in policy
