"""Issue 11, item 12 in a real browser: the copy buttons of remediation commands, the
controls of a report without findings, the header and graph (screenshots by test_browser's
Page, under artifacts/browser/)."""

from __future__ import annotations

import itertools

from tests.test_browser import browser, opened  # noqa: F401  (fixtures)


def test_copy_button_copies_the_command_offline(opened):  # noqa: F811
    view = opened("expired-certs-node-down")
    view.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = view.page
    block = page.locator('article[data-rule="rke2-certificate-expired"] .remediation .code').first
    button = block.locator("button.copy")
    assert button.is_visible() and button.inner_text() == "Copy"
    button.click()
    page.wait_for_function("document.querySelector('button.copy').textContent === 'Copied'")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == block.locator("code").inner_text()
    assert copied.splitlines() == [
        "systemctl stop rke2-server",
        "rke2 certificate rotate",
        "systemctl start rke2-server",
    ]


def test_a_report_without_findings_shows_no_filter_or_search(opened):  # noqa: F811
    view = opened("healthy-v161")
    page = view.page
    assert page.locator("#search").count() == 0
    assert page.locator(".toolbar input[data-sev]").count() == 0
    assert view.visible("#theme")
    page.locator("#theme").click()  # the script runs without the filters (no error logged)


def test_header_cells_and_graph_labels_are_not_cut(opened):  # noqa: F811
    page = opened("mixed-upgrade-forbidden").page
    page.set_viewport_size({"width": 320, "height": 900})  # a phone: the header cells wrap
    versions = page.locator(".identity dd").all()[:2]
    assert versions[0].inner_text() == "mixed: v1.5.0 (2), v1.4.2 (1)"
    wrapped = 0
    for cell in versions:
        # Each character's line: a line may only start after a space, never inside a word.
        tops = cell.evaluate(
            """el => { const r = document.createRange(); const t = el.firstChild; const out = [];
            for (let i = 0; i < t.length; i++) { r.setStart(t, i); r.setEnd(t, i + 1);
              out.push([t.data[i], Math.round(r.getBoundingClientRect().top)]); }
            return out; }"""
        )
        wrapped += len({top for _, top in tops}) > 1
        for (char, top), (_, next_top) in itertools.pairwise(tops):
            assert next_top == top or char == " ", tops
    assert wrapped, "the test needs a cell that wraps"
    page.set_viewport_size({"width": 1280, "height": 900})
    labels = page.locator("svg.causal a").all()
    assert "node-authorizer-mixed-versions" in [a.get_attribute("href")[1:] for a in labels]
    for link in labels:
        label = link.locator("text.id")
        assert label.text_content() == link.get_attribute("href")[1:]  # the whole rule id
        length = label.evaluate("t => t.getComputedTextLength()")
        assert length + 10 <= link.locator("rect").evaluate("r => r.getBBox().width")
