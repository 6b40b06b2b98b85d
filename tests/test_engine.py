"""Outcomes of evaluation: skips name their reason, errors stay with their rule, folding."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from analyzer import analyze, load_rules
from fixtures.goldens import BUNDLES


def pack(tmp_path: Path, **rules: str) -> Path:
    root = tmp_path / "rules"
    for rule_id, body in rules.items():
        path = root / "test" / f"{rule_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        head = f"id: {rule_id}\ntitle: {rule_id}\ndescription: d\nremediation: r\n"
        path.write_text(head + textwrap.dedent(body))
    return root


def outcome(tmp_path: Path, bundle: str, **rules: str) -> dict:
    report = analyze(BUNDLES / bundle, load_rules(pack(tmp_path, **rules)))
    return {f.rule_id: f for f in report.findings} | {"_report": report}


def test_runtime_error_is_reported_for_that_rule_only(tmp_path):
    found = outcome(
        tmp_path,
        "healthy-v161",
        broken="""\
            severity: high
            when: "nodes"
            message: "{{ nodes[0].no_such_field }}"
            """,
        typeerror="""\
            severity: high
            when: "length(nodes[0].ready) > `1` && abs(nodes[0].name) > `1`"
            message: m
            """,
        fine="""\
            severity: low
            when: "nodes"
            message: "{{ nodes | length }} nodes"
            """,
    )
    assert found["broken"].status == "error"
    assert found["broken"].message.startswith("rule broken (rules/test/broken.yaml) failed: ")
    assert "no_such_field" in found["broken"].message
    assert found["typeerror"].status == "error" and "abs()" in found["typeerror"].message
    assert found["fine"].status == "fired" and found["fine"].message == "3 nodes"


def test_skips_name_the_missing_input_and_the_dependency(tmp_path):
    found = outcome(
        tmp_path,
        "healthy-v161",
        **{
            "needs-volumes": """\
            severity: high
            when: 'objects."longhorn.io/volumes@cattle-monitoring-system"'
            message: m
            """
        },
        **{
            "needs-logs": """\
            severity: high
            logs:
              - {name: hits, source: pod_logs, files: "*/*/*.log", pattern: x}
            when: hits
            message: m
            """
        },
        base="""\
            severity: high
            when: "length(nodes) > `5`"
            message: m
            """,
        dependent="""\
            severity: high
            requires: {rules: [base]}
            when: nodes
            message: m
            """,
    )
    assert found["needs-volumes"].skip_kind == "missing-input"
    assert "namespace cattle-monitoring-system was not collected" in found["needs-volumes"].message
    assert found["needs-logs"].message == "the bundle has no pod logs (logs/)"
    assert found["dependent"].skip_kind == "dependency"
    assert found["dependent"].message == "needs base, which did not fire (pass)"


def test_optional_sources_read_as_null(tmp_path):
    bundle = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "healthy-v161", bundle)
    shutil.rmtree(bundle / "nodes")
    rules = pack(
        tmp_path,
        strict="""\
            severity: low
            when: "length(harvester_release) == `0`"
            message: m
            """,
        lenient="""\
            severity: low
            requires: {optional: [harvester_release]}
            when: "harvester_release == `null`"
            message: "no node zips"
            """,
    )
    report = analyze(bundle, load_rules(rules))
    assert report.finding("strict").message == "the bundle has no node zips (nodes/<node>.zip)"
    assert report.finding("lenient").status == "fired"
    assert all(not n.has_node_zip for n in report.bundle.nodes)


def test_log_minimum_count(tmp_path):
    common = """\
        severity: medium
        logs:
          - name: denied
            source: node_logs
            files: "*/rke2-server.log"
            pattern: 'system:node:(?P<node>[a-z0-9-]+)'
            min: {min}
        when: denied
        message: "{{{{ denied | length }}}} lines from {{{{ denied[0].node }}}}"
        """
    found = outcome(
        tmp_path, "mixed-upgrade-forbidden", three=common.format(min=3), four=common.format(min=4)
    )
    assert found["three"].status == "fired" and found["three"].message == "3 lines from hv-node3"
    assert found["four"].status == "pass"


def test_default_evidence_is_what_the_true_leaves_read(tmp_path):
    found = outcome(
        tmp_path,
        "mixed-upgrade-forbidden",
        old="""\
            severity: medium
            facts:
              old: "nodes[?kubelet_version == 'v1.31.4+rke2r1']"
            when:
              all:
                - old
                - not: "nodes[?ready != 'True']"
            message: m
            """,
    )
    [evidence] = found["old"].evidence
    assert evidence.path == "yamls/cluster/v1/nodes.yaml" and "hv-node3" in evidence.excerpt


def test_symptoms_fold_transitively_and_rank_by_reach_then_severity(tmp_path):
    # docs/rule-format.md "How ranking works": what explains more comes first, even when
    # less severe (the medium cause before the high loner, middle before the critical leaf).
    fire = 'when: "nodes"\nmessage: m\n'
    found = outcome(
        tmp_path,
        "healthy-v161",
        cause=f"severity: medium\nexplains: [middle]\n{fire}",
        middle=f"severity: medium\nexplains: [leaf]\n{fire}",
        leaf=f"severity: critical\n{fire}",
        loner=f"severity: high\n{fire}",
        quiet='severity: high\nexplains: [loner]\nwhen: "`false`"\nmessage: m\n',
    )
    report = found["_report"]
    assert [(rc.rule_id, rc.explains) for rc in report.root_causes] == [
        ("cause", ("middle", "leaf")),
        ("loner", ()),
    ]
    assert found["leaf"].explained_by == ("middle",)
    assert found["middle"].explains == ("leaf",)
