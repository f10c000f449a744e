"""The annotation page in a real browser: Debian's chromium driven by Playwright, against the
real Starlette app served by uvicorn on 127.0.0.1.

Fails (does not skip) when chromium or Playwright is missing. Set ``SIMULACRA_UPDATE_SCREENSHOTS=1``
to refresh ``docs/images/annotate.png``.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from simulacra.evaluation import load_rubric
from simulacra.evaluation._annotation import likert_study, pairwise_study, read_study
from simulacra.evaluation._annotation_io import read_annotations
from simulacra.viewer._annotate_app import create_annotation_app, start_annotation
from tests.human.conftest import INJECTED

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("SIMULACRA_CHROMIUM", "/usr/bin/chromium")
DOCS_IMAGE = Path(__file__).resolve().parents[2] / "docs" / "images" / "annotate.png"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: pip install -e '.[dev]'")
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not path:
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=["--no-sandbox"])
        yield b
        b.close()


def _page(browser: Any) -> Any:
    context = browser.new_context(viewport={"width": 1200, "height": 860})
    page = context.new_page()
    page.errors = []
    page.dialogs = []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    return page


def _serve(tasks: Path, ratings: Path, annotator: str) -> Any:
    return start_annotation(create_annotation_app(read_study(tasks), ratings, annotator))


def test_likert_rating_lands_in_the_ratings_file(
    browser: Any, two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    tasks, ratings = tmp_path / "tasks.jsonl", tmp_path / "ratings.jsonl"
    likert_study(two_runs, load_rubric("satisfaction"), seed=0, annotators=["ann-01"]).write(
        tasks, tmp_path / "key.jsonl"
    )
    server = _serve(tasks, ratings, "ann-01")
    page = _page(browser)
    try:
        page.goto(server.url)
        page.wait_for_selector("#rating fieldset")
        assert page.inner_text("#annotator") == "ann-01"
        assert "0 / 8 rated" in page.inner_text("#progress")
        first_task = page.inner_text(".task-head .muted")
        # Saving without a choice is refused on the page and nothing is written.
        page.click("#save")
        assert "Rate “satisfaction” first." in page.inner_text("#status")
        assert not ratings.exists()
        page.check("input[name=satisfaction][value='4']")
        page.click("#save")
        page.wait_for_selector("#status.ok")  # (no wait_for_function: the CSP forbids eval)
        assert page.inner_text("#status") == "Saved."
        assert "1 / 8 rated" in page.inner_text("#progress")
        [rating] = read_annotations(ratings, read_study(tasks))
        assert (rating.task_id, rating.annotator, rating.dimension, rating.value) == (
            first_task,
            "ann-01",
            "satisfaction",
            4,
        )
        line = json.loads(ratings.read_text(encoding="utf-8"))
        assert line["annotator"] == "ann-01" and isinstance(line["time"], float)
        assert page.errors == []
    finally:
        page.context.close()
        server.stop()


def test_injected_script_shows_as_text(
    browser: Any, two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    tasks, ratings = tmp_path / "tasks.jsonl", tmp_path / "ratings.jsonl"
    pairwise_study(*two_runs, seed=0).write(tasks, tmp_path / "key.jsonl")
    server = _serve(tasks, ratings, "ann-<b>02</b>")
    page = _page(browser)
    try:
        page.goto(server.url)
        page.wait_for_selector("#side-a")
        # Walk to the pair that holds the injected reply (scenario s1).
        for _ in range(4):
            if "window.__pwned" in page.inner_text("main"):
                break
            page.click("#next")
        shown = page.inner_text("main")
        assert INJECTED in shown  # the markup is visible as text
        assert page.evaluate("window.__pwned") is None  # and never ran
        assert page.locator("main script").count() == 0
        assert page.locator("main img").count() == 0
        assert page.inner_text("#annotator") == "ann-<b>02</b>"  # escaped too
        assert page.dialogs == [] and page.errors == []
        page.check("input[name=preference][value='B']")
        page.click("#save")
        page.wait_for_selector("#status.ok")
        [rating] = read_annotations(ratings, read_study(tasks))
        assert rating.value == "B" and rating.annotator == "ann-<b>02</b>"
        if os.environ.get("SIMULACRA_UPDATE_SCREENSHOTS") == "1":
            page.click("#prev") if page.locator("#prev").is_enabled() else None
            DOCS_IMAGE.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(DOCS_IMAGE), full_page=False)
            assert DOCS_IMAGE.stat().st_size < 300_000
    finally:
        page.context.close()
        server.stop()


def test_server_refuses_bad_and_cross_origin_posts(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    tasks, ratings = tmp_path / "tasks.jsonl", tmp_path / "ratings.jsonl"
    likert_study(two_runs, load_rubric("satisfaction"), seed=0).write(tasks, tmp_path / "k.jsonl")
    tid = next(iter(read_study(tasks).tasks))
    server = _serve(tasks, ratings, "ann")
    url = server.url + "api/ratings"
    try:
        good = {"task_id": tid, "values": {"satisfaction": 3}}
        cases = [
            (
                httpx.post(url, content=json.dumps(good), headers={"content-type": "text/plain"}),
                415,
            ),
            (httpx.post(url, json=good, headers={"origin": "http://evil.example"}), 403),
            (httpx.post(url, json={"task_id": tid, "values": {"satisfaction": 8}}), 400),
            (httpx.post(url, json={"task_id": "t999", "values": {"satisfaction": 3}}), 400),
            (httpx.post(url, json={"task_id": tid, "values": {}}), 400),
            (httpx.get(server.url, headers={"host": "rebinding.example"}), 400),
        ]
        for response, status in cases:
            assert response.status_code == status, response.text
        assert not ratings.exists()  # none of them wrote anything
        page = httpx.get(server.url)
        assert "script-src 'self'" in page.headers["content-security-policy"]
        ok = httpx.post(url, json=good)
        assert ok.status_code == 200 and ok.json()["done"] == 1
        assert len(read_annotations(ratings, read_study(tasks))) == 1
    finally:
        server.stop()
