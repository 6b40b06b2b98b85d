"""Versions, yearless timestamps, the log scanner and the jmespath helpers."""

from __future__ import annotations

import io
import re

import pytest

from analyzer.bundle import logscan
from analyzer.bundle.logscan import (
    HitSink,
    LogPattern,
    PatternError,
    compile_pattern,
    line_blocks,
    scan,
)
from analyzer.bundle.timestamps import iso, line_time, parse_rfc3339
from analyzer.query import compile_query
from analyzer.versions import VersionRange, compare_versions, parse_version


@pytest.mark.parametrize(
    ("older", "newer"),
    [
        ("v1.5.0-rc2", "v1.5.0-rc3"),
        ("v1.5.0-rc3", "v1.5.0"),
        ("v1.5.0-rc9", "v1.5.0-rc10"),
        ("v1.31.4+rke2r1", "v1.32.0"),
        ("v1.32.3", "v1.33.5+rke2r1"),
    ],
)
def test_version_order(older, newer):
    assert compare_versions(older, newer) == -1 and compare_versions(newer, older) == 1


def test_versions_that_are_the_same_or_not_versions():
    assert parse_version("v1.32.3-rke2r1-build20250312") == parse_version("v1.32.3+rke2r1")
    assert parse_version("1a861fc-dirty") is None and parse_version(None) is None
    assert compare_versions("master-head", "v1.5.0") is None


def test_version_ranges():
    rc = VersionRange.parse(">=1.5.0-rc2, <1.5.0")
    assert [
        rc.contains(parse_version(v)) for v in ("v1.5.0-rc1", "v1.5.0-rc2", "v1.5.0-rc3", "v1.5.0")
    ] == [False, True, True, False]
    assert VersionRange.parse(">=1.32").contains(parse_version("v1.32.3+rke2r1"))
    with pytest.raises(ValueError, match="not a version"):
        VersionRange.parse(">=one")


REFERENCE = parse_rfc3339("2025-01-05T10:00:00Z")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Jan 05 09:59:00 n1 rke2[1]: x", "2025-01-05T09:59:00Z"),
        ("Dec 31 23:00:00 n1 kernel: y", "2024-12-31T23:00:00Z"),  # before New Year: last year
        ("E0104 08:00:00.123456    42 file.go:1] z", "2025-01-04T08:00:00Z"),
        ('2025-01-05T09:00:00.123456789Z time="x" level=info', "2025-01-05T09:00:00Z"),
        ('time="2025-01-05T08:30:00Z" level=error msg="m"', "2025-01-05T08:30:00Z"),
        ('{"level":"warn","ts":"2025-01-05T07:00:00.5Z","msg":"slow"}', "2025-01-05T07:00:00Z"),
        ("n 05 09:00:00 n1 partial first line of a cut log", None),
        ("-- Logs begin at Sun 2025-01-01 --", None),
    ],
)
def test_line_times(line, expected):
    assert iso(line_time(line, REFERENCE)) == expected


def test_yearless_lines_without_a_reference_have_no_time():
    assert line_time("Jan 05 09:59:00 n1 rke2[1]: x", None) is None


def hits(data: bytes, exclude: str | None = None, **patterns: str) -> dict[str, HitSink]:
    sinks: dict = {}
    compiled = {
        k: LogPattern(compile_pattern(v), compile_pattern(exclude) if exclude else None)
        for k, v in patterns.items()
    }
    scan(io.BytesIO(data), "f.log", compiled, sinks)
    for key in patterns:
        sinks.setdefault(key, HitSink())
    return sinks


def test_scan_numbers_lines_and_matches_once_per_line():
    data = b"one error\ntwo\nthree error error\n\nfive error"
    sink = hits(data, e="error")["e"]
    assert sink.count == 3
    assert [(h.line, h.text) for h in sink.hits()] == [
        (1, "one error"),
        (3, "three error error"),
        (5, "five error"),
    ]


def test_scan_does_not_match_across_lines():
    assert hits(b"foo\nbar\n", a=r"foo\s+bar")["a"].count == 0
    assert hits(b"foo\nfoo bar\n", a=r"foo\s+bar")["a"].hits()[0].line == 2


def test_scan_named_groups_and_invalid_utf8():
    sink = hits(b"\xff\xfe node=n3 denied\n", a=r"node=(?P<node>\w+) denied")["a"]
    [hit] = sink.hits()
    assert hit.groups == {"node": "n3"} and hit.text.startswith("\ufffd")


def test_scan_across_block_boundaries_and_overlong_lines(monkeypatch):
    monkeypatch.setattr(logscan, "BLOCK", 8)
    monkeypatch.setattr(logscan, "MAX_LINE", 32)
    data = b"short\n" + b"x" * 100 + b" needle\nneedle after\n" + b"y" * 50
    sink = hits(data, n="needle")["n"]
    # The needle past MAX_LINE in line 2 is cut off; line 3 is still counted right.
    assert [(h.line, h.text) for h in sink.hits()] == [(3, "needle after")]
    assert [n for n, *_ in line_blocks(io.BytesIO(data))][-1] == 4


def test_scan_keeps_first_and_last_hits(monkeypatch):
    monkeypatch.setattr(logscan, "KEEP_FIRST", 2)
    monkeypatch.setattr(logscan, "KEEP_LAST", 2)
    data = b"".join(b"hit %d\n" % i for i in range(10))
    sink = hits(data, h="hit")["h"]
    assert sink.count == 10
    assert [h.line for h in sink.hits()] == [1, 2, 9, 10]


def test_query_functions():
    data = {
        "nodes": [{"v": "v1.31.4+rke2r1", "g": {"B": True, "A": False}}, {"v": "v1.32.3", "g": {}}]
    }
    assert compile_query("unique(nodes[].v)").search(data) == ["v1.31.4+rke2r1", "v1.32.3"]
    assert compile_query("nodes[?version_cmp(v, 'v1.32.0') == `-1`].v").search(data) == [
        "v1.31.4+rke2r1"
    ]
    assert compile_query("items(nodes[0].g)[?value == `false`].key").search(data) == ["A"]
    assert compile_query("lower('ABC')").search({}) == "abc"


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("!a[].b", "'!' applies only to the name right after it"),
        ("x[?!y[].z]", "'!' applies only to the name right after it"),
        ("!a.b", "'!' applies only to the name right after it"),
        ("[a, b][][?c]", "write '[] | [?...]'"),
    ],
)
def test_jmespath_pitfalls_are_refused(text, hint):
    from analyzer.query import QueryError

    with pytest.raises(QueryError, match=re.escape(hint)):
        compile_query(text)


def test_the_intended_forms_pass():
    for text in ("!(a[].b)", "[a, b][] | [?c]", "x[?!(y[].z)]", "a[][].b", "!a", "a && !b"):
        compile_query(text)


def test_exclude_skips_lines():
    sink = hits(b"error a\nerror benign b\nerror c\n", exclude="benign", e="error")["e"]
    assert [h.line for h in sink.hits()] == [1, 3]


def test_catastrophic_patterns_run_in_linear_time():
    # (a+)+$ backtracks exponentially in a backtracking engine; RE2 answers at once.
    sink = hits(b"a" * 60_000 + b"!\n", evil=r"(a+)+$")["evil"]
    assert sink.count == 0


def test_lookarounds_are_refused_with_a_hint():
    with pytest.raises(PatternError, match="use the matcher's exclude"):
        compile_pattern(r"^(?!.*benign).*error")


def test_quoted_scalars_do_not_change_how_plain_ones_read():
    from analyzer.bundle.yamlfile import load_document

    assert load_document(io.BytesIO(b"a: '0'\nb: 0\nc: 'yes'\nd: yes\n")) == {
        "a": "0",
        "b": 0,
        "c": "yes",
        "d": True,
    }


def test_managed_fields_are_not_built():
    from analyzer.bundle.yamlfile import load_list

    text = (
        b"items:\n- metadata:\n    name: p\n    managedFields:\n    - manager: kubelet\n"
        b"  spec: {}\n"
    )
    assert load_list(io.BytesIO(text)).items == [{"metadata": {"name": "p"}, "spec": {}}]


def test_the_parse_budget_bounds_values_not_bytes():
    from analyzer.bundle.yamlfile import ParseBudget, YamlFileError, load_list

    budget = ParseBudget(values=1000)
    load_list(io.BytesIO(b"items:\n" + b"- {a: 1}\n" * 100), budget)  # 100 x (4 + 2) = 600
    assert budget.left == 1000 - 600 - 9  # the List itself: a mapping, a key, a sequence
    with pytest.raises(YamlFileError, match="over the parsing budget of 1000 values"):
        load_list(io.BytesIO(b"items:\n" + b"- {a: 1}\n" * 100), budget)
