"""The real support bundle from a healthy single-node cluster (../shared/bundles)."""

from __future__ import annotations

from analyzer import analyze
from analyzer.render import FORMATS, render


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
