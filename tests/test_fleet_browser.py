"""The fleet report's HTML in the real browser, offline: no request but the file, no console
error (a CSP violation is one), the charts drawn as inline SVG with one bar per root cause."""

from __future__ import annotations

from pathlib import Path

from analyzer.fleet.render import render_fleet
from analyzer.fleet.summary import summarize
from tests.test_browser import Page, browser  # noqa: F401 - the browser fixture


def _rows() -> tuple[list[dict], list[dict]]:
    bundles, findings = [], []
    causes = ["kube-vip-crash", "volume-faulted", "rke2-certificate-expired"]
    for i in range(12):
        sha = f"{i:064x}"
        status = "ok" if i < 10 else ("timeout" if i == 10 else "crashed")
        bundles.append(
            {
                "path": f"/archive/ticket-{i}/<b>bundle-{i}</b>.zip",
                "sha256": sha,
                "status": status,
                "error": "" if status == "ok" else "<script>alert(1)</script>",
                "seconds": 0.5 + i,
                "created_at": f"2025-{1 + i % 4:02d}-03T10:00:00Z",
                "harvester_version": ["v1.4.2", "v1.5.0", "v1.5.0-rc3"][i % 3],
                "rule_pack": "abc",
            }
        )
        if status == "ok":
            for cause in causes[: 1 + i % 3]:
                findings.append(
                    {
                        "bundle_sha256": sha,
                        "rule_id": cause,
                        "severity": "high",
                        "fired": True,
                        "role": "root cause",
                    }
                )
    return bundles, findings


def test_fleet_report_opens_offline_with_its_charts(browser: object, tmp_path: Path) -> None:  # noqa: F811
    summary = summarize(*_rows())
    target = tmp_path / "fleet.html"
    target.write_text(render_fleet(summary, "html"))
    page = Page(browser, target)
    bars = page.page.locator("svg rect.bar")
    assert bars.count() == len(summary.prevalence) + len(summary.months)
    widths = [float(bars.nth(i).get_attribute("width")) for i in range(len(summary.prevalence))]
    assert widths == sorted(widths, reverse=True) and widths[0] > widths[-1]
    assert page.page.locator("#prevalence tr").count() == 1 + len(summary.prevalence)
    # Archive text is text: the error's markup is shown, not run.
    assert "<script>alert(1)</script>" in page.page.locator("#failed").inner_text()
    assert page.page.locator("#failed b").count() == 0
    page.finish("fleet-report")


def test_backtest_page_opens_offline(browser: object, tmp_path: Path) -> None:  # noqa: F811
    from analyzer.fleet.backtest import RuleChange, render_backtest

    change = RuleChange("k8s-132", True, [("/a/<i>x</i>.zip", "metadata.yaml:1")], [], 2, 5)
    target = tmp_path / "backtest.html"
    target.write_text(render_backtest([change], "html"))
    page = Page(browser, target)
    assert page.page.locator("#summary tr").count() == 2
    assert "/a/<i>x</i>.zip" in page.page.inner_text("body")
    assert page.page.locator("i").count() == 0
    page.finish("fleet-backtest")
