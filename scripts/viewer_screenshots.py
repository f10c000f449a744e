"""Take the screenshots of docs/viewer.md: the viewer on real runs and their HTML report.

Usage: python scripts/viewer_screenshots.py RUN_A RUN_B [--out docs/images]
Needs Debian's chromium (/usr/bin/chromium or $SIMULACRA_CHROMIUM) and Playwright.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from simulacra.viewer import load_runs
from simulacra.viewer._report import write_report
from simulacra.viewer._server import start_viewer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    parser.add_argument("--conversation", type=int, default=2, help="Row of run 0 to show.")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    runs = load_runs(args.runs)
    cid = runs[0].conversations[args.conversation].id
    viewer = start_viewer(runs)
    report = Path(tempfile.mkdtemp()) / "report.html"
    write_report(args.runs, report, sample=1)
    chromium = os.environ.get("SIMULACRA_CHROMIUM", "/usr/bin/chromium")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 780})
        page.goto(f"{viewer.url}#/run/0/c/{cid}")
        page.wait_for_selector("body[data-ready='1']")
        page.locator(".transcript details").first.click()
        page.screenshot(path=str(args.out / "viewer.png"))
        page.goto(f"{viewer.url}#/run/0")
        page.wait_for_selector("body[data-ready='1']")
        page.wait_for_timeout(500)
        page.screenshot(path=str(args.out / "viewer-run.png"))
        if len(runs) > 1:
            page.goto(f"{viewer.url}#/compare/0/1")
            page.wait_for_selector("#pair-view .pair-side")
            page.evaluate(
                "() => window.scrollTo(0, document.querySelector('#pairs').getBoundingClientRect()"
                ".top + window.scrollY - 70)"
            )
            page.screenshot(path=str(args.out / "viewer-compare.png"))
        page.set_viewport_size({"width": 1200, "height": 1100})
        page.goto(report.as_uri())
        page.screenshot(path=str(args.out / "report.png"))
        browser.close()
    viewer.stop()
    for name in ("viewer.png", "viewer-run.png", "viewer-compare.png", "report.png"):
        if (args.out / name).exists():
            print(args.out / name, (args.out / name).stat().st_size // 1024, "KB")


if __name__ == "__main__":
    main()
