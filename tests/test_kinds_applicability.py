"""Rules know the bundle kinds they apply to: ``products:`` (or the rule's folder) against
what the bundle holds (the ``bundle_kind`` source); elsewhere they skip as not applicable."""

from __future__ import annotations

import json
from pathlib import Path

from analyzer import analyze, load_rules
from analyzer.bundle import open_bundle
from analyzer.rulebook import check_rules
from analyzer.sources import Sources
from fixtures.goldens import BUNDLES
from tests.test_rulebook import BASE, write_rules

NODE = {
    "kind": "Node",
    "metadata": {"name": "n1"},
    "status": {
        "conditions": [{"type": "Ready", "status": "True"}],
        "nodeInfo": {"kubeletVersion": "v1.30.4+k3s1"},
    },
}


def _troubleshoot(root: Path, extra: dict[str, object] | None = None) -> Path:
    files: dict[str, object] = {
        "version.yaml": "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\n",
        "cluster-resources/nodes.json": {"kind": "NodeList", "items": [NODE]},
        "cluster-resources/pods/default.json": [],
        **(extra or {}),
    }
    for name, value in files.items():
        path = root / "support-bundle" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(value if isinstance(value, str) else json.dumps(value, indent=2))
    return root / "support-bundle"


def _pack(tmp_path: Path) -> Path:
    rules = {
        "kubernetes__anywhere": BASE,
        "harvester__harvester-only": BASE,
        "longhorn__longhorn-only": BASE,
        "kubernetes__declared": BASE + "products: [rke2]\n",
    }
    return write_rules(tmp_path, **rules)


def test_harvester_and_longhorn_rules_skip_on_a_plain_troubleshoot_bundle(tmp_path):
    book = load_rules(_pack(tmp_path / "pack"))
    report = analyze(_troubleshoot(tmp_path / "b"), book)
    assert report.finding("anywhere").status == "fired"
    for rule_id, needed in (
        ("harvester-only", "harvester"),
        ("longhorn-only", "longhorn"),
        ("declared", "rke2"),
    ):
        finding = report.finding(rule_id)
        assert (finding.status, finding.skip_kind) == ("skip", "not-applicable"), rule_id
        assert f"the rule needs {needed}; this troubleshoot.sh" in finding.message


def test_longhorn_rules_run_where_longhorn_objects_are(tmp_path):
    volumes = {"kind": "VolumeList", "items": [{"metadata": {"name": "pvc-1"}}]}
    bundle = _troubleshoot(
        tmp_path / "b",
        {"cluster-resources/custom-resources/volumes.longhorn.io/longhorn-system.json": volumes},
    )
    with open_bundle(bundle) as opened:
        held = Sources(opened).get("bundle_kind")
    assert held["kind"] == "troubleshoot" and held["products"] == ["longhorn"]
    report = analyze(bundle, load_rules(_pack(tmp_path / "pack")))
    assert report.finding("longhorn-only").status == "fired"
    assert report.finding("harvester-only").skip_kind == "not-applicable"


def test_a_harvester_bundle_holds_every_product(book):
    report = analyze(BUNDLES / "healthy-v161", book)
    refused = [f.rule_id for f in report.findings if "kind of bundle" in f.message]
    assert refused == []


def test_an_unknown_product_is_a_rule_problem(tmp_path):
    _, found = check_rules(write_rules(tmp_path, k__r=BASE + "products: [openshift]\n"))
    assert any("products" in line and "must be a list of harvester" in line for line in found)


def test_what_to_collect_is_said_with_the_kinds_own_collector(tmp_path, book):
    report = analyze(_troubleshoot(tmp_path / "b"), book)
    hints = {f.collect for f in report.findings if f.skip_kind == "missing-input"}
    assert hints and all(h and h.startswith("Collect a new troubleshoot.sh bundle") for h in hints)
    harvester = analyze(BUNDLES / "healthy-v161", book)
    assert not any("troubleshoot" in (f.collect or "") for f in harvester.findings if f.collect)
