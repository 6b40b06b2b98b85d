"""-f junit: one suite per rule category, one case per rule, read back with junitparser (the
parser CI reporters use) and ElementTree; hostile text stays well-formed XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped

from analyzer import analyze
from analyzer.render import render
from analyzer.render.junit import render_junit
from fixtures.goldens import BUNDLES
from tests.conftest import REAL_BUNDLE
from tests.test_cli import run


@pytest.fixture(scope="module")
def report(book):
    return analyze(BUNDLES / "expired-certs-node-down", book)


def _cases(xml_text: str, path) -> dict[str, tuple[str, object]]:
    path.write_text(xml_text, encoding="utf-8")
    cases = {}
    for suite in JUnitXml.fromfile(str(path)):
        for case in suite:
            results = case.result
            cases[case.name] = (suite.name, results[0] if results else None)
    return cases


def test_each_rule_a_case_in_its_category_suite(report, tmp_path):
    cases = _cases(render(report, "junit"), tmp_path / "r.xml")
    assert len(cases) == len(report.findings)
    for finding in report.findings:
        suite, result = cases[finding.rule_id]
        assert suite == finding.category
        if finding.status == "fired":
            assert isinstance(result, Failure)
            assert result.message == finding.message
            assert result.type == finding.severity
            assert finding.evidence[0].excerpt in result.text
        elif finding.status == "skip":
            assert isinstance(result, Skipped)
            assert result.message == finding.message
        else:
            assert result is None, finding.rule_id
    xml = JUnitXml.fromfile(str(tmp_path / "r.xml"))
    fired = len(report.fired)
    assert fired > 0
    assert sum(s.failures for s in xml) == fired
    assert sum(s.tests for s in xml) == len(report.findings)


def test_error_is_error_and_hostile_text_is_well_formed(report, tmp_path):
    hostile = "a\x00b\x1b[31mred\x08 \ud800 \uffff ]]> <x/> & \u202e end"
    findings = list(report.findings)
    first = next(i for i, f in enumerate(findings) if f.fired)
    findings[first] = replace(findings[first], message=hostile, title=hostile)
    findings[-1] = replace(findings[-1], status="error", message="rule broke: " + hostile)
    text = render_junit(replace(report, findings=tuple(findings)))
    ET.fromstring(text.encode("utf-8"))  # well-formed XML 1.0
    cases = _cases(text, tmp_path / "h.xml")
    failure = cases[findings[first].rule_id][1]
    assert isinstance(failure, Failure)
    assert "\x00" not in failure.message and "\x1b" not in failure.message
    assert "\u2039U+0000\u203a" in failure.message and "]]> <x/> &" in failure.message
    assert "\u2039U+202E\u203a" in failure.message
    assert isinstance(cases[findings[-1].rule_id][1], Error)


def test_cli_xml_extension_writes_junit_deterministically(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    bundle = str(BUNDLES / "expired-certs-node-down")
    code, _, _ = run(capsys, "analyze", bundle, "-o", str(tmp_path / "a.xml"))
    assert code == 1
    code, out, _ = run(capsys, "analyze", bundle, "-f", "JUnit", "--fail-on", "none")
    assert code == 0
    assert (tmp_path / "a.xml").read_text(encoding="utf-8") == out
    assert 'timestamp="2023-11-14T22:13:20"' in out
    JUnitXml.fromstring(out)


def test_explain_refuses_junit(capsys):
    code, _, err = run(
        capsys,
        "analyze",
        str(BUNDLES / "healthy-v161"),
        "--explain",
        "node-not-ready",
        "-f",
        "junit",
    )
    assert code == 2 and "junit" in err


def test_real_bundle_as_junit(book, tmp_path):
    if not REAL_BUNDLE.exists():
        pytest.skip(
            f"the shared real bundle is absent ({REAL_BUNDLE}); it lives outside the project"
        )
    report = analyze(REAL_BUNDLE, book)
    cases = _cases(render(report, "junit"), tmp_path / "real.xml")
    assert len(cases) == len(report.findings)
