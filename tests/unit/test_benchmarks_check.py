"""Benchmark results that know where they came from: ``write_result``'s provenance fields and
``python -m benchmarks check`` (stale templates and code paths, missed goals, old files)."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from benchmarks import _common
from benchmarks.__main__ import check, main
from benchmarks._common import ROOT, code_hash, write_result

from simulacra.prompts import get_template

TEMPLATE = "user/transcript_turn"


def _result(path: Path, **fields: object) -> Path:
    """A result file as ``write_result`` writes it, with the given provenance fields."""
    record = {
        "name": path.stem,
        "value": 1.0,
        "unit": "x",
        "ratio": None,
        "goal": "value ≥ 2",
        "model": "none",
        "machine": "test",
        "date": "2026-01-01",
        "commit": "0" * 40,
        "dirty": False,
        "command": f"python benchmarks/{path.stem}.py",
        "templates": [],
        "model_files": [],
        "code_paths": {},
        "goal_met": True,
        **fields,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2) + "\n")
    return path


def test_write_result_records_provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"not really a model")
    path = write_result(
        "demo",
        value=1.5,
        unit="turns/s",
        ratio=None,
        goal="≥ 2 turns/s",
        model="none",
        details={"n": 3},
        goal_met=False,
        templates=[TEMPLATE, "user/chat_system@1"],
        model_files=[weights],
        code_paths=["benchmarks/_common.py", ROOT / "src/simulacra/prompts/templates"],
    )
    record = json.loads(path.read_text())
    # the old fields are unchanged
    assert record["name"] == "demo" and record["value"] == 1.5 and record["details"] == {"n": 3}
    assert len(record["commit"]) == 40 and isinstance(record["dirty"], bool)
    assert record["command"].split()[0].startswith("python")
    assert record["templates"] == [get_template(TEMPLATE).ref, "user/chat_system@1"]
    assert record["model_files"] == [
        {"file": "model.gguf", "sha256": hashlib.sha256(b"not really a model").hexdigest()}
    ]
    assert record["code_paths"] == {
        "benchmarks/_common.py": code_hash("benchmarks/_common.py"),
        "src/simulacra/prompts/templates": code_hash("src/simulacra/prompts/templates"),
    }
    assert record["goal_met"] is False
    # without the new arguments: a report-only result with its commit and command line
    old = json.loads(
        write_result("plain", value=1, unit="x", ratio=None, goal="report", model="m").read_text()
    )
    assert old["goal_met"] is None and old["templates"] == [] and old["code_paths"] == {}
    assert old["commit"] == record["commit"] and "details" not in old


def test_benchmark_note_is_kept_only_when_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_common, "RESULTS", tmp_path)
    monkeypatch.setenv("BENCHMARK_NOTE", "machine shared with a 40-minute benchmark")
    noted = json.loads(
        write_result("noted", value=1, unit="x", ratio=None, goal="report", model="m").read_text()
    )
    assert noted["note"] == "machine shared with a 40-minute benchmark"
    monkeypatch.setenv("BENCHMARK_NOTE", "")
    plain = json.loads(
        write_result("plain", value=1, unit="x", ratio=None, goal="report", model="m").read_text()
    )
    assert "note" not in plain


def test_code_hash_of_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    first = code_hash("pkg", root=tmp_path)
    assert code_hash(tmp_path / "pkg" / "a.py") == hashlib.sha256(b"x = 1\n").hexdigest()
    (tmp_path / "pkg" / "__pycache__").mkdir()
    (tmp_path / "pkg" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    assert code_hash("pkg", root=tmp_path) == first  # caches do not count
    (tmp_path / "pkg" / "b.py").write_text("")
    assert code_hash("pkg", root=tmp_path) != first  # a new file does
    assert code_hash("missing", root=tmp_path) is None


def test_a_changed_template_version_is_stale(tmp_path: Path) -> None:
    current = get_template(TEMPLATE).version
    _result(tmp_path / "fresh.json", templates=[f"{TEMPLATE}@{current}"])
    _result(tmp_path / "old.json", templates=[f"{TEMPLATE}@{current + 1}"])
    _result(tmp_path / "gone.json", templates=["user/no_such_template@1"])
    by_name = {s.path.name: s for s in check(tmp_path)}
    assert by_name["fresh.json"].label == "ok" and not by_name["fresh.json"].stale
    assert by_name["old.json"].label == "stale"
    assert by_name["old.json"].stale == [
        f"template {TEMPLATE}@{current + 1} is now version {current}"
    ]
    assert by_name["gone.json"].stale == ["template user/no_such_template@1 no longer exists"]


def test_a_changed_code_path_is_stale(tmp_path: Path) -> None:
    root, results = tmp_path / "repo", tmp_path / "results"
    (root / "benchmarks").mkdir(parents=True)
    script = root / "benchmarks" / "bench.py"
    script.write_text("print(1)\n")
    _result(results / "bench.json", code_paths={"benchmarks/bench.py": code_hash(script)})
    assert check(results, root=root)[0].label == "ok"
    script.write_text("print(2)\n")
    (status,) = check(results, root=root)
    assert status.label == "stale" and status.stale == [
        "code path benchmarks/bench.py changed since"
    ]
    script.unlink()
    assert check(results, root=root)[0].stale == ["code path benchmarks/bench.py no longer exists"]


def test_check_lists_missed_goals_and_results_without_provenance(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _result(
        tmp_path / "fast.json",
        code_paths={"benchmarks/_common.py": code_hash("benchmarks/_common.py")},
    )
    _result(tmp_path / "slow.json", goal_met=False)
    _result(tmp_path / "report.json", goal_met=None)
    legacy = tmp_path / "sub" / "legacy.json"  # subfolders count; old files have no provenance
    legacy.parent.mkdir()
    legacy.write_text(json.dumps({"name": "legacy", "value": 1, "goal": "x"}))
    assert main(["check", "--results", str(tmp_path)]) == 0  # nothing stale: exit 0
    *lines, summary = capsys.readouterr().out.splitlines()
    listed = {}
    for line in lines:  # "<label>  <path>[: <reasons>]"
        label, rest = re.split(r"\s{2,}", line, maxsplit=1)
        path, _, reasons = rest.partition(": ")
        listed[path] = (label, reasons)
    assert listed == {
        "fast.json": ("ok", ""),
        "report.json": ("ok", ""),
        "slow.json": ("goal missed", "goal: value ≥ 2"),
        "sub/legacy.json": ("no provenance recorded", ""),
    }
    assert summary == "4 results: 0 stale, 1 goal missed, 1 without provenance"


def test_exit_code_through_python_m_benchmarks(tmp_path: Path) -> None:
    _result(tmp_path / "fresh.json", goal_met=False)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "benchmarks", "check", "--results", str(tmp_path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=900,
        )

    ok = run()
    assert ok.returncode == 0, ok.stderr
    assert "1 results: 0 stale, 1 goal missed" in ok.stdout
    _result(tmp_path / "stale.json", code_paths={"benchmarks/_common.py": "0" * 64})
    stale = run()
    assert stale.returncode == 1, stale.stderr
    assert (
        "stale" in stale.stdout and "code path benchmarks/_common.py changed since" in stale.stdout
    )
    assert "2 results: 1 stale, 1 goal missed" in stale.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "benchmarks", "check", "--results", str(tmp_path / "nope")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert missing.returncode == 2 and "no results folder" in missing.stderr


def test_results_index_is_generated_from_the_files(tmp_path: Path) -> None:
    from benchmarks.tables import index, index_block, write_index

    results = tmp_path / "results"
    results.mkdir()
    (results / "a.json").write_text(
        json.dumps(
            {
                "name": "a",
                "value": 0.25,
                "unit": "AUC | lower is better",
                "ratio": 1.5,
                "goal": "<= 0.3",
                "model": "m",
                "date": "2026-12-07",
                "commit": "0123456789abcdef",
                "goal_met": True,
            }
        )
    )
    (results / "b.json").write_text(json.dumps({"name": "b", "value": 3, "unit": "s"}))
    table = index(results)
    rows = table.splitlines()
    assert len(rows) == 4
    assert rows[2].startswith("| `a` | 0.25 | AUC \\| lower is better | 1.5 | <= 0.3 | ✔ |")
    assert "`0123456`" in rows[2]
    assert rows[3].startswith("| `b` | 3 | s | — | ")
    doc = tmp_path / "performance.md"
    doc.write_text("intro\n<!-- results-index:begin -->\nold\n<!-- results-index:end -->\nmore\n")
    write_index(doc, results)
    text = doc.read_text()
    assert index_block(text) == table and text.startswith("intro\n") and text.endswith("more\n")


def test_the_committed_results_index_matches_the_result_files() -> None:
    from benchmarks.tables import PERFORMANCE, index, index_block

    block = index_block(PERFORMANCE.read_text(encoding="utf-8"))
    assert block == index(), "run: python benchmarks/tables.py index --write"
