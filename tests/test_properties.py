"""Property-based tests: whatever the input, a report or a clean error, never a crash."""

from __future__ import annotations

import contextlib
import io
import tempfile
import zipfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import analyze
from analyzer.bundle import open_bundle
from analyzer.bundle.yamlfile import YamlFileError, load_document, load_list
from analyzer.errors import BundleError
from analyzer.rulebook import check_rules
from fixtures.synth import dump

SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ROOT = "supportbundle_x_2025-01-01T00-00-00Z"


@SLOW
@given(st.binary(max_size=4096), st.sampled_from(["b.zip", "b.tar.gz", "b.001.zip", "b"]))
def test_any_bytes_open_as_a_bundle_or_fail_cleanly(data, name):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        with contextlib.suppress(BundleError):
            open_bundle(path).close()


entry_names = st.one_of(
    st.text(min_size=1, max_size=40),
    st.sampled_from(["../x", "/etc/passwd", "a/../../b", "C:\\x", ".", "a//b", "nodes/n.zip"]),
    st.builds(
        lambda s: f"{ROOT}/{s}",
        st.sampled_from(
            [
                "metadata.yaml",
                "yamls/cluster/v1/nodes.yaml",
                "logs/a/b/c.log",
                "nodes/n1.zip",
                "yamls/namespaced/kube-system/v1/pods.yaml",
                "bundleGenerationError.log",
            ]
        ),
    ),
)


@SLOW
@given(
    st.lists(st.tuples(entry_names, st.binary(max_size=512)), max_size=12, unique_by=lambda e: e[0])
)
def test_any_zip_analyzes_or_fails_cleanly(entries):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bundle.zip"
        with zipfile.ZipFile(path, "w") as archive:
            for name, data in entries:
                try:
                    archive.writestr(name, data)
                except (ValueError, OSError, IndexError):  # names zipfile cannot write
                    continue
        try:
            report = analyze(path)
        except BundleError:
            return
        assert not [f for f in report.findings if f.status == "error"]


@SLOW
@given(st.one_of(st.binary(max_size=2048), st.text(max_size=2048).map(str.encode)))
def test_any_yaml_text_loads_or_fails_cleanly(data):
    for load in (load_list, load_document):
        with contextlib.suppress(YamlFileError):
            load(io.BytesIO(data))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30).filter(lambda s: s != "null"),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=10).filter(lambda s: s != "null"), children, max_size=5),
    ),
    max_leaves=30,
)


@settings(max_examples=200, deadline=None)
@given(documents)
def test_the_fast_yaml_loader_reads_what_pyyaml_reads(document):
    text = dump({"items": [document]} if isinstance(document, dict) else {"doc": document})
    assert load_document(io.BytesIO(text.encode())) == yaml.safe_load(text)


rule_values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.dictionaries(st.text(max_size=8), scalars, max_size=3),
)
rule_keys = st.sampled_from(
    [
        "id",
        "title",
        "severity",
        "description",
        "when",
        "message",
        "remediation",
        "applies_to",
        "fixed_in",
        "requires",
        "facts",
        "logs",
        "evidence",
        "explains",
        "references",
        "bogus",
    ]
)


@SLOW
@given(st.dictionaries(rule_keys, rule_values, max_size=10), st.text(max_size=200))
def test_any_rule_file_loads_or_reports_problems(fields, raw):
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "rules" / "k"
        root.mkdir(parents=True)
        (root / "r.yaml").write_text(yaml.safe_dump(fields))
        (root / "raw.yaml").write_text(raw)
        book, problems = check_rules(root.parent)
        assert book is not None or problems
        assert all(p.startswith("rules/k/") for p in problems)
