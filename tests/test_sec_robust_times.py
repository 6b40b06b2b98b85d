"""A log line cannot switch a rule off (issue 10, item 13): a ``time=`` outside what datetime
holds leaves that line without a time, and the rule still fires."""

from __future__ import annotations

import shutil

import pytest

from analyzer import analyze
from analyzer.bundle.timestamps import iso, line_time, parse_rfc3339
from fixtures.goldens import BUNDLES


@pytest.mark.parametrize(
    "text",
    [
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "9999-12-31T23:59:59.999999-23:59",
    ],
)
def test_times_outside_datetime_are_no_time(text):
    assert parse_rfc3339(text) is None
    assert line_time(f'time="{text}" level=error msg="x"', None) is None


def test_journal_lines_of_a_bundle_made_at_the_end_of_time():
    end = parse_rfc3339("9999-12-31T23:59:59Z")
    assert iso(line_time("Dec 31 10:00:00 node rke2[1]: x", end)) == "9999-12-31T10:00:00Z"
    start = parse_rfc3339("0001-01-01T00:00:00Z")
    assert iso(start) == "0001-01-01T00:00:00Z"
    assert line_time("Dec 31 10:00:00 node rke2[1]: x", start) is None


def test_an_out_of_range_log_time_leaves_the_line_without_one_and_the_rule_fires(tmp_path, book):
    folder = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "rc3-console-notready", folder)
    log = folder / "nodes" / "hv-node2" / "logs" / "rancherd.log"
    log.write_text(
        'time="0001-01-01T00:00:00+05:00" level=error msg="response hash (abc) does not match"\n'
        'time="9999-12-31T23:59:59-05:00" level=error msg="response hash (def) does not match"\n'
    )
    report = analyze(folder, book)
    finding = report.finding("rancherd-plan-hash-mismatch")
    assert finding.status == "fired", finding.message
    assert [e.time for e in finding.evidence if e.path.endswith("rancherd.log")] == [None, None]
