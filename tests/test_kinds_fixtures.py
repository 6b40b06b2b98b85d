"""The fixture bundles of the other kinds: packed as users receive them, each gives its root
cause with evidence at file:line in every report format, folder or archive alike."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analyzer import analyze
from analyzer.render import FORMATS, render
from fixtures.goldens import BUNDLES, GOLDEN_NOW
from fixtures.otherformats import OTHER_FIXTURES, pack_other


@pytest.mark.parametrize("fixture", OTHER_FIXTURES, ids=lambda f: f.name)
def test_each_kind_gives_its_root_cause_with_evidence(fixture, book, tmp_path):
    packed = pack_other(fixture, BUNDLES / fixture.name, tmp_path)
    report = analyze(packed, book, now=GOLDEN_NOW)
    roots = [f.rule_id for f in report.fired if not f.explained_by]
    assert roots == list(fixture.root_causes)
    for finding in report.fired:
        assert finding.evidence and all(e.line for e in finding.evidence), finding.rule_id
    for fmt in FORMATS:
        text = render(report, fmt)
        for root in fixture.root_causes:
            assert root in text, (fmt, root)
    # The unpacked folder reads the same (its name carries no date: the cause stays).
    again = analyze(BUNDLES / fixture.name, book, now=GOLDEN_NOW)
    assert [f.rule_id for f in again.fired] == [f.rule_id for f in report.fired]


def test_the_crash_loop_cites_the_previous_containers_last_line(book, tmp_path):
    [fixture] = [f for f in OTHER_FIXTURES if f.name == "troubleshoot-lists"]
    report = analyze(pack_other(fixture, BUNDLES / fixture.name, tmp_path), book)
    crash = report.finding("crash-looping-pods")
    previous = "cluster-resources/pods/logs/shop/api-7d9f6c5b8-x2k4p/api-previous.log"
    assert any(e.path == previous and e.line == 2 for e in crash.evidence)
    assert "connection refused" in crash.message


def test_the_harvester_rules_do_not_apply_to_a_longhorn_bundle(book, tmp_path):
    [fixture] = [f for f in OTHER_FIXTURES if f.name == "longhorn-legacy-faulted"]
    report = analyze(pack_other(fixture, BUNDLES / fixture.name, tmp_path), book)
    for rule_id in ("upgrade-stuck", "vm-paused", "node-zip-missing"):
        assert report.finding(rule_id).skip_kind == "not-applicable", rule_id
    assert report.finding("volume-faulted").status == "fired"


def test_the_cli_exit_code_says_a_problem_was_found(tmp_path):
    [fixture] = [f for f in OTHER_FIXTURES if f.name == "troubleshoot-arrays"]
    packed = pack_other(fixture, BUNDLES / fixture.name, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "analyzer", "analyze", str(packed), "-f", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode not in (0, 2), done.stderr
    assert '"image-pull-failure"' in done.stdout
