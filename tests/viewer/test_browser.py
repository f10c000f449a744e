"""The viewer and the report in a real browser: Debian's chromium driven by Playwright.

These tests fail (they do not skip) when chromium or Playwright is missing: CI installs both
(``apt-get install chromium``; ``pip install -e '.[dev]'``). Screenshots are written to the
test's temporary directory as artefacts.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from simulacra.viewer import load_runs
from simulacra.viewer._report import write_report
from simulacra.viewer._server import RunningViewer, start_viewer
from tests.viewer._golden import XSS, Golden

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SIMULACRA_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[dev]'")
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.fail(
            f"chromium not found at {CHROMIUM} (set SIMULACRA_CHROMIUM or apt-get install chromium)"
        )
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(golden: Golden) -> Iterator[RunningViewer]:
    viewer = start_viewer(load_runs([golden.a, golden.b]))
    yield viewer
    viewer.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))  # type: ignore[attr-defined]
    pg.on(
        "console",
        lambda m: pg.errors.append(m.text) if m.type == "error" else None,  # type: ignore[attr-defined]
    )
    yield pg
    context.close()


def expect(locator: Any) -> Any:
    """Playwright's retrying assertions (no JavaScript eval, which the page's CSP forbids)."""
    from playwright.sync_api import expect as pw_expect

    return pw_expect(locator)


def _open(page: Any, url: str) -> None:
    page.goto(url)
    page.wait_for_selector("body[data-ready='1']")


def test_run_list_loads(page: Any, server: RunningViewer, tmp_path: Path) -> None:
    _open(page, server.url)
    cards = page.locator("#run-list .run-card")
    assert cards.count() == 2
    assert "hotel-a" in cards.nth(0).inner_text()
    assert "goal_reached: 1" in cards.nth(0).inner_text()
    assert page.locator("#sidebar a.item").count() == 2
    page.screenshot(path=str(tmp_path / "runs.png"))
    assert page.errors == []


def test_run_page_shows_plots_and_table(page: Any, server: RunningViewer, tmp_path: Path) -> None:
    _open(page, server.url + "#/run/0")
    page.wait_for_selector("#conversations tbody tr")
    assert page.locator("#conversations tbody tr").count() == 4
    imgs = page.locator(".plots img")
    assert imgs.count() >= 6
    for i in range(imgs.count()):  # every plot image loaded and decoded
        expect(imgs.nth(i)).to_have_js_property("complete", True)
        assert imgs.nth(i).evaluate("i => i.naturalWidth") > 0
    page.screenshot(path=str(tmp_path / "run.png"), full_page=True)
    assert page.errors == []


def test_transcript_renders_with_details(page: Any, server: RunningViewer, golden: Golden) -> None:
    _open(page, f"{server.url}#/run/0/c/{golden.reasoning_id}")
    turns = page.locator(".transcript .turn")
    assert turns.count() == 4
    assert turns.nth(0).locator(".text").inner_text() == "hi, a double room 12-14 March please"
    assert "simulated_human" in (turns.nth(0).get_attribute("class") or "")
    assert "ai_system" in (turns.nth(1).get_attribute("class") or "")
    assert page.locator("#goal").inner_text().startswith("Book a double room")
    turns.nth(0).locator("details.reasoning-box summary").click()
    assert "dates first" in turns.nth(0).locator(".reasoning").inner_text()
    turns.nth(0).locator("details.retrieved summary").click()
    assert "price per night" in turns.nth(0).locator("details.retrieved").inner_text()
    assert "0.25 s" in turns.nth(0).locator(".who").inner_text()
    assert "goal_reached" in page.locator("#termination").inner_text()
    assert "nurse" in page.locator(".profile").inner_text()
    assert page.errors == []


def test_filter_by_profile_attribute_and_outcome(page: Any, server: RunningViewer) -> None:
    _open(page, server.url + "#/run/0")
    page.select_option("#f-attrKey", "attributes.occupation")
    page.select_option("#f-attrValue", "nurse")
    page.click("#f-apply")
    expect(page.locator("#conversations tbody tr")).to_have_count(2)
    ids = page.locator("#conversations tbody tr").evaluate_all("rs => rs.map(r => r.dataset.id)")
    assert sorted(ids) == ["a-maya-book", "a-maya-breakfast"]
    assert page.locator("#row-count").inner_text() == "2 of 4 conversations"
    page.select_option("#f-outcome", "user_stop")
    page.click("#f-apply")
    expect(page.locator("#conversations tbody tr")).to_have_count(1)
    page.click("#f-reset")
    expect(page.locator("#conversations tbody tr")).to_have_count(4)


@pytest.mark.parametrize("bypass_csp", [False, True], ids=["with-csp", "without-csp"])
def test_injected_markup_is_text_and_does_not_execute(
    browser: Any, server: RunningViewer, golden: Golden, tmp_path: Path, bypass_csp: bool
) -> None:
    # Without the CSP too: the page must be safe by writing text, not only by the policy.
    context = browser.new_context(bypass_csp=bypass_csp)
    page = context.new_page()
    try:
        _open(page, f"{server.url}#/run/0/c/{golden.xss_id}")
        first = page.locator(".transcript .turn").nth(0)
        assert first.locator(".text").inner_text() == XSS
        assert first.locator(".text img, .text script, .text b").count() == 0
        assert page.locator("main img, main script").count() == 0
        assert page.evaluate("() => window.__xss") is None
        assert "<i>the teacher</i>" in page.locator(".profile h3").inner_text()
        page.screenshot(path=str(tmp_path / "xss.png"))
        _open(page, server.url + "#/run/0")  # the list shows the same text as a preview
        assert XSS[:40] in page.locator("#conversations").inner_text()
        assert page.evaluate("() => window.__xss") is None
    finally:
        context.close()


def test_compare_shows_both_runs_side_by_side(
    page: Any, server: RunningViewer, tmp_path: Path
) -> None:
    _open(page, server.url + "#/compare/0/1")
    page.wait_for_selector("#pair-view .pair-side")
    sides = page.locator("#pair-view .pair-side")
    assert sides.count() == 2
    assert "hotel-a" in sides.nth(0).inner_text() and "hotel-b" in sides.nth(1).inner_text()
    assert sides.nth(0).locator(".turn").count() == 4  # a-maya-book
    assert sides.nth(1).locator(".turn").count() == 4  # b-maya-book
    assert page.locator("#pairs tbody tr").count() == 4
    page.locator("#pairs tbody tr").nth(1).click()
    expect(page.locator("#pairs tbody tr").nth(1)).to_have_class("sel")
    page.screenshot(path=str(tmp_path / "compare.png"), full_page=True)
    assert page.errors == []


def test_report_opens_and_shows_its_plots(page: Any, golden: Golden, tmp_path: Path) -> None:
    out = write_report([golden.a, golden.b], tmp_path / "report.html", sample=4)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(out.as_uri())
    svgs = page.locator("svg.plot")
    assert svgs.count() >= 8
    box = svgs.nth(0).bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 40
    assert "Why conversations ended" in page.locator("body").inner_text()
    assert XSS in page.locator("body").inner_text()
    assert page.evaluate("() => window.__xss") is None
    assert all(u.startswith("file://") for u in requests), requests
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert page.errors == []
