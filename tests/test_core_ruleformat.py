"""`within:` on log matchers and facts, and one matcher over several log sources (issue 11,
item 8)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from analyzer import analyze
from analyzer.explain import explain, render_explanation
from analyzer.query import OPTIONS, compile_query
from analyzer.rulebook import check_rules, default_rules_dir, load_rules
from analyzer.rulefacts import Fact, Window, parse_duration
from analyzer.sources import logs, open_sources
from fixtures.goldens import BUNDLES

# kube-vip-dhcp-conflict was made at 2025-05-20T08:00:00Z
OLD = "2025-05-18T08:00:00Z PROBE-FAIL old"  # two days before
RECENT = "2025-05-20T07:00:00Z PROBE-FAIL recent"  # an hour before
UNDATED = "PROBE-FAIL undated"
POD_LOG = "logs/kube-system/probe-x/probe.log"
NODE_LOG = "nodes/hv-node1/logs/probe.log"

RULE = """id: probe
title: Probe
severity: info
description: A test rule.
logs:
  - name: hits
{matcher}
    pattern: 'PROBE-FAIL (?P<what>\\w+)'
    optional: true
when: hits
message: "{{{{ hits | length }}}}: {{{{ hits | map(attribute='groups.what') | join(',') }}}}"
remediation: Nothing.
"""


def bundle_with(tmp_path: Path, lines: dict[str, list[str]], metadata: bool = True) -> Path:
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "kube-vip-dhcp-conflict", bundle)
    for path, text in lines.items():
        (bundle / path).parent.mkdir(parents=True, exist_ok=True)
        (bundle / path).write_text("\n".join(text) + "\n")
    if not metadata:
        (bundle / "metadata.yaml").unlink()
    return bundle


def pack_with(tmp_path: Path, matcher: str, facts: str = "") -> Path:
    pack = tmp_path / "pack"
    (pack / "local").mkdir(parents=True)
    rule = RULE.format(matcher=matcher)
    if facts:
        rule = rule.replace("when: hits", f"facts:\n{facts}when: hits")
    (pack / "local" / "probe.yaml").write_text(rule)
    return pack


def message(bundle: Path, pack: Path) -> str:
    finding = next(f for f in analyze(bundle, load_rules(pack)).findings if f.rule_id == "probe")
    return finding.message if finding.status == "fired" else finding.status


def problems(pack: Path) -> list[str]:
    return check_rules(pack)[1]


@pytest.mark.parametrize(
    ("text", "span"),
    [("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7))],
)
def test_a_duration_is_a_whole_number_and_a_unit(text, span):
    assert parse_duration(text) == span


@pytest.mark.parametrize("text", ["24", "1.5h", "0h", "1 day", "-2h", 24, None])
def test_anything_else_is_not_a_duration(text):
    assert parse_duration(text) is None


def test_within_keeps_recent_and_undated_lines_and_drops_old_ones(tmp_path):
    bundle = bundle_with(tmp_path, {POD_LOG: [OLD, RECENT, UNDATED]})
    matcher = '    source: pod_logs\n    files: ["kube-system/probe-*/*.log"]\n    within: 24h'
    assert message(bundle, pack_with(tmp_path, matcher)) == "2: recent,undated"


def test_min_counts_the_lines_within_the_window(tmp_path):
    bundle = bundle_with(tmp_path, {POD_LOG: [OLD, OLD, RECENT]})
    matcher = (
        '    source: pod_logs\n    files: ["kube-system/probe-*/*.log"]\n    within: 24h\n'
        "    min: 2"
    )
    assert message(bundle, pack_with(tmp_path, matcher)) == "pass"


def test_without_the_creation_time_the_window_is_not_applied_and_explain_says_so(tmp_path):
    bundle = bundle_with(tmp_path, {POD_LOG: [OLD, RECENT]}, metadata=False)
    matcher = '    source: pod_logs\n    files: ["kube-system/probe-*/*.log"]\n    within: 24h'
    pack = pack_with(tmp_path, matcher)
    assert message(bundle, pack) == "2: old,recent"
    text = render_explanation(explain(bundle, load_rules(pack), "probe"), "text")
    assert "not applied, the bundle's creation time is unknown" in text


def test_within_on_a_fact_filters_its_items_by_the_time_it_names():
    fact = Fact(
        "recent",
        compile_query("items"),
        Window("24h", timedelta(hours=24)),
        compile_query("finished"),
    )
    ages = {"a": 30.0, "b": 2.0, "c": -1.0}  # hours before the bundle's creation
    items = [{"finished": "a"}, {"finished": "b"}, {"finished": "c"}, {"finished": None}]
    kept = fact.value({"items": items}, OPTIONS, lambda t: ages.get(t))
    assert kept == items[1:]


def test_a_fact_with_a_window_over_objects_in_a_rule(tmp_path):
    facts = (
        '  late:\n    query: "nodes[?conditions.Ready.last_heartbeat]"\n    within: 7d\n'
        "    time: conditions.Ready.last_heartbeat\n"
    )
    matcher = '    source: pod_logs\n    files: ["kube-system/probe-*/*.log"]'
    pack = pack_with(tmp_path, matcher, facts)
    rule = load_rules(pack).rules["probe"]
    assert [f.name for f in rule.facts] == ["late"] and rule.facts[0].within.text == "7d"


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        (
            '    source: pod_logs\n    files: ["**"]\n    within: 1 day',
            "logs[0].within: '1 day' is not a duration",
        ),
        (
            '    source: [node_logs, pod_log]\n    files: ["**"]',
            "logs[0].source: 'pod_log' is not one of",
        ),
        (
            "    source: [node_logs, pod_logs]\n    files:\n      node_logs: ['*/x.log']",
            "logs[0].files: no globs for 'pod_logs'",
        ),
        (
            "    source: node_logs\n    files:\n      node_logs: ['*/x.log']\n"
            "      pod_logs: ['**']",
            "logs[0].files.pod_logs: 'pod_logs' is not a source of this matcher",
        ),
    ],
)
def test_lint_reports_misuse_of_within_and_sources(tmp_path, matcher, expected):
    found = problems(pack_with(tmp_path, matcher))
    assert any(expected in line and "local/probe.yaml" in line for line in found), found


def test_lint_reports_a_fact_window_that_is_not_a_duration(tmp_path):
    facts = '  late:\n    query: "nodes"\n    within: soon\n'
    pack = pack_with(tmp_path, '    source: pod_logs\n    files: ["**"]', facts)
    assert any("facts.late.within: 'soon' is not a duration" in p for p in problems(pack))


MULTI = (
    "    source: [node_logs, pod_logs]\n    files:\n      node_logs: ['*/probe.log']\n"
    "      pod_logs: ['kube-system/probe-*/*.log']"
)


def test_one_matcher_reads_node_and_pod_logs_as_one_list(tmp_path):
    bundle = bundle_with(tmp_path, {POD_LOG: [RECENT], NODE_LOG: [UNDATED]})
    pack = pack_with(tmp_path, MULTI + "\n    min: 2")
    assert message(bundle, pack) == "2: recent,undated"
    report = analyze(bundle, load_rules(pack))
    finding = next(f for f in report.findings if f.rule_id == "probe")
    assert {e.path for e in finding.evidence} == {POD_LOG, NODE_LOG}


def test_hits_of_each_source_carry_their_own_origin(tmp_path):
    bundle = bundle_with(tmp_path, {POD_LOG: [RECENT], NODE_LOG: [UNDATED]})
    rule = load_rules(pack_with(tmp_path, MULTI)).rules["probe"]
    with open_sources(bundle) as src:
        found = logs.scan(src, {"k": rule.logs[0]}, 1, lambda: None, lambda d, t: None)
        records = logs.hit_records(src, found["k"])
    origins = {r["groups"]["what"]: r for r in records}
    assert origins["recent"]["namespace"] == "kube-system" and "node" not in origins["recent"]
    assert origins["undated"]["node"] == "hv-node1"


def test_the_log_plan_reads_each_file_once_for_a_matcher_over_two_sources(tmp_path):
    bundle = bundle_with(tmp_path, {POD_LOG: [RECENT], NODE_LOG: [UNDATED]})
    rule = load_rules(pack_with(tmp_path, MULTI)).rules["probe"]
    with open_sources(bundle) as src:
        wanted, results = logs.plan(src, {"k": rule.logs[0]})
    assert sorted(wanted) == sorted(p for p in wanted if p.endswith("probe.log"))
    assert len(wanted) == 2 and results["k"].files == 2
    assert set(results["k"].source_of.values()) == {"node_logs", "pod_logs"}


def test_a_matcher_with_no_file_in_any_source_names_each(tmp_path):
    bundle = bundle_with(tmp_path, {})
    matcher = MULTI.replace("probe-*", "absent-*").replace("*/probe.log", "*/absent.log")
    pack = pack_with(tmp_path, matcher.replace("optional: true", ""))
    (pack / "local" / "probe.yaml").write_text(
        (pack / "local" / "probe.yaml").read_text().replace("    optional: true\n", "")
    )
    finding = next(f for f in analyze(bundle, load_rules(pack)).findings if f.rule_id == "probe")
    assert finding.status == "skip"
    assert "no node_logs file matches */absent.log" in finding.message
    assert "no pod_logs file matches kube-system/absent-*/*.log" in finding.message


def test_the_shipped_rules_no_longer_type_the_age_filter_on_log_times():
    for path in default_rules_dir().rglob("*.yaml"):
        assert "age_hours(time)" not in path.read_text(), path


def test_the_shipped_rules_have_no_matcher_copied_per_source():
    for rule in load_rules().rules.values():
        patterns = [m.pattern for m in rule.logs]
        assert len(patterns) == len(set(patterns)), rule.id
