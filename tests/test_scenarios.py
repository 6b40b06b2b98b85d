"""Each fixture bundle gives the root causes it was written to show, in every form it arrives in."""

from __future__ import annotations

import pytest

from analyzer import analyze
from analyzer.report import Report
from fixtures.scenarios import SCENARIOS
from tests.conftest import make_form

FORMS = ("dir", "zip", "zip-deflated", "tar.gz")


def root_causes(report: Report) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((rc.rule_id, rc.explains) for rc in report.root_causes)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenario_root_causes(scenario, form, book, tmp_path):
    report = analyze(make_form(scenario.name, form, tmp_path), book)
    assert root_causes(report) == scenario.root_causes
    expected_fired = {rid for rid, symptoms in scenario.root_causes} | {
        s for _, symptoms in scenario.root_causes for s in symptoms
    }
    assert {f.rule_id for f in report.fired} == expected_fired
    assert not [f for f in report.findings if f.status == "error"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_every_fired_finding_cites_file_and_line(scenario, book, tmp_path):
    report = analyze(make_form(scenario.name, "zip", tmp_path), book)
    for finding in report.fired:
        assert finding.evidence, finding.rule_id
        for item in finding.evidence:
            assert item.path and item.line and item.line >= 1, (finding.rule_id, item)
            assert item.excerpt


def test_node_zip_entries_are_cited_through_the_zip(book, tmp_path):
    report = analyze(make_form("mixed-upgrade-forbidden", "zip", tmp_path), book)
    paths = [e.path for e in report.finding("node-identity-forbidden").evidence]
    assert paths and all(p == "nodes/hv-node3.zip!/hv-node3/logs/rke2-server.log" for p in paths)
    lines = [e.line for e in report.finding("node-identity-forbidden").evidence]
    assert lines == [5, 6, 7]


def test_gate_override_is_not_blamed(book):
    report = analyze(make_form("mixed-upgrade-gate-override", "dir", None), book)
    assert report.finding("node-authorizer-mixed-versions").status == "pass"
    assert report.finding("node-identity-forbidden").status == "pass"


def test_ga_release_is_not_blamed(book):
    report = analyze(make_form("v150-ga-uniform", "dir", None), book)
    console = report.finding("console-false-notready")
    assert console.status == "skip" and console.skip_kind == "not-applicable"
    assert "v1.5.0" in console.message
    gate = report.finding("node-authorizer-mixed-versions")
    assert gate.status == "skip" and gate.skip_kind == "dependency"
    assert "mixed-node-versions" in gate.message


def test_console_case_names_the_real_gate_and_the_version_limits(book):
    finding = analyze(make_form("rc3-console-notready", "dir", None), book).finding(
        "console-false-notready"
    )
    assert "AuthorizeNodeWithSelectors=false" in finding.remediation
    assert "1.33" in finding.remediation and "1.34" in finding.remediation
    assert "v1.5.0 GA" in finding.remediation
    assert finding.fixed_in == "Harvester v1.5.0"
    # The version gate cites where the Harvester version was read.
    assert finding.evidence[0].path == "yamls/cluster/harvesterhci.io/v1beta1/settings.yaml"
    assert "v1.5.0-rc3" in finding.evidence[0].excerpt


def test_mixed_remediation_depends_on_the_kubernetes_version(book):
    finding = analyze(make_form("mixed-upgrade-forbidden", "dir", None), book).finding(
        "node-authorizer-mixed-versions"
    )
    assert "may be turned off temporarily" in finding.remediation
    assert "hv-node3 v1.31.4+rke2r1" in finding.message
