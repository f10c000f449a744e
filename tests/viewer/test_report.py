"""``simulacra report``: one self-contained, script-free HTML file."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from simulacra.datasets._multiwoz import multiwoz_dialogues
from simulacra.errors import ConfigError
from simulacra.viewer._report import write_report
from tests._cli import run_cli
from tests.viewer._golden import XSS, Golden


def test_report_is_self_contained_escaped_and_has_plots(golden: Golden, tmp_path: Path) -> None:
    out = write_report([golden.a, golden.b], tmp_path / "r" / "report.html", sample=4)
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text.replace(html.escape("<script>"), "")
    assert html.escape(XSS) in text
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", text)  # no external requests
    assert text.count("<svg") >= 8
    for title in (
        "Why conversations ended",
        "Who ended them",
        "Outcome per persona",
        "Judge scores",
        "Metrics (95% bootstrap CI)",
        "Words per user turn",
        "Drift",
        "Transcript sample",
    ):
        assert title in text, title
    assert [p.name for p in out.parent.iterdir()] == ["report.html"]  # no temp file left


def test_report_against_real_multiwoz_users(
    golden: Golden, tmp_path: Path, shared_multiwoz: Path
) -> None:
    out = write_report(
        [golden.b], tmp_path / "r.html", reference=f"multiwoz:{shared_multiwoz}", reference_limit=50
    )
    text = out.read_text(encoding="utf-8")
    assert "simulated vs real" in text
    found = re.search(r"real users \(multiwoz: val.json.zip\) \(n=(\d+)\)", text)
    assert found is not None
    real = [
        t
        for d in multiwoz_dialogues(shared_multiwoz, with_turns=True, limit=50)
        for t in d.user_turns
    ]
    assert int(found.group(1)) == len(real) > 50  # every real user turn of 50 dialogues


def test_bad_reference_and_missing_run_are_config_errors(golden: Golden, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="KIND:PATH"):
        write_report([golden.a], tmp_path / "x.html", reference="sgd:/nowhere")
    with pytest.raises(ConfigError, match="not found"):
        write_report([golden.a], tmp_path / "x.html", reference=f"multiwoz:{tmp_path}/no.zip")
    with pytest.raises(ConfigError, match="run directory not found"):
        write_report([tmp_path / "missing"], tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_report_cli(golden: Golden, tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    ok = run_cli(["report", str(golden.a), "-o", str(tmp_path / "cli.html")], cwd=root)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "cli.html").read_text(encoding="utf-8").startswith("<!doctype html>")
    bad = run_cli(["report", str(tmp_path / "nope"), "-o", str(tmp_path / "b.html")], cwd=root)
    assert bad.returncode == 2
    assert bad.stderr.strip().startswith("simulacra: error: run directory not found")
