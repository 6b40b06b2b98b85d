"""One odd value never aborts the run (issue 10, items 7 and 13).

Any field of any object may hold the wrong type, an odd YAML tag, a huge number or a time
outside what datetime holds: the rules that read it end as error or skip (the report notes
the file), every other rule runs, and the JSON report stays strict JSON valid against its
schema. The property test mutates one field of one object of a fixture bundle at random.
"""

from __future__ import annotations

import copy
import io
import json
import math
import os
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import analyze, render
from analyzer.bundle.yamlfile import load_document, load_list
from analyzer.versions import parse_version
from fixtures.goldens import BUNDLES

SCHEMA = json.loads(resources.files("analyzer").joinpath("render/report.schema.json").read_text())
PLACEHOLDER = "ODD-VALUE-PLACEHOLDER"
#: odd values as raw YAML text, put where one field's value was
ODD_VALUES = [
    "null",
    "~",
    "[]",
    "{}",
    "[1, 2]",
    "{a: 1}",
    "[[{x: [null]}]]",
    "12345",
    "-1",
    "true",
    "3.5",
    ".nan",
    ".inf",
    "-.inf",
    "!!float nan",
    "1e400",
    "!!timestamp 0001-01-01T00:00:00+05:00",
    "!!timestamp 9999-12-31T23:59:59-05:00",
    "!!timestamp 2024-02-30T00:00:00Z",
    "'0001-01-01T00:00:00+05:00'",
    "'9999-12-31T23:59:59-05:00'",
    "0001-01-01 00:00:00",
    "!!binary aGVsbG8gd29ybGQ=",
    "!!python/object:os.system {}",
    "!!python/name:os.system ''",
    "!!int 0x" + "f" * 5000,
    "0x" + "f" * 5000,
    "v1." + "9" * 5000 + ".0",
    "'" + "1" * 5000 + "'",
    "!!str 1",
    "'\\x1b[31mred\\x1b[0m'",
    '"\\e]0;title\\a\\u0000"',
    "!!set {a, b}",
    "!!omap [a: 1, b: 2]",
]


def _strict_json(text: str) -> Any:
    def refuse(constant: str) -> Any:
        raise AssertionError(f"{constant} in the JSON report")

    return json.loads(text, parse_constant=refuse)


def _check_report(bundle: Path, book) -> dict[str, Any]:
    report = analyze(bundle, book)
    document = _strict_json(render(report, "json"))
    jsonschema.validate(document, SCHEMA)
    render(report, "md")
    render(report, "html")
    render(report, "text")
    return document


def _copy(fixture: str, dest: Path) -> Path:
    target = dest / fixture
    shutil.copytree(BUNDLES / fixture, target)
    return target


def _yaml_files(bundle: Path) -> list[Path]:
    return sorted(p for p in bundle.rglob("*") if p.suffix in (".yaml", ".yml"))


def _replace(folder: Path, relative: str, path: list[Any], raw: str) -> None:
    """Set the value at ``path`` inside the YAML document ``relative`` to the raw YAML ``raw``."""
    target = folder / relative
    document = yaml.safe_load(target.read_text())
    holder = document
    for key in path[:-1]:
        holder = holder[key]
    holder[path[-1]] = PLACEHOLDER
    text = yaml.safe_dump(document, sort_keys=False, width=1 << 20)
    target.write_text(text.replace(PLACEHOLDER, raw, 1))


def _outcomes(document: dict[str, Any]) -> dict[str, str]:
    return {f["rule_id"]: f["status"] for f in document["findings"]}


# -- the property --------------------------------------------------------------------------------


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, str, list[Any], str]:
    """(fixture, yaml file, path to a value in it, odd raw value)."""
    fixture = draw(
        st.sampled_from(
            [
                "rc3-console-notready",
                "faulted-volume-paused-vm",
                "mixed-upgrade-forbidden",
                "expired-certs-node-down",
                "kube-vip-dhcp-conflict",
            ]
        )
    )
    files = _yaml_files(BUNDLES / fixture)
    chosen = draw(st.sampled_from(files))
    document = yaml.safe_load(chosen.read_text())
    path: list[Any] = []
    value = document
    # Walk down from the root, into a random child each time, and stop at a random depth.
    while isinstance(value, (dict, list)) and value:
        keys = list(value) if isinstance(value, dict) else list(range(len(value)))
        key = draw(st.sampled_from(keys))
        path.append(key)
        value = value[key]
        if draw(st.integers(0, 5)) == 0:
            break
    if not path:
        path = ["odd"] if isinstance(document, dict) else []
    relative = chosen.relative_to(BUNDLES / fixture).as_posix()
    return fixture, relative, path, draw(st.sampled_from(ODD_VALUES))


# ROBUST_EXAMPLES=2000 for a deeper search; 50 keep the suite fast.
@settings(
    max_examples=int(os.environ.get("ROBUST_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
@given(mutations())
def test_one_odd_field_anywhere_still_gives_a_valid_report(tmp_path_factory, book, mutation):
    fixture, relative, path, raw = mutation
    folder = _copy(fixture, tmp_path_factory.mktemp("odd"))
    if path:
        _replace(folder, relative, path, raw)
    else:  # a document that is no mapping nor list: replace it whole
        (folder / relative).write_text(raw + "\n")
    _check_report(folder, book)


# -- each kind of odd value, on its own ------------------------------------------------------------

NODES = "yamls/cluster/v1/nodes.yaml"
PODS = "yamls/namespaced/kube-system/v1/pods.yaml"


@pytest.mark.parametrize(
    ("relative", "path", "raw"),
    [
        (NODES, ["items", 0, "status", "nodeInfo"], "'a string'"),
        (NODES, ["items", 0, "status", "nodeInfo", "kubeletVersion"], "[1, 2]"),
        (NODES, ["items", 0, "status", "nodeInfo", "osImage"], "{a: 1}"),
        (NODES, ["items", 0, "metadata", "name"], "12345"),
        (NODES, ["items", 0, "metadata", "labels"], "[a, b]"),
        (NODES, ["items", 1, "metadata", "namespace"], "7"),
        (NODES, ["items", 0, "status", "conditions", 3, "status"], ".nan"),
        (NODES, ["items", 0, "status", "nodeInfo", "kubeletVersion"], "0x" + "f" * 5000),
        (NODES, ["items", 0, "status", "nodeInfo", "kubeletVersion"], "v1." + "9" * 5000),
        (PODS, ["items", 0, "spec", "containers"], "'x'"),
        (PODS, ["items", 0, "status", "containerStatuses", 0, "lastState"], "{terminated: x}"),
        ("metadata.yaml", ["bundlecreatedat"], "!!timestamp 0001-01-01T00:00:00+05:00"),
        ("metadata.yaml", ["bundlecreatedat"], "'9999-12-31T23:59:59-05:00'"),
        ("metadata.yaml", ["kubernetesversion"], "!!binary aGVsbG8="),
        ("metadata.yaml", ["kubernetesversion"], "!!python/object:os.system {}"),
    ],
)
def test_odd_value_gives_a_report(tmp_path, book, relative, path, raw):
    folder = _copy("rc3-console-notready", tmp_path)
    _replace(folder, relative, path, raw)
    _check_report(folder, book)


def test_a_malformed_node_is_skipped_with_a_note_and_the_rest_runs(tmp_path, book):
    """The source skips the one object it cannot read, naming file and object; rules that do
    not read nodes end exactly as on the intact bundle."""
    intact = _check_report(BUNDLES / "rc3-console-notready", book)
    folder = _copy("rc3-console-notready", tmp_path)
    _replace(folder, NODES, ["items", 2, "status", "nodeInfo"], "'a string'")
    document = _check_report(folder, book)
    notes = [n for n in document["bundle"]["notes"] if NODES in n]
    assert notes and "hv-node3" in notes[0] and "skipped" in notes[0], document["bundle"]["notes"]
    assert [n["name"] for n in document["bundle"]["nodes"]] == ["hv-node1", "hv-node2"]
    before, after = _outcomes(intact), _outcomes(document)
    assert after["rke2-certificate-expired"] == before["rke2-certificate-expired"]
    assert after["etcd-slow-disk"] == before["etcd-slow-disk"]


def test_a_source_with_too_many_odd_objects_fails_alone_and_its_rules_are_errors(tmp_path, book):
    """Past MAX_SKIPPED odd objects the source fails as a whole: the rules that read it end
    as error naming the file (not pass, not skip), every other rule runs."""
    from analyzer.sources import guard  # here: the other tests also run on code without it

    intact = _outcomes(_check_report(BUNDLES / "rc3-console-notready", book))
    folder = _copy("rc3-console-notready", tmp_path)
    dump = yaml.safe_load((folder / PODS).read_text())
    for index in range(guard.MAX_SKIPPED + 5):
        pod = copy.deepcopy(dump["items"][0])
        pod["metadata"]["name"] = f"odd-{index}"
        pod["status"]["containerStatuses"] = [{"name": "c", "lastState": {"terminated": "x"}}]
        dump["items"].append(pod)
    (folder / PODS).write_text(yaml.safe_dump(dump))
    document = _check_report(folder, book)
    after = _outcomes(document)
    readers = {r for r, rule in book.rules.items() if "containers" in rule.needs()}
    assert {"crash-looping-pods", "vm-oom-killed"} <= readers
    for rule_id in sorted(readers):
        finding = next(f for f in document["findings"] if f["rule_id"] == rule_id)
        assert finding["status"] == "error", finding
        assert "could not evaluate" in finding["message"] and PODS in finding["message"]
    others = {r: s for r, s in intact.items() if r not in readers}
    assert {r: after[r] for r in others} == others
    assert any("source containers could not be read" in n for n in document["bundle"]["notes"])


# -- the roots of the fixes ------------------------------------------------------------------


def test_yaml_tags_give_plain_json_values():
    text = (
        "a: !!timestamp 0001-01-01T00:00:00+05:00\n"
        "b: !!timestamp 2024-01-01T00:00:00Z\n"
        "c: !!binary aGVsbG8=\n"
        "d: !!python/object:os.system ''\n"
        "e: 0x" + "f" * 5000 + "\n"
        "f: !!int 12\n"
        "g: .nan\n"
    )
    data = load_document(io.BytesIO(text.encode()))
    assert data["a"] == "0001-01-01T00:00:00+05:00"
    assert data["b"] == "2024-01-01T00:00:00Z"
    assert data["c"] == "aGVsbG8="
    assert data["d"] == ""
    assert data["e"] == "0x" + "f" * 5000
    assert data["f"] == 12
    assert math.isnan(data["g"])
    listed = load_list(io.BytesIO(b"items:\n- a: !!timestamp 2024-01-01T00:00:00Z\n"))
    assert listed.items == [{"a": "2024-01-01T00:00:00Z"}]


def test_a_huge_version_is_no_version():
    assert parse_version("v1." + "9" * 5000 + ".0") is None
    assert parse_version("9" * 5000) is None
    assert parse_version("v1.32.3+rke2r1") is not None


# -- the guard itself ------------------------------------------------------------------------------


def test_the_guard_skips_the_object_being_read_and_builds_again():
    from analyzer.report import Evidence
    from analyzer.sources import guard
    from analyzer.sources.citations import Citations

    objects = [{"n": 1}, {"n": "odd"}, {"n": 3}]
    refs = Citations()
    for i, o in enumerate(objects):
        refs.add(o, Evidence("yamls/x.yaml", i + 1, f"X {i}"))
    notes: list[str] = []
    builds = guard.BuildGuard(notes.append, LookupError)

    def build() -> list[int]:
        return [item["n"] + 1 for item in builds.without(objects)]

    assert builds.run("numbers", build, refs, RuntimeError) == [2, 4]
    assert notes == [
        'yamls/x.yaml:2: X 1 skipped (numbers: TypeError: can only concatenate str (not "int") '
        "to str)"
    ]
    assert builds.without(objects) == [{"n": 1}, {"n": 3}]


def test_the_guard_never_skips_a_record_the_failing_build_made():
    """Such a record dies with the build: skipping its id could later hide another object
    that gets the same id. The source fails instead, naming the files it read."""
    from analyzer.report import Evidence
    from analyzer.sources import guard
    from analyzer.sources.citations import Citations

    refs = Citations()
    notes: list[str] = []
    builds = guard.BuildGuard(notes.append, LookupError)

    def build() -> None:
        builds.reading("yamls/y.yaml")
        made = {"n": "odd"}
        builds.remembered(made)
        refs.add(made, Evidence("yamls/y.yaml", 1, "made here"))
        made["n"] + 1

    with pytest.raises(RuntimeError, match=r"source numbers could not be read from yamls/y.yaml"):
        builds.run("numbers", build, refs, RuntimeError)
    assert notes == [] and len(refs) == 0


def test_the_guard_gives_up_when_rebuilding_costs_too_much():
    """Each skip rebuilds the source: past MAX_WASTED records built in vain it fails alone."""
    from analyzer.report import Evidence
    from analyzer.sources import guard
    from analyzer.sources.citations import Citations

    objects = [{"n": "odd"} for _ in range(3)]
    refs = Citations()
    for i, o in enumerate(objects):
        refs.add(o, Evidence("yamls/x.yaml", i + 1, f"X {i}"))
    notes: list[str] = []
    builds = guard.BuildGuard(notes.append, LookupError)

    def build() -> list[int]:
        made = []
        for item in builds.without(objects):
            for _ in range(guard.MAX_WASTED * 2 // 3):  # the records of ordinary objects
                made.append({})
                builds.remembered(made[-1])
            made.append(item["n"] + 1)
        return made

    with pytest.raises(RuntimeError, match=r"source many could not be read from yamls/x\.yaml:2"):
        builds.run("many", build, refs, RuntimeError)
    assert len(notes) == 1 and notes[0].startswith("yamls/x.yaml:1: X 0 skipped")
