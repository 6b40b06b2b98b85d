"""The diff's HTML in the system's Chromium: it loads offline, its stylesheet passes the
Content-Security-Policy (a violation is a console error), it asks the network for nothing,
and hostile text from the bundle is shown as text."""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import yaml

from analyzer.diff import diff_bundles
from analyzer.render.diff import render_diff
from fixtures.goldens import BUNDLES
from tests.test_browser import Page, browser  # noqa: F401 - the fixture, shared

NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


def test_swapped_fix_diff_shows_warning_and_sections(browser, book, tmp_path):  # noqa: F811
    old = tmp_path / "old"
    shutil.copytree(BUNDLES / "certs-renewed", old)
    settings = old / "yamls/cluster/harvesterhci.io/v1beta1/settings.yaml"
    data = yaml.safe_load(settings.read_text(encoding="utf-8"))
    data["items"].append(
        {"kind": "Setting", "metadata": {"name": "<img src=x onerror=alert(1)>"}, "value": "1"}
    )
    settings.write_text(yaml.safe_dump(data), encoding="utf-8")
    doc = diff_bundles(old, BUNDLES / "expired-certs-node-down", book, now=NOW)
    target = tmp_path / "diff.html"
    target.write_text(render_diff(doc, "html"), encoding="utf-8")
    view = Page(browser, target)
    page = view.page
    assert "NEW was made before OLD" in page.locator(".warning").first.inner_text()
    headings = page.locator("h2").all_inner_texts()
    assert "New findings" in headings and "Settings" in headings
    assert page.locator("img").count() == 0
    assert "<img src=x onerror=alert(1)>" in page.locator("main").inner_text()
    # The report's stylesheet applied under the CSP (blocked, the body would be unstyled).
    assert page.evaluate("getComputedStyle(document.body).maxWidth") == "1180px"
    view.finish("diff-swapped")
    assert view.errors == []
