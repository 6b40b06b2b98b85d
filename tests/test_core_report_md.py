"""Issue 11, items 11 and 12: Markdown for tickets, the header of a mixed-version cluster,
code blocks to copy, the causal graph's boxes."""

from __future__ import annotations

import json
import re

from markdown_it import MarkdownIt

from analyzer import render
from analyzer.render import html_text
from analyzer.render.causal import causal_svg
from analyzer.render.markdown import md_prose
from analyzer.render.summary import first_line
from analyzer.report import BundleInfo, Evidence, Finding, NodeInfo, Report, RootCause
from fixtures.goldens import REPORTS

GFM = MarkdownIt("gfm-like", {"html": True, "linkify": False})

WRAPPED = """\
All 3 nodes are Ready, but the console
of joining nodes says NotReady: it lists pods as
system:node:<name> without a field selector.

- hv-node2: Ready=False
  since 10:00
- hv-node3: Ready=Unknown

Run:
```sh
kubectl get pods -A
kubectl get nodes
```
"""


def test_prose_is_a_paragraph_a_line_with_lists_and_code_blocks_kept():
    out = md_prose(WRAPPED)
    assert out.split("\n\n") == [
        "All 3 nodes are Ready, but the console of joining nodes says NotReady: it lists pods "
        "as system:node:\\<name> without a field selector.",
        "- hv-node2: Ready=False since 10:00\n- hv-node3: Ready=Unknown",
        "Run:",
        "```sh\nkubectl get pods -A\nkubectl get nodes\n```",
    ]


def test_angle_brackets_show_as_typed_without_entities():
    out = md_prose("lists pods as system:node:<name> & more, x < 3")
    assert "&lt;" not in out and "&amp;" not in out
    html = GFM.render(out)
    assert "system:node:&lt;name&gt; &amp; more, x &lt; 3" in html  # GitHub shows "<name> &"
    assert "<name>" not in html  # and no tag


def test_html_prose_joins_lines_and_gives_code_blocks_a_copy_button():
    out = str(html_text(WRAPPED))
    assert "<p>All 3 nodes are Ready, but the console of joining nodes says" in out
    assert (
        "<ul><li>hv-node2: Ready=False since 10:00</li><li>hv-node3: Ready=Unknown</li></ul>" in out
    )
    assert (
        '<div class="code"><pre><code>kubectl get pods -A\nkubectl get nodes</code></pre>'
        '<button type="button" class="copy" hidden>Copy</button></div>'
    ) in out


MIXED = BundleInfo(
    "b",
    "0" * 64,
    None,
    "v1.32.3+rke2r1",
    "v1.4.2",
    None,
    tuple(
        NodeInfo(name, "True", kube, f"Harvester {hv}", (), True, hv)
        for name, kube, hv in [
            ("n1", "v1.32.3+rke2r1", "v1.5.0"),
            ("n2", "v1.32.3+rke2r1", "v1.5.0"),
            ("n3", "v1.31.4+rke2r1", "v1.4.2"),
        ]
    ),
)


def _log(line: int, before: int = 2, after: int = 2) -> Evidence:
    return Evidence(
        "logs/a.log",
        line,
        f"line {line}",
        before=tuple(f"line {n}" for n in range(line - before, line)),
        after=tuple(f"line {n}" for n in range(line + 1, line + 1 + after)),
    )


def test_overlapping_and_touching_evidence_windows_print_each_line_once():
    far = _log(40)
    evidence = (_log(10), far, _log(12), _log(17), Evidence("yamls/x.yaml", 3, "obj"))
    fired = Finding("r", "t", "high", "c", "fired", evidence=evidence, evidence_total=5)
    report = Report(MIXED, (fired,), (RootCause("r", ()),), "2026-01-01T00:00:00Z", "0", 1)
    md = render(report, "md")
    numbered = re.findall(r"^  +(\d+) [> ] line \d+$", md, re.M)
    assert numbered == [str(n) for n in [*range(8, 20), *range(38, 43)]]  # 8-14, 15-19 touch
    cited = re.findall(r"^  +(\d+) > ", md, re.M)
    assert cited == ["10", "12", "17", "40"]
    assert md.count("```text") == 2
    assert "- `logs/a.log:10`, `:12`, `:17`:" in md
    assert "`yamls/x.yaml:3`" in md


def test_mixed_versions_are_shown_with_their_counts_and_odd_nodes():
    assert MIXED.shown_version("harvester") == "mixed: v1.5.0 (2), v1.4.2 (1)"
    assert MIXED.shown_version("kubernetes") == "mixed: v1.32.3+rke2r1 (2), v1.31.4+rke2r1 (1)"
    assert MIXED.odd_nodes("harvester") == ("n3",)
    uniform = BundleInfo("b", "0" * 64, None, "v1.32.3", "v1.5.0", None, MIXED.nodes[:2])
    assert uniform.shown_version("harvester") == "v1.5.0" and uniform.odd_nodes("harvester") == ()


def test_the_mixed_fixture_says_so_in_every_format():
    md = (REPORTS / "mixed-upgrade-forbidden.md").read_text()
    assert "Harvester mixed: v1.5.0 (2), v1.4.2 (1)" in md.splitlines()[2]
    assert (
        "| hv-node3 | True | **v1.31.4+rke2r1** (differs) | **Harvester v1.4.2** (differs) |" in md
    )
    html = (REPORTS / "mixed-upgrade-forbidden.html").read_text()
    assert "<dt>Harvester</dt><dd>mixed: v1.5.0 (2), v1.4.2 (1)</dd>" in html
    assert '<td class="odd" title="differs from most nodes">Harvester v1.4.2 (differs)</td>' in html
    text = (REPORTS / "mixed-upgrade-forbidden.txt").read_text()
    assert "Differs from most nodes: hv-node3 (Harvester v1.4.2, Kubernetes v1.31.4+rke2r1)" in text
    bundle = json.loads((REPORTS / "mixed-upgrade-forbidden.json").read_text())["bundle"]
    assert bundle["mixed_versions"]["harvester"] == [
        {"version": "v1.5.0", "nodes": ["hv-node1", "hv-node2"]},
        {"version": "v1.4.2", "nodes": ["hv-node3"]},
    ]
    assert [n["odd_versions"] for n in bundle["nodes"]] == [[], [], ["harvester", "kubernetes"]]
    uniform = json.loads((REPORTS / "v150-ga-uniform.json").read_text())["bundle"]
    assert uniform["mixed_versions"] == {}


def test_the_causal_graph_shows_whole_rule_ids():
    long_id = "node-authorizer-mixed-versions-with-a-longer-name"
    root = Finding("root", "Root", "high", "c", "fired", explains=(long_id,))
    symptom = Finding(long_id, "S", "low", "c", "fired", explained_by=("root",))
    svg = str(causal_svg(root, {"root": root, long_id: symptom}))
    assert f">{long_id}</text>" in svg and "…" not in svg
    width = int(re.search(r'<rect x="\d+" y="\d+" width="(\d+)"', svg)[1])
    assert width >= 20 + 7.5 * len(long_id)


def test_a_report_without_findings_leaves_out_the_filters():
    html = (REPORTS / "healthy-v161.html").read_text()
    assert 'id="search"' not in html and "data-sev=" not in html.split("</nav>")[0]
    assert 'id="theme"' in html
    assert 'id="search"' in (REPORTS / "expired-certs-node-down.html").read_text()


def test_a_next_step_that_introduces_commands_carries_them_on_its_line():
    remediation = (
        "Rotate them,\none node at a time:\n```sh\nrke2 certificate rotate\n"
        "systemctl start rke2-server\n```\nThen wait."
    )
    assert first_line(remediation) == (
        "Rotate them, one node at a time: `rke2 certificate rotate`; `systemctl start rke2-server`"
    )
    md = (REPORTS / "expired-certs-node-down.md").read_text()
    assert (
        "1. Rotate the RKE2 certificates on each server node, one node at a time: "
        "`systemctl stop rke2-server`;" in md
    )
    assert "```" not in md.split("---")[0]  # the case summary has no fence
