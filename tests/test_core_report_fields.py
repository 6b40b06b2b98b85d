"""Issue 11, item 11: evidence from an object cites the line of the field that matters, and
quotes it, instead of the object's first line with a generated sentence."""

from __future__ import annotations

import json

from analyzer.bundle.fieldline import field_line
from fixtures.goldens import REPORTS

DUMP = """\
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: kube-apiserver-a
    labels: {tier: control-plane}
  spec:
    containers:
    - name: sidecar
      command:
      - --feature-gates=Other=true
    - command:
      - kube-apiserver
      - --allow-privileged=true
      - --feature-gates=AuthorizeNodeWithSelectors=false
      name: kube-apiserver
  status:
    conditions:
    - lastTransitionTime: "2025-06-10T10:00:00Z"
      status: "False"
      type: Ready
- apiVersion: v1
  kind: Pod
  metadata:
    name: kube-apiserver-b
kind: List
"""
GATES = "spec.containers[name=kube-apiserver].command[^--feature-gates]"


def test_the_field_line_is_found_inside_the_object_only():
    lines = DUMP.splitlines()
    assert field_line(lines, 3, GATES) == (
        16,
        "- --feature-gates=AuthorizeNodeWithSelectors=false",
    )
    assert field_line(lines, 3, "status.conditions[type=Ready].status") == (21, 'status: "False"')
    assert field_line(lines, 3, "spec.containers[0].name") == (10, "- name: sidecar")
    assert field_line(lines, 3, "metadata.labels.tier") == (7, "labels: {tier: control-plane}")
    # The next object has none: nothing is taken from beyond the object's end.
    assert field_line(lines, 23, GATES) is None
    assert field_line(lines, 23, "metadata.name") == (26, "name: kube-apiserver-b")
    assert field_line(lines, 3, "spec.containers[name=nope].command") is None
    assert field_line(lines, 99, "metadata.name") is None


def test_a_finding_on_the_feature_gates_cites_and_quotes_the_argument():
    report = json.loads((REPORTS / "bogus-gate-workaround.json").read_text())
    finding = next(
        f for f in report["findings"] if f["rule_id"] == "apiserver-unknown-feature-gate"
    )
    cited = [e for e in finding["evidence"] if e["path"].endswith("kube-system/v1/pods.yaml")]
    assert cited, finding["evidence"]
    text = (
        REPORTS.parent / "fixtures" / "bundles" / "bogus-gate-workaround" / cited[0]["path"]
    ).read_text()
    line = text.splitlines()[cited[0]["line"] - 1].strip()
    assert line == cited[0]["excerpt"] == "- --feature-gates=NodeAuthorizerEnablePodSelectors=false"
