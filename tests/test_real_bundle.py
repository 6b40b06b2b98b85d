"""The real support bundle from a healthy single-node cluster (../shared/bundles)."""

from __future__ import annotations

from analyzer import analyze
from analyzer.bundle import fastyaml, open_bundle
from analyzer.render import FORMATS, render
from tests.test_speed_paths import both


def test_real_bundle_completes_without_critical_findings(real_bundle, book):
    report = analyze(real_bundle, book)
    assert report.bundle.kubernetes_version == "v1.21.7+rke2r1"
    assert report.bundle.rancher_version == "v2.6.3"
    assert [n.name for n in report.bundle.nodes] == ["node1"]
    assert not [f for f in report.fired if f.severity == "critical"]
    assert not [f for f in report.findings if f.status == "error"]
    for fmt in FORMATS:
        assert render(report, fmt)


def test_real_bundle_k1_rules_know_why_they_do_not_apply(real_bundle, book):
    report = analyze(real_bundle, book)
    # A development build is not a release: the rc-gated rule says so instead of guessing.
    console = report.finding("console-false-notready")
    assert console.status == "skip" and "1a861fc-dirty is not a release version" in console.message
    assert report.finding("node-authorizer-mixed-versions").skip_kind == "not-applicable"


def test_real_bundle_yaml_reads_the_same_on_the_fast_path(real_bundle):
    """Every YAML file of the real bundle, node zips included: the canonical reader gives
    what libyaml's events give, and it is the one that reads (nearly) all of them."""
    fast_read = total = 0
    with open_bundle(real_bundle) as bundle:
        paths = [p for p in bundle.files() if p.endswith(".yaml")]
        for node_zip in [p for p in bundle.files() if p.startswith("nodes/") and p.endswith("zip")]:
            inner = bundle.nested(node_zip).files()
            paths += [f"{node_zip}!/{p}" for p in inner if p.endswith((".yaml", ".yml"))]
        for path in paths:
            with bundle.open(path) as stream:
                text = stream.read().decode("utf-8", "replace")
            fast, events = both(text)
            assert fast is fastyaml.NotCanonical or fast == events, path
            fast_read += fast is not fastyaml.NotCanonical
            total += 1
    assert total > 1000 and fast_read / total > 0.95
