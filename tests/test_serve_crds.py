"""Kinds named by the bundle's CustomResourceDefinitions: Kind, short names, printer columns."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analyzer.kube.crds import crd_facts, json_path
from fixtures.goldens import BUNDLES
from tests.serve_helpers import KUBECTL, serving
from tests.test_serve_api import TABLE, api_of, get

CRDS = """items:
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata: {name: volumes.longhorn.io}
  spec:
    group: longhorn.io
    names: {kind: Volume, plural: volumes, singular: volume, shortNames: [lhv]}
    scope: Namespaced
    versions:
    - name: v1beta1
      served: true
      storage: false
      additionalPrinterColumns:
      - {name: Old, type: string, jsonPath: .spec.size}
    - name: v1beta2
      served: true
      storage: true
      additionalPrinterColumns:
      - {name: State, type: string, jsonPath: .status.state}
      - {name: Robustness, type: string, jsonPath: .status.robustness}
      - name: Scheduled
        type: string
        jsonPath: '.status.conditions[?(@.type=="Scheduled")].status'
      - {name: Replicas, type: integer, jsonPath: .spec.numberOfReplicas, priority: 1}
      - {name: Age, type: date, jsonPath: .metadata.creationTimestamp}
- apiVersion: apiextensions.k8s.io/v1
  kind: CustomResourceDefinition
  metadata: {name: widgets.example.io}
  spec:
    group: example.io
    names: {kind: Widget, plural: widgets, singular: widget, shortNames: [wd]}
    scope: Cluster
    versions: [{name: v1, served: true, storage: true}]
"""


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    copy = tmp_path / "bundle"
    shutil.copytree(BUNDLES / "faulted-volume-paused-vm", copy)
    crds = copy / "yamls" / "cluster" / "apiextensions.k8s.io" / "v1"
    crds.mkdir(parents=True)
    (crds / "customresourcedefinitions.yaml").write_text(CRDS)
    widgets = copy / "yamls" / "cluster" / "example.io" / "v1"
    widgets.mkdir(parents=True)
    (widgets / "widgets.yaml").write_text("items: []\n")
    return copy


def test_kinds_and_columns_come_from_the_crds(bundle: Path) -> None:
    with api_of(bundle) as api:
        _, found = get(api, "/apis/example.io/v1")
        assert found["resources"][0]["kind"] == "Widget"
        assert found["resources"][0]["shortNames"] == ["wd"]
        code, table = get(api, "/apis/longhorn.io/v1beta2/volumes", TABLE)
        assert code == 200
        names = [(c["name"], c["priority"]) for c in table["columnDefinitions"]]
        assert names == [
            ("Name", 0),
            ("State", 0),
            ("Robustness", 0),
            ("Scheduled", 0),
            ("Replicas", 1),
            ("Age", 0),
        ]
        faulted = next(r["cells"] for r in table["rows"] if r["cells"][2] == "faulted")
        assert faulted[1:5] == ["detached", "faulted", "True", 3]


@pytest.mark.skipif(KUBECTL is None, reason="no kubectl on this machine")
def test_kubectl_names_a_kind_by_its_crds_short_name(bundle: Path, tmp_path: Path) -> None:
    with serving(bundle, tmp_path / "home") as served:
        assert served.kubectl("get", "wd").stderr.strip() == "No resources found"
        out = served.kubectl("get", "lhv", "-n", "longhorn-system").stdout.splitlines()
        assert out[0].split() == ["NAME", "STATE", "ROBUSTNESS", "SCHEDULED", "AGE"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (".a.b", [1]),
        ("{.a.b}", [1]),
        (".c[1].d", ["y"]),
        (".c[*].d", ["x", "y"]),
        ('.c[?(@.d=="y")].e', [2]),
        (".c[?(@.d=='x')].e", [1]),
        (".missing.x", []),
        (".c[9]", []),
        ("a b", []),
        ("." + "a" * 300, []),
    ],
)
def test_json_path_subset(path: str, expected: list) -> None:
    obj = {"a": {"b": 1}, "c": [{"d": "x", "e": 1}, {"d": "y", "e": 2}]}
    assert json_path(obj, path) == expected


def test_malformed_crds_are_skipped() -> None:
    odd = [
        {"spec": 5},
        {"spec": {"group": "g", "names": {"plural": "ps", "kind": 7}}},
        {
            "spec": {
                "group": "g",
                "names": {"plural": "qs", "kind": "Q", "shortNames": "q"},
                "versions": [{"additionalPrinterColumns": [{"name": 1}, "x"]}],
            }
        },
    ]
    facts = crd_facts(odd)
    assert list(facts) == [("g", "qs")]
    assert facts[("g", "qs")].short_names == () and facts[("g", "qs")].columns == ()
    assert json.dumps(facts[("g", "qs")].kind) == '"Q"'
