"""--ack FILE: acknowledged findings stay in the report, marked, do not count for --fail-on,
expire after their date (the run time, SOURCE_DATE_EPOCH), and stale entries are reported;
the file is untrusted: every problem is one line naming the file and the field."""

from __future__ import annotations

import json

import jsonschema
import pytest
from junitparser import JUnitXml, Skipped

from analyzer.ack import load_acks
from fixtures.goldens import BUNDLES
from tests.conftest import PROJECT
from tests.test_cli import assert_one_line_error, run

BUNDLE = str(BUNDLES / "expired-certs-node-down")  # fires critical, high and low
SCHEMA = json.loads((PROJECT / "analyzer/render/report.schema.json").read_text())
BOTH = """\
- rule: rke2-certificate-expired
  reason: certificates rotate in the maintenance window
  until: 2024-01-01
- rule: node-not-ready
  match: 'hv-node3'
  reason: "hv-node3 is being replaced <b>*x*</b>"
"""


@pytest.fixture(autouse=True)
def fixed_time(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14


def _ack(tmp_path, text: str, name: str = "acks.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_acknowledged_findings_do_not_fail(capsys, tmp_path):
    assert run(capsys, "analyze", BUNDLE, "-f", "json")[0] == 1
    code, out, _ = run(capsys, "analyze", BUNDLE, "-f", "json", "--ack", _ack(tmp_path, BOTH))
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    marked = {
        f["rule_id"]: f.get("acknowledged") for f in doc["findings"] if f["status"] == "fired"
    }
    assert marked == {
        "rke2-certificate-expired": "certificates rotate in the maintenance window",
        "node-not-ready": "hv-node3 is being replaced <b>*x*</b>",
        "node-zip-missing": None,
    }
    assert doc["acks"] == {"notes": []}
    # Still reported, but as not counting: --fail-on low still fails on the other finding.
    assert run(capsys, "analyze", BUNDLE, "--fail-on", "low", "--ack", _ack(tmp_path, BOTH))[0] == 1


def test_expired_ack_counts_again(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01, after `until`
    code, out, _ = run(capsys, "analyze", BUNDLE, "-f", "json", "--ack", _ack(tmp_path, BOTH))
    assert code == 1
    doc = json.loads(out)
    assert "acknowledged" not in doc["findings"][0]
    assert doc["acks"]["notes"] == [
        "ack #1 (rule rke2-certificate-expired) expired on 2024-01-01: its finding counts again"
    ]


def test_stale_and_unknown_entries_are_reported(capsys, tmp_path):
    text = (
        "- {rule: node-not-ready, match: 'hv-node9', reason: gone}\n"
        "- {rule: ntp-unsynced, reason: fixed long ago}\n"
        "- {rule: no-such-rule, reason: typo}\n"
    )
    code, out, _ = run(capsys, "analyze", BUNDLE, "-f", "md", "--ack", _ack(tmp_path, text))
    assert code == 1  # the pattern matched no object: not acknowledged
    assert "## Acknowledgements to review" in out
    assert "ack #1 (rule node-not-ready match 'hv-node9') matched no fired finding" in out
    assert "ack #2 (rule ntp-unsynced) matched no fired finding" in out
    assert "ack #3 (rule no-such-rule) names no rule of the pack" in out
    assert "acknowledged:" not in out


def test_marked_in_markdown_html_and_junit(capsys, tmp_path):
    acks = _ack(tmp_path, BOTH)
    md = run(capsys, "analyze", BUNDLE, "-f", "md", "--ack", acks)[1]
    assert "**acknowledged:** hv-node3 is being replaced \\<b>\\*x\\*\\</b>" in md
    html = run(capsys, "analyze", BUNDLE, "-f", "html", "--ack", acks)[1]
    assert "acknowledged:</strong> hv-node3 is being replaced &lt;b&gt;*x*&lt;/b&gt;" in html
    xml = JUnitXml.fromstring(run(capsys, "analyze", BUNDLE, "-f", "junit", "--ack", acks)[1])
    results = {c.name: c.result for s in xml for c in s}
    skipped = results["node-not-ready"][0]
    assert isinstance(skipped, Skipped)
    assert skipped.message == "acknowledged: hv-node3 is being replaced <b>*x*</b>"
    assert sum(s.failures for s in xml) == 1  # node-zip-missing only


def test_same_input_same_report(capsys, tmp_path):
    acks = _ack(tmp_path, BOTH + "- {rule: ntp-unsynced, reason: x}\n")
    first = run(capsys, "analyze", BUNDLE, "-f", "json", "--ack", acks)[1]
    assert run(capsys, "analyze", BUNDLE, "-f", "json", "--ack", acks)[1] == first


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rule: x\nreason: y\n", "expected a list"),
        ("- rule: x\n", "entry 1: field 'reason' is required"),
        ("- {rule: x, reason: y, colour: red}\n", "entry 1: field 'colour' unknown"),
        ("- {rule: x, reason: y}\n- {rule: 3, reason: y}\n", "entry 2: field 'rule' must be text"),
        ("- {rule: x, reason: y, match: '(a'}\n", "entry 1: field 'match'"),
        ("- {rule: x, reason: y, match: '(a)\\1'}\n", "entry 1: field 'match'"),
        ("- {rule: x, reason: y, until: next week}\n", "entry 1: field 'until' must be a date"),
        ("- [rule, x]\n", "entry 1: expected a map"),
        ("- {rule: x, reason: [unclosed\n", "not valid YAML"),
        ("a: &a [1]\nb: [*a, *a]\n", "not valid YAML"),
        ("- {rule: x, reason: " + "y" * 1100 + "}\n", "field 'reason' must be text"),
    ],
)
def test_bad_ack_file_is_one_line_naming_file_and_field(capsys, tmp_path, text, fragment):
    acks = _ack(tmp_path, text)
    code, out, err = run(capsys, "analyze", BUNDLE, "--ack", acks)
    assert code == 2 and out == ""
    assert_one_line_error(err, acks, fragment)


def test_oversized_binary_and_missing_files_refused(capsys, tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (1024 * 1024 + 1))
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"- rule: \xff\xfe\n")
    for path, fragment in (
        (big, "larger than"),
        (binary, "not valid YAML"),
        (tmp_path / "absent.yaml", "cannot read"),
    ):
        assert_one_line_error(run(capsys, "analyze", BUNDLE, "--ack", str(path))[2], fragment)


def test_backtracking_pattern_runs_in_re2(tmp_path):
    # Exponential in a backtracking engine on a long "aaaa...!" subject; linear in RE2.
    path = tmp_path / "a.yaml"
    path.write_text("- {rule: x, reason: y, match: '^(a+)+$'}\n", encoding="utf-8")
    (ack,) = load_acks(path)
    assert ack.match.search("a" * 50_000 + "!") is None


def test_empty_file_is_no_acks(tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text("# nothing yet\n", encoding="utf-8")
    assert load_acks(path) == ()


def test_text_summary_marks_the_acknowledged_root_cause(capsys, tmp_path):
    acks = _ack(
        tmp_path, '- {rule: rke2-certificate-expired, reason: "rotation\\x1b[2J planned"}\n'
    )
    out = run(capsys, "analyze", BUNDLE, "-f", "text", "--ack", acks)[1]
    assert "acknowledged: rotation [2J planned" in out
    assert "\x1b" not in out
