"""What people read: the Markdown case summary, highlighted evidence with context, the causal
graph, the terminal summary and progress line, and how the CLI picks between them."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import subprocess
import sys
import zipfile
from dataclasses import replace

import pytest

from analyzer import analyze, render
from analyzer.bundle.logscan import line_blocks, lines_at
from analyzer.redact import redact_report
from analyzer.render import highlight, md_context
from analyzer.render.causal import causal_svg, layers
from analyzer.render.terminal import TerminalProgress, render_text
from analyzer.report import Evidence, Finding
from fixtures.goldens import BUNDLES
from fixtures.scenarios import SCENARIOS
from tests.conftest import PROJECT, make_form

ANSI = re.compile(r"\x1b\[")


def summary_of(markdown: str) -> list[str]:
    """The case summary: everything above the first horizontal rule."""
    return markdown.split("\n---\n", 1)[0].rstrip("\n").splitlines()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_markdown_case_summary_is_short_and_names_the_root_causes(scenario, book):
    report = analyze(make_form(scenario.name, "dir", None), book)
    summary = summary_of(render(report, "md"))
    assert len(summary) <= 15, "\n".join(summary)
    text = "\n".join(summary)
    assert report.bundle.kubernetes_version in text and report.bundle.harvester_version in text
    for root in report.root_causes[:3]:
        assert f"(`{root.rule_id}`)" in text
        assert report.finding(root.rule_id).title in text
    if not report.root_causes:
        assert "No problem found" in text
    # Each item is one line: pasted into a ticket it stays a list, not a run-on paragraph.
    assert all(line.startswith(("# ", "- ", "  ")) or not line for line in summary)


def test_markdown_summary_stays_bounded_with_many_root_causes(book):
    report = analyze(make_form("rc3-console-notready", "dir", None), book)
    fired = report.finding("console-false-notready")
    many = tuple(replace(fired, rule_id=f"cause-{i}", title=f"Cause {i}") for i in range(9))
    from analyzer.report import RootCause

    crowded = replace(
        report,
        findings=report.findings + many,
        root_causes=tuple(RootCause(f.rule_id, ()) for f in many),
    )
    summary = summary_of(render(crowded, "md"))
    assert len(summary) <= 15
    assert any("6 more root causes" in line for line in summary)


def test_evidence_has_the_match_and_the_lines_around_it(book):
    report = analyze(make_form("mixed-upgrade-forbidden", "dir", None), book)
    evidence = report.finding("node-identity-forbidden").evidence[0]
    assert evidence.span is not None
    matched = evidence.excerpt[evidence.span[0] : evidence.span[1]]
    assert matched.startswith("pods is forbidden")
    path = BUNDLES / "mixed-upgrade-forbidden" / "nodes/hv-node3/logs/rke2-server.log"
    lines = path.read_text().splitlines()
    n = evidence.line
    assert evidence.before == tuple(lines[max(0, n - 3) : n - 1])
    assert evidence.after == tuple(lines[n : n + 2])
    # Object evidence has neither: it is not a line of a log.
    nodes = report.finding("mixed-node-versions").evidence[0]
    assert nodes.span is None and nodes.before == nodes.after == ()


def test_lines_at_numbers_lines_as_the_scanner_does():
    data = b"".join(b"line %d\n" % i for i in range(1, 200_001)) + b"tail without newline"
    wanted = {1, 2, 99_999, 150_000, 200_001}
    found = lines_at(io.BytesIO(data), wanted)
    assert found == {n: (f"line {n}" if n <= 200_000 else "tail without newline") for n in wanted}
    # Blocks straddle lines; numbering agrees with the block reader everywhere.
    total = sum(block.count(b"\n", s, e) for _, block, s, e in line_blocks(io.BytesIO(data)))
    assert total == 200_001


def test_highlight_escapes_and_marks_only_the_match():
    html = highlight("a <b> MATCH & c", (6, 11))
    assert str(html) == "a &lt;b&gt; <mark>MATCH</mark> &amp; c"
    assert str(highlight("<x>", None)) == "&lt;x&gt;"
    assert str(highlight("short", (2, 99))) == "short"  # a span past the end marks nothing


def test_redaction_covers_context_and_keeps_the_highlight_on_the_match():
    secret = "password: Hunter2Hunter2"
    evidence = Evidence(
        "f.log", 5, f"x {secret} LEAK here", None, (27, 31), (f"before {secret}",), ("ok",)
    )
    assert evidence.excerpt[27:31] == "LEAK"
    finding = Finding("r", "t", "high", "c", "fired", evidence=(evidence,), evidence_total=1)
    report = analyze(make_form("healthy-v161", "dir", None))
    cleaned = redact_report(replace(report, findings=(finding,))).findings[0].evidence[0]
    assert "Hunter2" not in cleaned.excerpt + "".join(cleaned.before)
    assert cleaned.excerpt[cleaned.span[0] : cleaned.span[1]] == "LEAK"
    assert cleaned.after == ("ok",)


def test_markdown_context_fence_outlasts_backticks_in_the_lines():
    evidence = Evidence("f.log", 10, "has ```` four", None, (0, 3), ("`one`",), ("``` three",))
    block = md_context(evidence, "  ")
    lines = block.splitlines()
    assert lines[0] == "  `````text" and lines[-1] == "  `````"
    assert lines[1:4] == ["   9   `one`", "  10 > has ```` four", "  11   ``` three"]


def _finding(rule_id: str, severity: str = "high", **more: object) -> Finding:
    return Finding(rule_id, f"Title of {rule_id}", severity, "c", "fired", **more)  # type: ignore[arg-type]


def test_causal_layout_puts_each_symptom_right_of_its_furthest_cause():
    by_id = {
        "root": _finding("root", explains=("mid", "leaf", "side")),
        "mid": _finding("mid", "medium", explained_by=("root",)),
        "leaf": _finding("leaf", "low", explained_by=("mid", "root")),
        "side": _finding("side", "info", explained_by=("root",)),
    }
    columns, edges = layers(by_id["root"], by_id)
    assert columns == [["root"], ["mid", "side"], ["leaf"]]
    assert sorted(edges) == [("mid", "leaf"), ("root", "leaf"), ("root", "mid"), ("root", "side")]
    svg = str(causal_svg(by_id["root"], by_id))
    assert svg.count("<rect") == 4 and svg.count('class="edge"') == 4
    assert causal_svg(by_id["side"], by_id) == ""  # explains nothing: no graph


def test_causal_svg_escapes_what_rule_packs_say():
    by_id = {"x": _finding("x", explains=("y",)), "y": _finding("y", explained_by=("x",))}
    by_id["x"] = replace(by_id["x"], title="<script>alert(1)</script>")
    svg = str(causal_svg(by_id["x"], by_id))
    assert "<script>" not in svg and "&lt;script&gt;" in svg


def test_terminal_summary_colours_only_when_asked_and_strips_control_characters(book):
    report = analyze(make_form("expired-certs-node-down", "dir", None), book)
    plain = render(report, "text")
    coloured = render(report, "text", color=True)
    assert not ANSI.search(plain) and ANSI.search(coloured)
    assert ANSI.sub("", re.sub(r"\x1b\[[0-9;]*m", "", coloured)) == plain
    assert "RKE2 certificates expired" in plain and "└─" in plain
    hostile = replace(report.finding("rke2-certificate-expired"), title="evil \x1b[2J\x07 title")
    text = render_text(replace(report, findings=(hostile, *report.findings[1:])))
    assert "\x1b" not in text and "\x07" not in text


def test_progress_is_told_every_stage_and_the_line_is_erased(book):
    stages: list[str] = []
    analyze(
        make_form("mixed-upgrade-forbidden", "dir", None),
        book,
        progress=lambda stage, done, total: stages.append(stage),
    )
    order = ["reading objects", "scanning logs", "evaluating rules", "reading context"]
    seen = [s for s in dict.fromkeys(stages) if s in order]
    assert seen == order
    stream = io.StringIO()
    progress = TerminalProgress(stream, delay=0)
    progress("scanning logs", 3 * 2**20, 10 * 2**20)
    assert "scanning logs 3 of 10 MB" in stream.getvalue()
    progress.close()
    assert stream.getvalue().endswith("\r\x1b[2K")
    quiet = io.StringIO()
    TerminalProgress(quiet, delay=60)("scanning logs", 1, 2)  # a short run shows nothing
    assert quiet.getvalue() == ""


def _run_cli(args: list[str], tty: bool) -> tuple[str, str]:
    """Run the CLI with stdout (and stderr) on a pseudo-terminal, or on pipes."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "TERM")}
    command = [sys.executable, "-m", "analyzer", *args]
    if not tty:
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=PROJECT)
        return done.stdout, done.stderr
    primary, secondary = pty.openpty()
    process = subprocess.Popen(command, stdout=secondary, stderr=secondary, env=env, cwd=PROJECT)
    os.close(secondary)
    chunks = []
    while True:
        ready, _, _ = select.select([primary], [], [], 60)
        if not ready:
            process.kill()
            break
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(primary)
    return b"".join(chunks).decode("utf-8", "replace"), ""


def test_cli_prints_the_coloured_summary_on_a_terminal_and_markdown_to_a_pipe():
    bundle = str(BUNDLES / "expired-certs-node-down")
    on_tty, _ = _run_cli(["analyze", bundle, "--fail-on", "none"], tty=True)
    assert ANSI.search(on_tty) and "3 findings from 1 root cause" in on_tty
    piped, err = _run_cli(["analyze", bundle, "--fail-on", "none"], tty=False)
    assert piped.startswith("# Support bundle analysis") and not ANSI.search(piped + err)
    text, _ = _run_cli(["analyze", bundle, "-f", "text", "--fail-on", "none"], tty=False)
    assert "3 findings from 1 root cause" in text and not ANSI.search(text)
    never, _ = _run_cli(["analyze", bundle, "--color", "never", "--fail-on", "none"], tty=True)
    assert "3 findings from 1 root cause" in never and not ANSI.search(never)


def test_cli_writes_the_text_summary_to_a_txt_file(tmp_path):
    bundle = make_form("expired-certs-node-down", "zip", tmp_path)
    target = tmp_path / "summary.txt"
    _run_cli(["analyze", str(bundle), "-o", str(target), "--fail-on", "none"], tty=False)
    assert target.read_text().startswith("bundle-analyzer  supportbundle_")
    assert zipfile.is_zipfile(bundle)
