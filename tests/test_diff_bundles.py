"""`diff OLD NEW` on fixture pairs: before and after an upgrade, a failure and its fix, a
bundle and itself; warnings, unevaluated rules, object changes, hostile text."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timezone

import jsonschema
import pytest
import yaml

from analyzer import analyze
from analyzer.diff import diff_bundles
from analyzer.render.diff import render_diff
from fixtures.diffpairs import DIFF_SCENARIOS
from fixtures.goldens import BUNDLES
from tests.conftest import PROJECT, REAL_BUNDLE, make_form
from tests.test_cli import assert_one_line_error, run

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)
SCHEMA = json.loads((PROJECT / "analyzer/render/diff.schema.json").read_text(encoding="utf-8"))


def ids(doc, name):
    return [f["rule_id"] for f in doc["findings"][name]]


@pytest.fixture(scope="module")
def upgrade(book):
    return diff_bundles(
        BUNDLES / "upgrade-before-v142", BUNDLES / "mixed-upgrade-forbidden", book, now=NOW
    )


@pytest.fixture(scope="module")
def fix(book):
    return diff_bundles(
        BUNDLES / "expired-certs-node-down", BUNDLES / "certs-renewed", book, now=NOW
    )


def test_documents_follow_the_schema(upgrade, fix):
    for doc in (upgrade, fix):
        jsonschema.validate(json.loads(render_diff(doc, "json")), SCHEMA)


def test_upgrade_brings_new_findings_and_version_changes(upgrade):
    assert ids(upgrade, "new") == [
        "mixed-node-versions",
        "node-authorizer-mixed-versions",  # did not apply to 1.31: judged, so comparable
        "node-identity-forbidden",
    ]
    for name in ("resolved", "persisting", "changed", "not_comparable"):
        assert ids(upgrade, name) == [], name
    assert upgrade["root_causes"] == {
        "old": [],
        "new": ["node-authorizer-mixed-versions"],
        "changed": True,
    }
    assert upgrade["versions"] == [
        {"product": "harvester", "old": "v1.4.2", "new": "mixed: v1.5.0 (2), v1.4.2 (1)"},
        {
            "product": "kubernetes",
            "old": "v1.31.4+rke2r1",
            "new": "mixed: v1.32.3+rke2r1 (2), v1.31.4+rke2r1 (1)",
        },
        {"product": "rancher", "old": "v2.10.1", "new": "v2.11.0"},
    ]
    assert upgrade["nodes"]["versions"] == [
        {"node": n, "product": p, "old": old, "new": new}
        for n in ("hv-node1", "hv-node2")
        for p, old, new in (
            ("harvester", "v1.4.2", "v1.5.0"),
            ("kubernetes", "v1.31.4+rke2r1", "v1.32.3+rke2r1"),
        )
    ]
    assert {"name": "rancher/server-version", "old": "v2.10.1", "new": "v2.11.0"} in upgrade[
        "settings"
    ]
    assert upgrade["warnings"] == [] and upgrade["unchanged"] is False


def test_fix_resolves_the_failure_and_keeps_what_persists(fix):
    assert ids(fix, "resolved") == ["node-not-ready", "rke2-certificate-expired"]
    assert ids(fix, "persisting") == ["node-zip-missing"]
    assert ids(fix, "new") == ids(fix, "changed") == ids(fix, "not_comparable") == []
    assert fix["nodes"]["readiness"] == [{"node": "hv-node3", "old": "Unknown", "new": "True"}]
    assert fix["restarts"] == [
        {"container": "kube-system/kube-apiserver-hv-node1/kube-apiserver", "old": 0, "new": 2}
    ]
    assert fix["log_signatures"] == [{"name": "rke2-certificate-expired", "old": 5, "new": None}]
    nodes = next(o for o in fix["objects"] if o["kind"] == "nodes")
    assert nodes["spec_changed"] == [{"name": "hv-node3", "fields": ["taints"]}]
    assert nodes["added"] == nodes["removed"] == nodes["recreated"] == []


def test_a_bundle_and_itself_zipped_differ_in_nothing(book, tmp_path):
    folder = BUNDLES / "expired-certs-node-down"
    doc = diff_bundles(folder, make_form(folder.name, "zip", tmp_path), book, now=NOW)
    assert doc["unchanged"] is True
    assert ids(doc, "persisting") == [
        "node-not-ready",
        "node-zip-missing",
        "rke2-certificate-expired",
    ]
    for key in ("versions", "settings", "objects", "restarts", "log_signatures", "warnings"):
        assert doc[key] == [], key
    assert "Nothing changed between the two bundles." in render_diff(doc, "md")


def test_warns_on_other_cluster_and_on_swapped_order(book):
    other = diff_bundles(BUNDLES / "healthy-v161", BUNDLES / "certs-renewed", book, now=NOW)
    assert other["warnings"][0].startswith("the bundles come from different clusters")
    swapped = diff_bundles(
        BUNDLES / "certs-renewed", BUNDLES / "expired-certs-node-down", book, now=NOW
    )
    assert swapped["warnings"] == [
        "NEW was made before OLD (2025-06-12T08:30:00Z < 2025-06-13T09:00:00Z): swapped?"
    ]
    md = render_diff(swapped, "md")
    assert md.index("**Warning:**") < md.index("| path |")


def test_rule_without_input_in_new_is_not_comparable_never_resolved(book, tmp_path):
    new = tmp_path / "no-kube-vip-logs"
    shutil.copytree(BUNDLES / "kube-vip-dhcp-conflict", new)
    shutil.rmtree(new / "logs" / "harvester-system")
    doc = diff_bundles(BUNDLES / "kube-vip-dhcp-conflict", new, book, now=NOW)
    assert "kube-vip-crash" in ids(doc, "not_comparable")
    assert "kube-vip-crash" not in ids(doc, "resolved")
    (entry,) = [f for f in doc["findings"]["not_comparable"] if f["rule_id"] == "kube-vip-crash"]
    assert (entry["old_status"], entry["new_status"]) == ("fired", "skip")
    assert "pod logs" in entry["reason"]


def _edit(path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data["items"])
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def test_objects_recreated_changed_and_noise_ignored(book, tmp_path):
    new = tmp_path / "edited"
    shutil.copytree(BUNDLES / "healthy-v161", new)

    def nodes(items):
        items[0]["metadata"]["uid"] = "00000000-0000-4000-8000-000000000001"  # recreated
        items[1]["metadata"]["resourceVersion"] = "999999"  # noise
        items[1]["metadata"]["managedFields"] = [{"manager": "kubelet"}]  # noise
        items[2]["spec"]["unschedulable"] = True

    def pods(items):
        pod = dict(items[0], metadata=dict(items[0]["metadata"]))
        for suffix, target in (("abcde", items), ("zyxwv", None)):
            clone = json.loads(json.dumps(pod))
            clone["metadata"].update(
                name=f"virt-launcher-vm1-{suffix}", generateName="virt-launcher-vm1-"
            )
            clone["metadata"]["uid"] = f"uid-{suffix}"
            if target is not None:
                target.append(clone)
            else:
                pods.renamed = clone

    _edit(new / "yamls/cluster/v1/nodes.yaml", nodes)
    _edit(new / "yamls/namespaced/harvester-system/v1/pods.yaml", pods)
    old = tmp_path / "old"
    shutil.copytree(BUNDLES / "healthy-v161", old)
    # The same controller pod in OLD under another generated name: not added, not removed.
    _edit(old / "yamls/namespaced/harvester-system/v1/pods.yaml", lambda i: i.append(pods.renamed))
    doc = diff_bundles(old, new, book, now=NOW)
    by_kind = {o["kind"]: o for o in doc["objects"]}
    assert by_kind["nodes"]["recreated"] == ["hv-node1"]
    assert by_kind["nodes"]["spec_changed"] == [{"name": "hv-node3", "fields": ["unschedulable"]}]
    assert by_kind["nodes"]["status_changed"] == []
    assert "pods" not in by_kind  # virt-launcher-vm1-* on both sides


def test_hostile_setting_is_redacted_and_escaped(book, tmp_path):
    new = tmp_path / "hostile"
    shutil.copytree(BUNDLES / "healthy-v161", new)

    def settings(items):
        items.append(
            {
                "apiVersion": "harvesterhci.io/v1beta1",
                "kind": "Setting",
                "metadata": {"name": "backup-password"},
                "value": "hunter2-s3cr3t",
            }
        )
        items.append(
            {
                "apiVersion": "harvesterhci.io/v1beta1",
                "kind": "Setting",
                "metadata": {"name": "x<script>alert(1)</script>|*b*"},
                "value": "\x1b[31m[click](javascript:alert(1))\u202e",
            }
        )

    _edit(new / "yamls/cluster/harvesterhci.io/v1beta1/settings.yaml", settings)
    doc = diff_bundles(BUNDLES / "healthy-v161", new, book, now=NOW)
    for fmt in ("md", "html", "json"):
        assert "hunter2-s3cr3t" not in render_diff(doc, fmt), fmt
    md = render_diff(doc, "md")
    assert "\x1b" not in md and "\u202e" not in md and "\u2039U+202E\u203a" in md
    assert not re.search(r"(?<!\\)<script>|(?<!\\)\]\(javascript", md)
    assert "x\\<script>alert(1)\\</script>\\|\\*b\\*" in md
    html = render_diff(doc, "html")
    assert "x&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "script-src" not in html and "<script" not in html


def test_cli_formats_output_and_determinism(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    old, new = str(BUNDLES / "expired-certs-node-down"), str(BUNDLES / "certs-renewed")
    code, out, _ = run(capsys, "diff", old, new, "-f", "json")
    assert code == 0
    doc = json.loads(out)
    jsonschema.validate(doc, SCHEMA)
    assert doc["generated_at"] == "2023-11-14T22:13:20Z"
    assert set(doc["findings"]) == {"new", "resolved", "persisting", "changed", "not_comparable"}
    assert run(capsys, "diff", old, new, "-f", "json")[1] == out
    for suffix in ("md", "html", "json"):
        target = tmp_path / f"d.{suffix}"
        code, printed, err = run(capsys, "diff", old, new, "-o", str(target))
        assert code == 0 and printed == "" and str(target) in err
        assert target.read_text(encoding="utf-8").strip()
    assert_one_line_error(run(capsys, "diff", old, new, "-f", "text")[2], "diff writes")
    assert_one_line_error(run(capsys, "diff", old, new, "-o", str(tmp_path / "d.xml"))[2])
    assert_one_line_error(run(capsys, "diff", old, str(tmp_path / "absent"))[2], "absent")


@pytest.mark.parametrize("scenario", DIFF_SCENARIOS, ids=lambda s: s.name)
def test_pair_fixtures_show_their_root_causes(scenario, book):
    report = analyze(BUNDLES / scenario.name, book)
    assert tuple((rc.rule_id, rc.explains) for rc in report.root_causes) == scenario.root_causes


def test_real_bundle_with_itself(book, tmp_path):
    if not REAL_BUNDLE.exists():
        pytest.skip(f"the shared real bundle is absent ({REAL_BUNDLE}): outside the project")
    doc = diff_bundles(REAL_BUNDLE, REAL_BUNDLE, book, now=NOW)
    assert doc["unchanged"] is True and doc["warnings"] == []
    # Every kind read, CRDs whose plural has hyphens too (network-attachment-definitions).
    assert not [n for n in doc["old"]["notes"] if n.startswith("not compared")]
    assert sum(len(doc["findings"][k]) for k in doc["findings"]) == len(
        doc["findings"]["persisting"]
    )
    for fmt in ("md", "html", "json"):
        assert render_diff(doc, fmt)
