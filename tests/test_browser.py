"""The HTML report in a real browser: Playwright driving the system's Chromium.

Each test opens a golden report (reports/, kept current by test_goldens.py) from disk, with the
browser offline, and fails on any console error or any request other than the file itself.
A screenshot of each test is saved under artifacts/browser/ (kept by CI, ignored by git).
The browser is the Debian package ``chromium`` (never a download); where it is absent the
tests skip and say so.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.goldens import BUNDLES, REPORTS
from tests.conftest import PROJECT

playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')"
)

SCREENSHOTS = PROJECT / "artifacts" / "browser"
CHROMIUM = (
    os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
)
# As root in a container Chromium needs --no-sandbox; the rest keep it from calling home.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine (Debian: apt-get install chromium)")
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Page:
    """A report opened offline, with what it asked the network for and said on the console."""

    def __init__(self, browser: object, report: Path, scheme: str = "light") -> None:
        self.context = browser.new_context(  # type: ignore[attr-defined]
            viewport={"width": 1280, "height": 900}, color_scheme=scheme
        )
        self.context.set_offline(True)
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.url = report.resolve().as_uri()
        self.page.goto(self.url)

    def visible(self, selector: str) -> bool:
        return self.page.locator(selector).first.is_visible()

    def finish(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("window.scrollTo(0, 0)")  # else the sticky toolbar lands mid-page
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        self.context.close()
        assert self.errors == [], self.errors
        assert self.requests == [self.url], f"requests beyond the file: {self.requests}"


@pytest.fixture
def opened(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    pages: list[Page] = []

    def open_report(name: str, scheme: str = "light") -> Page:
        page = Page(browser, REPORTS / f"{name}.html", scheme)
        pages.append(page)
        return page

    yield open_report
    for index, page in enumerate(pages):
        page.finish(request.node.name + (f"-{index}" if index else ""))


def test_root_cause_is_shown_with_its_symptoms_and_graph(opened):
    view = opened("expired-certs-node-down")
    page = view.page
    cause = page.locator(".cause").first
    assert cause.locator("article").first.get_attribute("id") == "rke2-certificate-expired"
    assert "RKE2 certificates expired" in cause.locator("h3").first.inner_text()
    symptoms = cause.locator(".symptoms article")
    assert sorted(symptoms.evaluate_all("els => els.map(e => e.dataset.rule)")) == [
        "node-not-ready",
        "node-zip-missing",
    ]
    assert symptoms.first.is_visible()
    assert cause.locator("svg.causal rect").count() == 3
    # One arrow per explains edge between fired findings, as the JSON report has them.
    findings = json.loads((REPORTS / "expired-certs-node-down.json").read_text())["findings"]
    members = {"rke2-certificate-expired", "node-not-ready", "node-zip-missing"}
    edges = sum(len(set(f["explained_by"]) & members) for f in findings if f["rule_id"] in members)
    assert cause.locator("svg.causal .edge").count() == edges >= 2
    # A box in the graph links to its finding.
    cause.locator('svg.causal a[href="#node-zip-missing"]').click()
    assert page.evaluate("location.hash") == "#node-zip-missing"
    assert view.visible("#node-zip-missing")
    assert "3 of 3 findings shown" in page.locator("#shown").inner_text()


def test_severity_filter_hides_findings_and_updates_counts(opened):
    page = opened("expired-certs-node-down").page
    page.locator('.toolbar input[data-sev="high"]').uncheck()
    assert page.locator('article[data-rule="node-not-ready"]').is_hidden()
    assert page.locator('article[data-rule="rke2-certificate-expired"]').is_visible()
    assert page.locator("#shown").inner_text() == "2 of 3 findings shown"
    page.locator('.toolbar input[data-sev="critical"]').uncheck()
    page.locator('.toolbar input[data-sev="low"]').uncheck()
    assert page.locator("#shown").inner_text() == "0 of 3 findings shown"
    assert page.locator("#no-match").is_visible()
    page.locator("#reset").click()
    assert page.locator("#shown").inner_text() == "3 of 3 findings shown"


def test_search_narrows_findings_timeline_and_counts(opened):
    page = opened("mixed-upgrade-forbidden").page
    timeline = page.locator("#timeline-count")
    rows_before = timeline.inner_text()
    page.locator("#search").fill("UnhandledError")  # in one cited line only
    shown = page.locator("article[data-fired]:visible")
    assert shown.evaluate_all("els => els.map(e => e.dataset.rule)") == ["node-identity-forbidden"]
    assert page.locator("#shown").inner_text() == "1 of 3 findings shown"
    chip = page.locator('.toolbar input[data-sev="medium"] ~ .count')
    assert chip.inner_text() == "1"
    assert timeline.inner_text() != rows_before and timeline.inner_text().startswith("1 of")
    # The match is inside the evidence: the search opened it.
    assert page.locator(
        'article[data-rule="node-identity-forbidden"] .evidence mark'
    ).first.is_visible()
    page.locator("#search").press("Escape")
    assert page.locator("#shown").inner_text() == "3 of 3 findings shown"
    assert timeline.inner_text() == rows_before


def test_evidence_expands_with_the_match_highlighted_and_context(opened):
    page = opened("mixed-upgrade-forbidden").page
    finding = page.locator('article[data-rule="node-identity-forbidden"]')
    evidence = finding.locator("details.evidence")
    mark = evidence.locator("mark").first
    assert not mark.is_visible()
    evidence.locator("summary").click()
    assert mark.is_visible()
    assert mark.inner_text().startswith("pods is forbidden")
    first = evidence.locator("pre.context").first
    assert first.locator(".hit").count() == 1 and first.locator(".ctx").count() >= 2
    assert "rke2-server.log:5" in evidence.locator(".loc").first.inner_text()
    page.locator("#collapse").click()
    assert not mark.is_visible()
    page.locator("#expand").click()
    assert (
        page.locator("details.evidence[open]").count() == page.locator("details.evidence").count()
    )


def test_print_shows_all_evidence_and_no_controls(opened):
    page = opened("mixed-upgrade-forbidden").page
    page.locator("#search").fill("nodes is forbidden")  # filters do not apply to paper
    page.emulate_media(media="print")
    assert page.locator(".toolbar").is_hidden()
    assert page.locator('article[data-rule="mixed-node-versions"]').is_visible()
    for pre in page.locator("details.evidence:not([open]) pre").all():
        assert pre.is_visible()
    page.emulate_media(media="screen")
    assert page.locator(".toolbar").is_visible()
    page.emulate_media(media="print")  # the screenshot shows the page as printed


def test_dark_mode_follows_the_preference_and_the_toggle(opened):
    page = opened("expired-certs-node-down", scheme="dark").page

    def background() -> str:
        return page.evaluate("getComputedStyle(document.body).backgroundColor")

    dark = background()
    assert dark == "rgb(20, 23, 28)"
    page.locator("#theme").click()  # auto -> dark: unchanged
    page.locator("#theme").click()  # dark -> light
    assert background() == "rgb(255, 255, 255)"


def test_largest_fixture_opens_offline_without_any_request(opened):
    def size(folder: Path) -> int:
        return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())

    def fired(folder: Path) -> int:  # the page's #expand needs findings to expand
        report = json.loads((REPORTS / f"{folder.name}.json").read_text(encoding="utf-8"))
        return report["summary"]["statuses"]["fired"]

    largest = max((p for p in BUNDLES.iterdir() if p.is_dir() and fired(p)), key=size)
    view = opened(largest.name)
    page = view.page
    assert page.locator("h1").inner_text() == "Support bundle analysis"
    page.locator("#expand").click()
    for link in page.locator("a[href^='#']").all()[:10]:
        link.click()  # in-page links only move within the page
    # finish() asserts that the file was the only request and nothing was logged as an error.
