"""The escaping functions of each output context, one by one (issue 10, item 4): whatever the
text, a CommonMark parser reads it back as the text, never as markup."""

from __future__ import annotations

import re

import jinja2
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from analyzer.render.escape import link_target, visible
from analyzer.render.markdown import (
    markdown_environment,
    md_cell,
    md_code_span,
    md_html,
    md_link,
    md_prose,
    md_text,
)
from tests.test_sec_render import Parsed

COMMONMARK = MarkdownIt("commonmark", {"html": True})
GFM = MarkdownIt("gfm-like", {"html": True, "linkify": False})
for _parser in (COMMONMARK, GFM):
    _parser.validateLink = lambda url: True  # a lax viewer: escaping alone must hold
#: the characters Markdown, GFM and HTML act on, and a few letters and digits around them
MARKUP_CHARS = "<>&;#[]()!?*_~`|\\-+=.:/'\" \n\tab1\u202e"
texts = st.text(alphabet=MARKUP_CHARS, max_size=40)
#: one of each construct, in case the search does not come across it
CONSTRUCTS = [
    *("~~a~~", "<?x?>", "<!-- c -->", "<!x>", "<a href=x>y</a>", "[x](javascript:y)"),
    *("![i](data:x)", "[x]: javascript:y", "[^1]", "*a*", "_a_", "**a**", "a\n# h", "1. a"),
    *("2) a", "- a", "+ a", "* a", "> q", "a|b", "&lt;", "&#60;", "<javascript:x>", "x\n---"),
    *("x\n===", "    code", "```\nx", "~~~\nx", "a  \nb", "a\\\nb", "<div>\nx", "`a``"),
    *("``<img src=x onerror=y>`", "\\`x\\`", "a\n\n- b\n---\n+ c\n1) d\n> e\n# f\n<div>"),
]


def with_constructs(test):
    for text in CONSTRUCTS:
        test = example(text)(test)
    return test


def shown(html: str) -> str:
    return " ".join("".join(Parsed(html).text).split())


@settings(max_examples=400, deadline=None)
@given(texts)
@with_constructs
def test_inline_text_reads_back_as_itself(text):
    for parser in (COMMONMARK, GFM):
        parsed = Parsed(parser.render(md_text(text)))
        assert parsed.tags() <= {"p", "code"}, (text, parsed.tags())
        assert all(not attrs for _, attrs in parsed.elements)
        if "`" not in text:  # code spans are kept as code: their fences are not text
            assert shown(parser.render(md_text(text))) == " ".join(visible(text).split())


@settings(max_examples=300, deadline=None)
@given(texts)
@with_constructs
def test_prose_keeps_paragraphs_lists_and_code_blocks_only(text):
    for parser in (COMMONMARK, GFM):
        parsed = Parsed(parser.render(md_prose(text)))
        assert parsed.tags() <= {"p", "code", "ul", "li", "pre"}, (text, parsed.tags())
        assert all(not attrs for _, attrs in parsed.elements)


@settings(max_examples=300, deadline=None)
@given(st.lists(texts, min_size=1, max_size=3))
def test_table_cells_keep_the_row(cells):
    row = "| " + " | ".join(md_cell(c) for c in cells) + " |"
    code_row = "| " + " | ".join(md_code_span(c) for c in cells) + " |"
    header = "| " + " | ".join("h" for _ in cells) + " |\n|" + "---|" * len(cells)
    for body in (row, code_row):
        html = GFM.render(f"{header}\n{body}\n")
        assert html.count("<tr>") == 2, (cells, html)
        # markdown-it pads a short row: count the cells the row itself made
        assert len(re.split(r"(?<!\\)\|", body)[1:-1]) == len(cells), body
        assert Parsed(html).tags() <= {"table", "thead", "tbody", "tr", "th", "td", "code"}


@settings(max_examples=300, deadline=None)
@given(texts)
@with_constructs
def test_code_span_always_closes(text):
    parsed = Parsed(COMMONMARK.render(f"a {md_code_span(text)} z"))
    assert [tag for tag, _ in parsed.elements] == ["p", "code"], text
    assert shown(COMMONMARK.render(f"a {md_code_span(text)} z")).endswith(" z")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:x",
        "//evil.example/x",
        "relative/path",
        "http://[::1",
    ],
)
def test_links_only_to_the_web(url):
    assert link_target(url) is None
    html = COMMONMARK.render(md_link(url))
    assert "<a" not in html and "<script" not in html


def test_web_links_are_encoded_so_they_stay_one_link():
    target = link_target('https://example.com/a b>"<img src=x onerror=alert(1)>`')
    assert target == "https://example.com/a%20b%3E%22%3Cimg%20src=x%20onerror=alert(1)%3E%60"
    parsed = Parsed(COMMONMARK.render(md_link("https://example.com/a b>\u202e")))
    assert [(t, a["href"]) for t, a in parsed.elements if t == "a"] == [
        ("a", "https://example.com/a%20b%3E%E2%80%AE")
    ]


def test_text_in_the_reports_own_html_is_html_escaped_on_one_line():
    assert md_html('<b>x</b> & "q"\n\nnext') == "&lt;b&gt;x&lt;/b&gt; &amp; &#34;q&#34; next"


def test_bidi_and_controls_are_shown_as_code_points():
    assert visible("a\u202eb\u2066c\x1b[2Jd\te\nf") == (
        "a\u2039U+202E\u203ab\u2039U+2066\u203ac\u2039U+001B\u203a[2Jd\te\nf"
    )


def test_a_value_written_without_filter_is_escaped():
    """Forgetting a filter in the Markdown template over-escapes at worst, never goes live."""
    env = markdown_environment(jinja2.DictLoader({"t": "x {{ v }} y{{ 's' if no }}"}))
    out = env.get_template("t").render(v="<img src=x onerror=alert(1)> [a](javascript:b) |", no=0)
    assert out == "x \\<img src=x onerror=alert(1)> \\[a\\](javascript:b) \\| y"
    env = markdown_environment(jinja2.DictLoader({"t": "{{ v | md_code }}"}))
    assert env.get_template("t").render(v="a`b") == "`` a`b ``"
