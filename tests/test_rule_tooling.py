"""`bundle-analyzer rules ...` and `analyze --explain`: the rule author's tools."""

from __future__ import annotations

import shutil
from pathlib import Path

from analyzer.cli import main
from analyzer.rulebook import default_rules_dir, load_rules
from analyzer.ruledocs import rule_reference
from fixtures.goldens import BUNDLES
from tests.conftest import PROJECT


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def copy_pack(tmp_path: Path) -> Path:
    """The rule pack with its fixtures beside it, as a rule author's checkout has them."""
    shutil.copytree(PROJECT / "rules", tmp_path / "rules")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "bundles").symlink_to(BUNDLES)
    return tmp_path / "rules"


def test_list(capsys):
    code, out, _ = run(capsys, "rules", "list")
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("console-false-notready"))
    assert line.split()[1:3] == ["high", "harvester"]
    assert len(out.splitlines()) == len(load_rules(default_rules_dir()).rules)


def test_lint_passes_on_the_shipped_pack(capsys):
    code, out, _ = run(capsys, "rules", "lint")
    assert code == 0 and "no problem" in out


def test_lint_catches_a_broken_rule_a_cycle_and_a_rule_without_tests(capsys, tmp_path):
    rules = copy_pack(tmp_path)
    broken = rules / "kubernetes" / "dns-failures.yaml"
    broken.write_text(broken.read_text().replace("severity: medium", "severity: medum"))
    cyclic = rules / "bundle" / "node-zip-missing.yaml"
    cyclic.write_text(
        cyclic.read_text().replace("severity: low", "severity: low\nexplains: [node-not-ready]")
    )
    (rules / "rancher" / "cluster-agent-registration.test.yaml").unlink()
    code, out, err = run(capsys, "rules", "lint", "--rules", str(rules))
    assert code == 1
    assert (
        "rules/kubernetes/dns-failures.yaml -> severity: 'medum' is not one of critical, high, "
        "medium, low, info"
    ) in out
    assert (
        "rules/kubernetes/node-not-ready.yaml -> explains: cycle node-not-ready -> "
        "node-zip-missing -> node-not-ready"
    ) in out
    assert out.count("\n") == 2 and "2 problems" in err  # cases are checked once rules load
    broken.write_text(broken.read_text().replace("severity: medum", "severity: medium"))
    cyclic.write_text(cyclic.read_text().replace("\nexplains: [node-not-ready]", ""))
    code, out, _ = run(capsys, "rules", "lint", "--rules", str(rules))
    assert code == 1
    assert out.strip() == (
        "rules/rancher/cluster-agent-registration.yaml: no test cases "
        "(cluster-agent-registration.test.yaml is missing)"
    )


def test_lint_wants_a_firing_and_a_quiet_case(capsys, tmp_path):
    rules = copy_pack(tmp_path)
    cases = rules / "bundle" / "collection-errors.test.yaml"
    text = cases.read_text()
    cases.write_text(text[: text.index("  - name: quiet-on-the-benign-lines")])
    code, out, _ = run(capsys, "rules", "lint", "--rules", str(rules))
    assert code == 1
    assert "rules/bundle/collection-errors.test.yaml: no case where the rule does not fire" in out


def test_test_reports_a_failing_case_and_why(capsys, tmp_path):
    rules = copy_pack(tmp_path)
    rule = rules / "kubernetes" / "node-not-ready.yaml"
    rule.write_text(rule.read_text().replace("nodes[?ready != 'True']", "nodes[?ready == 'Nope']"))
    code, out, err = run(capsys, "rules", "test", "node-not-ready", "--rules", str(rules))
    assert code == 1
    assert "FAIL node-not-ready::fires-as-root-cause-on-its-own: expected fired, got pass" in out
    assert "PASS node-not-ready::quiet-when-every-node-is-ready" in out
    assert "1 passed, 3 failed" in err


def test_test_unknown_rule_is_a_usage_error(capsys):
    code, _, err = run(capsys, "rules", "test", "no-such-rule")
    assert code == 2 and "unknown rule id: no-such-rule" in err


def test_graph_in_both_formats(capsys):
    code, out, _ = run(capsys, "rules", "graph")
    assert code == 0 and out.startswith("flowchart LR")
    assert "replica_failed -->|explains| volume_faulted" in out
    assert "mixed_node_versions -.->|required by| node_authorizer_mixed_versions" in out
    code, out, _ = run(capsys, "rules", "graph", "-f", "dot")
    assert out.startswith("digraph rules {") and out.rstrip().endswith("}")
    assert '"kube-vip-crash" -> "vip-not-assigned" [label="explains"];' in out


def test_rule_reference_is_current():
    committed = (PROJECT / "docs" / "rules.md").read_text()
    assert committed == rule_reference(load_rules(default_rules_dir())), (
        "docs/rules.md is stale: run `bundle-analyzer rules docs`"
    )


def test_docs_to_stdout(capsys):
    code, out, _ = run(capsys, "rules", "docs", "-o", "-")
    assert code == 0 and out.startswith("# Rule reference")


def test_explain_shows_values_sources_and_the_verdict(capsys):
    code, out, _ = run(
        capsys,
        "analyze",
        str(BUNDLES / "rc3-console-notready"),
        "--explain",
        "console-false-notready",
    )
    assert code == 0
    assert out.startswith(
        "console-false-notready (rules/harvester/console-false-notready.yaml): fired"
    )
    assert (
        "applies_to.harvester >=1.5.0-rc2, <1.5.0: cluster runs v1.5.0-rc3 "
        "(yamls/cluster/harvesterhci.io/v1beta1/settings.yaml:"
    ) in out
    assert "when.all[1].not (false): not_ready" in out
    assert "when.all[1] (true): not" in out
    assert (
        "Pod kube-system/kube-apiserver-hv-node1: no --feature-gates flag (yamls/namespaced/" in out
    )
    assert "=> fired: All 3 nodes are Ready" in out


def test_explain_a_rule_that_did_not_apply(capsys):
    code, out, _ = run(
        capsys, "analyze", str(BUNDLES / "v150-ga-uniform"), "--explain", "console-false-notready"
    )
    assert code == 0
    assert out.strip().endswith(
        "=> skip: applies to Harvester >=1.5.0-rc2, <1.5.0; the cluster runs v1.5.0"
    )


def test_explain_unknown_rule(capsys):
    code, _, err = run(capsys, "analyze", str(BUNDLES / "v150-ga-uniform"), "--explain", "nope")
    assert code == 2 and "no rule 'nope'" in err
