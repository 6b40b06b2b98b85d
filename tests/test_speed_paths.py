"""The fast paths give what the plain ones give: the literal stage, the shared scan over forked
helpers, the canonical YAML reader. (Their speed is measured in benchmarks/, not here.)"""

from __future__ import annotations

import io
import os
import re
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyzer import analyze
from analyzer.bundle import fastyaml, literals, logscan, open_bundle, scanpool
from analyzer.bundle.archive import PreadFile
from analyzer.bundle.literals import WINDOW, LiteralSet, rare_window
from analyzer.bundle.logscan import HitSink, LogPattern, Scanner, compile_pattern
from analyzer.bundle.logscan import required_literals as literals_of
from analyzer.bundle.yamlfile import _STR, YamlFileError, _build, _typed
from fixtures.goldens import BUNDLES, GOLDEN_NOW
from fixtures.synth import dump
from tests.conftest import make_form

ENGINES = ["re2"] + (["hyperscan"] if literals.hyperscan is not None else [])
WORDS = [b"renew failed", b"x509: certificate has expired", b"NODE DENY", b"oom", b"a b c d e f"]


# -- the literal stage ---------------------------------------------------------------------------
@given(st.binary(min_size=1, max_size=40))
def test_a_rare_window_is_part_of_the_word(word):
    window = rare_window(word)
    assert window in word and len(window) == min(len(word), WINDOW)


@pytest.mark.parametrize("engine", ENGINES)
@given(st.lists(st.sampled_from([*WORDS, b"noise ", b"\n", b"certificate", b"oo"]), max_size=30))
def test_every_literal_that_occurs_is_found(engine, pieces):
    block = b"".join(pieces)
    found = LiteralSet(WORDS, engine).occurring(block, 0, len(block))
    assert {i for i, word in enumerate(WORDS) if word in block} <= found


@pytest.mark.skipif(literals.hyperscan is None, reason="no Hyperscan wheel on this platform")
def test_both_engines_look_only_between_start_and_end():
    block = b"oom here\nnothing\nNODE DENY there\n"
    for engine in ENGINES:
        assert LiteralSet(WORDS, engine).occurring(block, 9, 17) == set()


# -- the scanner against a line-by-line reference ------------------------------------------------
def reference(data: bytes, patterns: dict[str, str]) -> dict[str, list[int]]:
    """Line numbers where each pattern matches, one line at a time with Python's re."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    return {
        key: [n for n, line in enumerate(lines, 1) if re.search(text.encode(), line)]
        for key, text in patterns.items()
    }


line_pieces = st.sampled_from(
    [b"renew failed", b"NODE DENY: x", b"x509: certificate has expired", b"ok", b"", b" "]
)
lines_strategy = st.lists(
    st.lists(line_pieces, max_size=4).map(b" ".join), min_size=0, max_size=60
).map(lambda ls: b"\n".join(ls))


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines_strategy, st.sampled_from([8, 64, 4096]))
def test_the_scanner_finds_what_a_line_by_line_search_finds(monkeypatch, data, block):
    monkeypatch.setattr(logscan, "BLOCK", block)
    patterns = {
        "renew": r"renew failed",
        "deny": r"NODE DENY: (?P<detail>.*)",
        "x509": r"certificate has (?:expired|been revoked)",
        "blank": r"^ ?$",  # no literal: searched in every block
    }
    compiled = {
        key: LogPattern(compile_pattern(text), None, literals_of(text))
        for key, text in patterns.items()
    }
    assert compiled["renew"].literals and compiled["blank"].literals is None
    sinks: dict = {}
    Scanner().scan(io.BytesIO(data), "f.log", compiled, sinks)  # type: ignore[arg-type]
    found = {k: [h.line for h in sinks.get(k, HitSink()).hits()] for k in patterns}
    assert found == reference(data, patterns)


# -- the shared scan -----------------------------------------------------------------------------
def test_chunks_cover_everything_in_order():
    assert scanpool.chunks([5, 5, 5, 1, 20, 1], 10) == [slice(0, 2), slice(2, 5), slice(5, 6)]
    assert scanpool.chunks([], 10) == []
    assert scanpool.chunks([0, 0], 1) == [slice(0, 2)]


@pytest.fixture
def forking(monkeypatch):
    """Helpers forked even for a small bundle, a chunk per file."""
    if not scanpool._can_fork():
        pytest.skip("no fork on this platform (or threads running): no helpers to test")
    monkeypatch.setattr(scanpool, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(scanpool, "CHUNK_BYTES", 1)


def without_run_details(report):
    return replace(report, profile=None)


@pytest.mark.parametrize("fixture", ["mixed-upgrade-forbidden", "expired-certs-node-down"])
def test_helpers_change_nothing_in_the_report(forking, fixture, tmp_path):
    bundle = make_form(fixture, "zip-deflated", tmp_path)
    alone = analyze(bundle, now=GOLDEN_NOW, workers=1)
    shared = analyze(bundle, now=GOLDEN_NOW, workers=3)
    assert shared == alone
    assert [f for f in alone.findings if f.fired]  # hits were merged


def test_a_helper_that_dies_has_its_chunks_scanned_here(forking, monkeypatch):
    monkeypatch.setattr(scanpool.ParallelScan, "_help", lambda self, sender: os._exit(9))
    bundle = BUNDLES / "mixed-upgrade-forbidden"
    assert analyze(bundle, now=GOLDEN_NOW, workers=2) == analyze(bundle, now=GOLDEN_NOW, workers=1)


def test_a_forked_reader_does_not_move_the_parents_place(tmp_path):
    if not hasattr(os, "fork"):
        pytest.skip("no fork on this platform")
    path = tmp_path / "f"
    path.write_bytes(bytes(range(256)) * 16)
    handle = PreadFile(path)
    handle.seek(100)
    pid = os.fork()
    if pid == 0:  # the child reads from elsewhere, then leaves without cleanup
        handle.seek(3000)
        handle.read(500)
        os._exit(0)
    os.waitpid(pid, 0)
    assert handle.read(4) == bytes([100, 101, 102, 103])
    handle.close()


def test_the_bundle_can_be_reopened_by_helpers_in_every_form(forking, tmp_path):
    for form in ("zip", "tar.gz", "dir"):
        bundle = make_form("expired-certs-node-down", form, tmp_path / form)
        with open_bundle(bundle) as opened:
            shared = analyze(opened, now=GOLDEN_NOW, workers=2)
        assert shared == analyze(bundle, now=GOLDEN_NOW, workers=1), form


# -- the canonical YAML reader ------------------------------------------------------------------
def both(text: str) -> tuple[object, object]:
    """(the fast reader's document or NotCanonical, the event parser's or its error)."""
    try:
        fast, _ = fastyaml.parse(text, _typed, _STR, frozenset({"managedFields"}), [], 10**9)
    except fastyaml.NotCanonical:
        fast = fastyaml.NotCanonical
    try:
        events = _build(io.BytesIO(text.encode()), [], None)
    except YamlFileError as exc:
        events = type(exc)
    return fast, events


scalar_texts = st.text(
    alphabet=st.sampled_from(list("ab :#-'\"\\\n|>{}[],&*!%@`?0129.eE+xnulNTrt")), max_size=12
)
documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), scalar_texts),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(scalar_texts, inner, max_size=4)
    ),
    max_leaves=20,
)
styles = st.fixed_dictionaries(
    {
        "default_style": st.sampled_from([None, "'", '"', "|"]),
        "width": st.sampled_from([20, 80, 1000]),
        "indent": st.sampled_from([2, 4]),
    }
)


@settings(max_examples=300, deadline=None)
@given(documents, styles)
def test_the_fast_reader_agrees_with_libyaml_or_steps_aside(document, style):
    text = yaml.safe_dump({"items": [document], "kind": "List"}, **style)
    fast, events = both(text)
    assert fast is fastyaml.NotCanonical or fast == events


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_damaged_documents_are_never_read_differently(data):
    text = dump({"items": [{"metadata": {"name": "a b", "labels": {"x": "1"}}, "n": [1, "2"]}]})
    position = data.draw(st.integers(0, len(text)))
    insert = data.draw(st.sampled_from(["\n", " ", "  ", "- ", ": ", "'", '"', "#", "|", "\t"]))
    damaged = text[:position] + insert + text[position:]
    fast, events = both(damaged)
    assert fast is fastyaml.NotCanonical or fast == events


def test_every_yaml_file_of_the_fixtures_reads_the_same_both_ways():
    checked = 0
    for path in sorted(Path(BUNDLES).rglob("*.yaml")):
        fast, events = both(path.read_text())
        assert fast is fastyaml.NotCanonical or fast == events, path
        checked += fast is not fastyaml.NotCanonical
    assert checked > 50


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab \n", max_size=200), st.integers(min_value=1, max_value=40))
def test_the_fast_reader_sees_the_lines_of_the_file_block_by_block(text, size):
    # The file is split into lines a block at a time (memory), never differently.
    pieces = [line for block in fastyaml._blocks(text, size) for line in block.split("\n")]
    assert pieces == text.split("\n")
