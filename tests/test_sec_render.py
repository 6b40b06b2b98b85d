"""Markup from a bundle or a rule pack is never live in a report (issue 10, item 4).

One bundle whose every string a report shows carries tags with event handlers, scripts,
javascript: and data: links, unclosed code spans, table pipes, entity tricks, HTML comments,
line breaks and bidi overrides (tests/hostile_corpus.py, MARKUP), analyzed with a rule pack
whose category, titles, references and globs carry them too. The Markdown is rendered by a
CommonMark parser (and its GFM-like preset, with tables) that validates no link, as a lax
ticket viewer would; the HTML report and the rendered Markdown are parsed; the terminal
summary is scanned for control characters.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from analyzer import analyze, load_rules, render
from analyzer.report import Report
from tests import hostile_corpus as corpus

TEMPLATES = Path(__file__).resolve().parent.parent / "analyzer" / "render"
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
#: C0 and C1 controls but newline, and DEL
CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
SGR = re.compile(r"\x1b\[[0-9;]*m")
#: what the Markdown report's own constructs render to: headings, lists, emphasis that the
#: template writes (**), code, fenced blocks, tables, its raw <details>, <summary>, <code>, <sub>
MD_TAGS = {
    *("h1", "h2", "h3", "p", "ul", "ol", "li", "strong", "code", "pre", "hr", "a", "sub"),
    *("details", "summary", "table", "thead", "tbody", "tr", "th", "td"),
}


class Parsed(HTMLParser):
    """Every element, attribute, comment and text of an HTML document."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []
        self.text: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    # Processing instructions and declarations (<?x?>, <!x>) are markup too.
    handle_pi = unknown_decl = handle_comment

    def handle_decl(self, decl: str) -> None:
        if decl != "DOCTYPE html":  # the HTML report's own
            self.comments.append(decl)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def tags(self) -> set[str]:
        return {tag for tag, _ in self.elements}


def assert_nothing_live(parsed: Parsed) -> None:
    for tag, attrs in parsed.elements:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            assert name != "src", (tag, value)
            if name in ("href", "xlink:href", "action", "formaction"):
                # a web link, an anchor or a relative page; never javascript:, data: ...
                scheme = re.match(r"\s*([A-Za-z][A-Za-z0-9+.-]*):", value or "")
                assert not scheme or scheme[1].lower() in ("http", "https"), (tag, value)
            assert not BIDI.search(value or ""), (tag, name)
    assert not parsed.comments, parsed.comments[:2]  # nothing hidden from the reader
    assert not BIDI.search("".join(parsed.text))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Report:
    dest = tmp_path_factory.mktemp("markup")
    result = analyze(corpus.markup_bundle(dest), load_rules(corpus.markup_rules(dest)))
    # The payloads reached every field under test, so no assertion below holds vacuously.
    bundle = result.bundle
    fields = [bundle.name, bundle.kubernetes_version, bundle.harvester_version]
    fields += [bundle.rancher_version, *(t.origin for t in result.timeline if t.rule_id == "")]
    for node in bundle.nodes:
        fields += [node.name, node.ready, node.kubelet_version, node.os_image, " ".join(node.roles)]
    root = result.finding("hostile-root")
    fields += [root.title, root.category, root.message, root.remediation, " ".join(root.references)]
    fields += [result.finding("hostile-skip").message, root.evidence[0].excerpt]
    assert all(field and "onerror" in field for field in fields), fields
    assert root.status == "fired" and result.finding("hostile-skip").status == "skip"
    assert [rc.rule_id for rc in result.root_causes] == ["hostile-root"]
    assert len(result.timeline) >= 5 and any(e.before and e.after for e in root.evidence)
    return result


def markdown_parsers() -> list[tuple[str, MarkdownIt]]:
    parsers = [
        ("commonmark", MarkdownIt("commonmark", {"html": True})),
        ("gfm-like", MarkdownIt("gfm-like", {"html": True, "linkify": False})),
    ]
    for _, parser in parsers:
        # A lax viewer: markdown-it refuses javascript: links itself, our escaping must not
        # count on that.
        parser.validateLink = lambda url: True
    return parsers


@pytest.mark.parametrize("name", ["commonmark", "gfm-like"])
def test_markdown_report_renders_no_injected_element_or_attribute(report, name):
    parser = dict(markdown_parsers())[name]
    markdown = render(report, "md")
    parsed = Parsed(parser.render(markdown))
    assert parsed.tags() <= MD_TAGS, parsed.tags() - MD_TAGS
    assert_nothing_live(parsed)
    assert not BIDI.search(markdown) and "U+202E" in markdown  # shown, not acted on
    hrefs = [a.get("href") for tag, a in parsed.elements if tag == "a"]
    assert all(h.startswith("https://example.com/") for h in hrefs), hrefs


def test_markdown_tables_keep_their_columns(report):
    markdown = render(report, "md")
    parser = dict(markdown_parsers())["gfm-like"]
    rows: list[list[str]] = []  # raw table rows, split as GFM splits them: code or not
    for line in markdown.splitlines():
        if line.startswith("|"):
            rows.append(re.split(r"(?<!\\)\|", line)[1:-1])
        elif rows:
            header = len(rows[0])
            assert all(len(row) == header for row in rows), [r for r in rows if len(r) != header]
            rows = []
    # Rendered: one table per section, each with a row per entry and its header.
    html = parser.render(markdown)
    tables = [table.count("<tr>") for table in html.split("</table>")[:-1]]
    skipped = [f for f in report.findings if f.status in ("skip", "error")]
    skipped = [f for f in skipped if f.skip_kind != "not-applicable"]
    expected = [len(report.timeline) + 1, len(skipped) + 1, len(report.bundle.nodes) + 1]
    assert tables == expected


def test_html_report_has_no_injected_element_and_its_csp_intact(report):
    from analyzer.render import _asset  # the hashes the page must pin

    html = render(report, "html")
    parsed = Parsed(html)
    sources = (TEMPLATES / "templates" / "report.html.j2").read_text()
    sources += (TEMPLATES / "causal.py").read_text() + (TEMPLATES / "__init__.py").read_text()
    emitted = {tag.lower() for tag in re.findall(r"<([A-Za-z][A-Za-z0-9]*)", sources)}
    assert parsed.tags() <= emitted, parsed.tags() - emitted
    assert [tag for tag, _ in parsed.elements].count("script") == 1
    assert [tag for tag, _ in parsed.elements].count("style") == 1
    assert_nothing_live(parsed)
    policies = [
        attrs.get("content")
        for tag, attrs in parsed.elements
        if tag == "meta" and (attrs.get("http-equiv") or "").lower() == "content-security-policy"
    ]
    style, script = _asset("report.css")[1], _asset("report.js")[1]
    assert policies == [
        f"default-src 'none'; style-src '{style}'; script-src '{script}'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    ]
    assert "U+202E" in "".join(parsed.text)
    # A reference that is no web URL is shown, not linked.
    assert "javascript:alert(1)" in "".join(parsed.text)


@pytest.mark.parametrize("color", [False, True], ids=["plain", "colour"])
def test_terminal_summary_has_no_control_or_bidi_character(report, color):
    text = render(report, "text", color=color)
    bare = SGR.sub("", text)
    assert not CONTROL.search(bare), repr(CONTROL.search(bare))
    assert not BIDI.search(bare)
    assert "U+202E" in bare  # the override is shown, not obeyed
    assert ("\x1b[" in text) == color  # our own colour codes only when asked for


def test_rule_reference_renders_no_injected_element(tmp_path):
    """docs/rules.md is Markdown made from a rule pack, which is untrusted too."""
    from analyzer.ruledocs import rule_reference

    markdown = rule_reference(load_rules(corpus.markup_rules(tmp_path)))
    assert "onerror" in markdown and "javascript:" in markdown  # the payloads are there
    for name, parser in markdown_parsers():
        parsed = Parsed(parser.render(markdown))
        assert parsed.tags() <= MD_TAGS, (name, parsed.tags() - MD_TAGS)
        assert_nothing_live(parsed)
        hrefs = [a.get("href") for tag, a in parsed.elements if tag == "a"]
        assert all(h.startswith(("#", "https://example.com/", "rule-format.md")) for h in hrefs)
