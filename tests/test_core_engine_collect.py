"""What to collect next: from the rules marked ``collect``, and from the logs a rule lacked."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from analyzer import analyze, load_rules
from analyzer.errors import RuleError
from fixtures.goldens import BUNDLES


def _pack(tmp_path: Path, folder: str, **rules: str) -> Path:
    root = tmp_path / "rules"
    for rule_id, body in rules.items():
        path = root / folder / f"{rule_id}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        head = f"id: {rule_id}\ntitle: {rule_id}\ndescription: d\nseverity: low\n"
        path.write_text(head + textwrap.dedent(body))
    return root


def test_a_rule_marked_collect_is_listed_whatever_its_folder(tmp_path: Path) -> None:
    rules = _pack(
        tmp_path,
        "kubernetes",
        gap='collect: true\nwhen: "nodes"\nmessage: "the gap"\nremediation: "get it"\n',
        other='when: "nodes"\nmessage: "not a gap"\nremediation: "fix it"\n',
    )
    report = analyze(BUNDLES / "healthy-v161", load_rules(rules))
    assert [(h.missing, h.how, h.rule_ids) for h in report.collect_next] == [
        (("the gap",), "get it", ("gap",))
    ]


def test_a_rule_in_the_bundle_folder_is_not_a_gap_unless_marked(tmp_path: Path) -> None:
    rules = _pack(tmp_path, "bundle", plain='when: "nodes"\nmessage: "m"\nremediation: "r"\n')
    assert analyze(BUNDLES / "healthy-v161", load_rules(rules)).collect_next == ()


def test_collect_must_be_a_boolean(tmp_path: Path) -> None:
    rules = _pack(
        tmp_path, "bundle", odd='collect: "yes"\nwhen: "nodes"\nmessage: "m"\nremediation: "r"\n'
    )
    with pytest.raises(RuleError, match=r"odd\.yaml -> collect: must be true or false"):
        load_rules(rules)


def test_rules_that_lack_a_namespaces_pod_logs_say_what_to_collect(book) -> None:
    """The kube-vip-dhcp-conflict bundle, like the real one, has no kube-system pod logs."""
    report = analyze(BUNDLES / "kube-vip-dhcp-conflict", book)
    hints = {h.rule_ids: h for h in report.collect_next}
    # every rule that reads kube-system pod logs shares the hint (more come with the pack)
    kube_system = next(
        h for ids, h in hints.items() if {"dns-failures", "etcd-slow-disk"} <= set(ids)
    )
    assert "kubectl -n kube-system logs" in kube_system.how
    assert all("no pod logs of kube-system" in m for m in kube_system.missing)


def test_the_real_bundle_says_what_to_collect_for_its_missing_pod_logs(real_bundle, book) -> None:
    report = analyze(real_bundle, book)
    listed = {rule_id for hint in report.collect_next for rule_id in hint.rule_ids}
    assert {"cluster-agent-registration", "dns-failures", "etcd-slow-disk"} <= listed
