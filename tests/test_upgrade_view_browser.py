"""Issue 12 item 3 in a real browser: the upgrade's per-node lane in the HTML report, offline
under the report's CSP (test_browser's Page fails on any request or console error)."""

from __future__ import annotations

import pytest

from tests.test_browser import browser, opened  # noqa: F401  (fixtures)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_upgrade_lane_shows_where_each_node_is(opened, scheme):  # noqa: F811
    view = opened("upgrade-stuck-predrain", scheme)
    page = view.page
    assert view.visible("#upgrade-progress")
    rows = page.locator("table.upgrade tbody tr")
    assert rows.count() == 3
    lanes = [
        rows.nth(i).locator("ol.lane li").evaluate_all("items => items.map(i => i.className)")
        for i in range(3)
    ]
    assert lanes == [["done"] * 4, ["done"] * 4, ["done", "current", "todo", "todo"]]
    stuck = rows.nth(2)
    assert stuck.locator("td").nth(2).inner_text() == "Pre-draining"
    assert "2025-06-10T09:12:07Z" in stuck.locator("td.time").inner_text()
    # The current step stands out from the steps to come: the stylesheet (CSP-hashed) applied.
    current, todo = (
        stuck.locator(f"ol.lane li.{status}").first.evaluate("e => getComputedStyle(e).fontWeight")
        for status in ("current", "todo")
    )
    assert int(current) > int(todo)
    # Nothing of the lane is cut or overflows its cell.
    cell = stuck.locator("td").nth(1).bounding_box()
    for box in (li.bounding_box() for li in stuck.locator("ol.lane li").all()):
        assert box and cell and box["x"] + box["width"] <= cell["x"] + cell["width"] + 0.5


def test_a_report_without_an_upgrade_has_no_lane(opened):  # noqa: F811
    page = opened("healthy-v161").page
    assert page.locator("#upgrade-progress").count() == 0
    assert page.locator("ol.lane").count() == 0
