"""Duplicate ids: refused in a profiles file before anything is written; in a run directory,
repaired on resume when the copies are identical and refused with an explanation otherwise."""

from __future__ import annotations

import json
from pathlib import Path

from simulacra.testing import FaultyServer
from tests.runs.conftest import Runner, records, write_config


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_duplicate_ids_in_a_profiles_file_are_refused_before_anything_is_written(
    tmp_path: Path, cli: Runner
) -> None:
    people = [
        {"id": "ana", "name": "Ana"},
        {"id": "bo", "name": "Bo"},
        {"id": "ana", "name": "Ana again"},
    ]
    (tmp_path / "people.jsonl").write_text("".join(json.dumps(p) + "\n" for p in people))
    config = write_config(tmp_path / "run.yaml", "http://127.0.0.1:9/v1", epochs=1)
    text = config.read_text().replace("profiles:\n", "profiles_file: people.jsonl\nprofiles:\n")
    config.write_text(text)

    done = cli("run", "run.yaml", "-o", "out")
    assert done.returncode == 2, done.stderr
    line = _one_line(done.stderr)
    assert line.startswith("simulacra: error: run.yaml: profiles_file: people.jsonl:"), line
    assert "duplicate profile id 'ana' (profiles 1 and 3)" in line
    assert not (tmp_path / "out").exists()


def test_resume_repairs_identical_duplicates_and_finishes_the_run(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer() as server:
        cfg = write_config(tmp_path / "run.yaml", server.base_url, epochs=2, max_turns=2)
        full = cli("run", "run.yaml", "-o", "out", "-q")
        assert full.returncode == 0, full.stderr
        run_dir = tmp_path / full.stdout.strip()
        expected = records(run_dir)
        assert len(expected) == 8
        log = run_dir / "conversations.jsonl"
        lines = log.read_bytes().splitlines(keepends=True)
        # What two writers at once left: records written twice (byte for byte), 3 missing,
        # and a torn last line.
        log.write_bytes(b"".join([*lines[:3], lines[1], *lines[3:5], lines[0], lines[4][:40]]))

        resumed = cli("run", str(cfg), "--resume", str(run_dir), "-q")
        assert resumed.returncode == 0, resumed.stderr
    assert records(run_dir) == expected  # no id twice, nothing lost
    assert log.read_bytes().count(b"\n") == 8
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "complete"
    [repair] = manifest["repairs"]
    assert repair["removed_identical_duplicates"] == 2
    assert repair["removed_torn_bytes"] == 40


def test_resume_refuses_duplicates_that_differ_and_leaves_the_run_untouched(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer() as server:
        cfg = write_config(tmp_path / "run.yaml", server.base_url, epochs=1, max_turns=2)
        full = cli("run", "run.yaml", "-o", "out", "-q")
        assert full.returncode == 0, full.stderr
        run_dir = tmp_path / full.stdout.strip()
        log = run_dir / "conversations.jsonl"
        lines = log.read_bytes().splitlines(keepends=True)
        other = json.loads(lines[1])
        other["turns"][0]["utterance"] = "a different reply from a second writer"
        log.write_bytes(b"".join([*lines, json.dumps(other).encode() + b"\n"]))
        before = log.read_bytes(), (run_dir / "run.json").read_bytes()

        refused = cli("run", str(cfg), "--resume", str(run_dir))
        assert refused.returncode == 2, refused.stderr
        line = _one_line(refused.stderr)
        assert f"conversations.jsonl:{len(lines) + 1}: duplicate conversation id" in line
        assert "content different from line 2" in line
        assert "two processes wrote this run at once" in line
    assert (log.read_bytes(), (run_dir / "run.json").read_bytes()) == before
