"""The canonical YAML reader (analyzer/bundle/fastyaml.py) against ``yaml.safe_load`` on YAML
written the way Go's kubectl and client-go write it (issue 11, item 7).

sigs.k8s.io/yaml marshals through go-yaml v2: keys sorted, two-space indentation, sequences
at their key's indentation, ``{}`` and ``[]`` for empty collections, strings that would read
as another type double-quoted (keys too), lines folded at 80 columns, strings with line
breaks as ``|`` literal blocks, never an anchor. The dumper below writes that style with
PyYAML; hypothesis draws the objects.
"""

from __future__ import annotations

import contextlib
import gc
import io
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from analyzer.bundle import fastyaml, yamlfile
from analyzer.bundle.yamlfile import _STR, YamlFileError, _typed, load_document
from analyzer.bundle.yamlfile import _parse as parse_stream

_RESOLVER = yaml.resolver.Resolver()


class GoStyleDumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # Go's marshaller repeats a shared value, it never anchors it


def _represent_str(dumper: GoStyleDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        style = "|"
    elif _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR:
        style = '"'  # go-yaml double-quotes "true", "12", "null", "" ...
    else:
        style = None
    return dumper.represent_scalar(_STR, value, style=style)


GoStyleDumper.add_representer(str, _represent_str)


def go_dump(document: Any) -> str:
    return yaml.dump(
        document, Dumper=GoStyleDumper, sort_keys=True, default_flow_style=False, width=80
    )


words = st.one_of(
    st.sampled_from(["kube-system", "harvester-system", "node-01", "v1", "Ready", "rke2"]),
    st.text("abz09-._/", min_size=1, max_size=12).filter(lambda w: w[0].isalnum()),
)
lookalikes = st.sampled_from(
    [
        *("true", "false", "yes", "No", "on", "off", "~", "null", "Null", ""),
        *("123", "-1", "1.5", "0x1F", "1e3", ".inf", "+1", "0o17", "010", "1_000"),
        *("2024-01-09T10:00:00Z", "2024-01-09", "10:30", "v1.32.3+rke2r1"),
        *(" lead", "trail ", "-", "- a", "a: b", "a:b", "#x", "a #b", "?", "[x]", "{y}"),
        *("'q'", '"d"', "\\", "a\\nb", "50%", "*", "&a", "!t", "|", ">", "@x", "`x`"),
    ]
)
# A folded line that starts with "-" is left to libyaml (it could be an item): no such word.
in_sentences = st.one_of(words, lookalikes.filter(lambda w: not w.startswith("-")))
sentences = st.lists(in_sentences, min_size=8, max_size=40).map(" ".join)
paragraphs = st.lists(
    st.one_of(sentences, words, st.just(""), words.map(lambda w: "  " + w)), max_size=6
).map("\n".join)
kubectl_strings = st.one_of(words, lookalikes, sentences, paragraphs, paragraphs.map("{}\n".format))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    kubectl_strings,
)
# PyYAML writes an empty key as a complex key ("? ''"), which Go never does
keys = st.one_of(words, lookalikes.filter(bool), words.map(lambda w: f"app.kubernetes.io/{w}"))
objects = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(keys, inner, max_size=5),
        st.lists(st.dictionaries(keys, inner, min_size=1, max_size=4), max_size=3),
    ),
    max_leaves=20,
)


def as_list(items: list[Any]) -> dict[str, Any]:
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {}}


def collector_quirks(value: Any) -> Any:
    """``yaml.safe_load``'s result as the analyzer reads it: the string "null", which
    support-bundle-kit writes for an empty value, is null (analyzer/bundle/yamlfile.py)."""
    if isinstance(value, dict):
        return {collector_quirks(k): collector_quirks(v) for k, v in value.items()}
    if isinstance(value, list):
        return [collector_quirks(v) for v in value]
    return None if value == "null" else value


def fast_read(text: str) -> Any:
    document, _ = fastyaml.parse(text, _typed, _STR, frozenset({"managedFields"}), [], 10**9)
    return document


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(keys, objects, max_size=6), max_size=4))
def test_kubectl_style_yaml_is_read_fast_and_as_safe_load_reads_it(items):
    text = go_dump(as_list(items))
    assert fast_read(text) == collector_quirks(yaml.safe_load(text)), text


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(keys, st.text(st.characters(exclude_categories=("Cs",)), max_size=30)))
def test_any_text_is_read_as_safe_load_reads_it_or_left_to_libyaml(labels):
    text = go_dump(as_list([{"metadata": {"labels": labels}}]))
    try:
        fast = fast_read(text)
    except fastyaml.NotCanonical:
        return
    assert fast == collector_quirks(yaml.safe_load(text)), text


def test_a_kubectl_dump_reads_as_safe_load_reads_it():
    text = (
        "apiVersion: v1\n"
        "items:\n"
        "- apiVersion: v1\n"
        "  data:\n"
        '    "80": http\n'
        '    enabled: "true"\n'
        "    script: |\n"
        "      #!/bin/sh\n"
        "      echo 'ready'\n"
        "    trimmed: |-\n"
        "      no newline at the end\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        "    annotations: {}\n"
        '    creationTimestamp: "2024-01-09T10:00:00Z"\n'
        "    finalizers: []\n"
        "    managedFields:\n"
        "    - manager: kubectl\n"
        "    name: cm\n"
        "    note: a long line that go-yaml folds at eighty columns when it writes it out\n"
        "      to the file, continued here\n"
        "kind: List\n"
        "metadata:\n"
        '  resourceVersion: ""\n'
    )
    expected = yaml.safe_load(text)
    del expected["items"][0]["metadata"]["managedFields"]  # skipped: no rule reads it
    assert fast_read(text) == expected


@pytest.mark.parametrize("text", ["a: 1\nb: [x, y]\n", "items:\n- 1\n", "bad: 'open\n"])
def test_the_collector_stays_as_it_was(text, tmp_path):
    # Used as a library, a parse leaves the cyclic collector as it found it, on success,
    # when the fast reader steps aside and on an error.
    for enabled in (True, False):
        gc.enable() if enabled else gc.disable()
        with contextlib.suppress(YamlFileError):
            parse_stream(io.BytesIO(text.encode()), None, None)
        assert gc.isenabled() is enabled
    gc.enable()


def test_no_memo_outlives_a_parse():
    before = {k: v for k, v in vars(yamlfile).items() if isinstance(v, dict)}
    sizes = {k: len(v) for k, v in before.items()}
    load_document(io.BytesIO(b"a: unique-value-1234\nb: 0x1F\nc: [yes, no]\n"))
    assert {k: len(v) for k, v in before.items()} == sizes


@pytest.mark.parametrize(
    "text",
    [
        "items:\n-\n  a: 1\n-\n- x\n-\n  - y\nkind: List\n",
        "items:\n- - a\n  - - b\n    -\n- - c: 1\n    d:\n    - e\nkind: List\n",
        "a:\n  b:\n  c: |\n    x\n\n    y\n  d: 'q\n    r'\nitems: []\n",
    ],
)
def test_entries_alone_and_nested_read_as_safe_load_reads_them(text):
    assert fast_read(text) == yaml.safe_load(text)
