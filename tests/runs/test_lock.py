"""One writer per run directory: an OS lock that a second writer meets with one line, exit 2,
and that dies with its process (SIGKILL leaves no stale lock)."""

from __future__ import annotations

import fcntl
import gc
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.runs import RunWriter, read_conversations
from simulacra.runs._store import LOCK_FILE, scan_run
from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, records, start_cli, write_config

WAIT_S = 900  # generous: the machine may be loaded; nothing here is a timing assertion


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.is_file() else 0


def _wait_for_lines(path: Path, more_than: int, proc: subprocess.Popen[str]) -> None:
    """Wait until ``path`` holds more than ``more_than`` complete lines (the writer is under way)."""
    deadline = time.monotonic() + WAIT_S
    while _lines(path) <= more_than:
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.05)


def _one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# --- in-process -------------------------------------------------------------------------------


def _conversation(cid: str) -> Conversation:
    return Conversation(id=cid, scenario_id="s", participants=[])


def _locked(run: Path) -> bool:
    """Whether some writer holds the run's lock (a new open file description cannot take it)."""
    fd = os.open(run / LOCK_FILE, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_second_writer_in_this_process_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    first = RunWriter(run, {"name": "r", "config_sha256": "x"})
    first.write(_conversation("a"))
    assert _locked(run)
    assert (run / LOCK_FILE).read_text().strip() == str(os.getpid())
    with pytest.raises(ConfigError, match="already open for writing in this process"):
        RunWriter.reopen(run)
    first.close()
    assert not _locked(run)
    again = RunWriter.reopen(run)
    again.write(_conversation("b"))
    again.close()
    assert [c.id for c in read_conversations(run)] == ["a", "b"]


def test_scan_holds_the_lock_until_its_writer_closes_or_it_is_dropped(tmp_path: Path) -> None:
    run = tmp_path / "run"
    writer = RunWriter(run, {"name": "r", "config_sha256": "x"})
    writer.write(_conversation("a"))
    writer.close()

    existing = scan_run(run, config_sha="x", force=False)
    assert existing.done_ids == {"a"}
    assert _locked(run)  # held from the scan on: nobody can write between scan and resume
    resumed = RunWriter.reopen(existing.directory)  # this process's writer takes it over
    with pytest.raises(ConfigError, match="already open for writing"):
        scan_run(run, config_sha="x", force=False)
    resumed.close()
    assert not _locked(run)

    dropped = scan_run(run, config_sha="x", force=False)  # a resume that never got a writer
    assert _locked(run)
    del dropped
    gc.collect()
    assert not _locked(run)

    with pytest.raises(ConfigError, match="config changed"):
        scan_run(run, config_sha="other", force=False)
    assert not _locked(run)


# --- two processes ----------------------------------------------------------------------------


def test_a_second_writer_gets_one_line_and_the_first_finishes_without_duplicates(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.3)) as server:
        write_config(tmp_path / "run.yaml", server.base_url, epochs=20, max_turns=2, in_flight=2)
        first = start_cli(["run", "run.yaml", "-o", "out", "-q"], tmp_path)
        deadline = time.monotonic() + WAIT_S
        while not list((tmp_path / "out").glob("*/conversations.jsonl")):
            assert first.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        [run_dir] = list((tmp_path / "out").iterdir())
        log = run_dir / "conversations.jsonl"
        _wait_for_lines(log, 0, first)

        second = cli("run", "run.yaml", "--resume", str(run_dir))
        assert second.returncode == 2, second.stderr
        line = _one_line(second.stderr)
        assert line == (
            f"simulacra: error: run directory {run_dir} is being written by another simulacra "
            f"process (pid {first.pid}); wait for it or resume later"
        )
        assert second.stdout == ""

        server.config.latency = 0.0  # let the first writer finish quickly
        _, err = first.communicate(timeout=WAIT_S)
        assert first.returncode == 0, err
    got = records(run_dir)  # asserts: no id twice
    assert len(got) == 80
    assert _lines(log) == 80
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "complete"
    assert "resumed_at" not in manifest  # the refused resume wrote nothing


def test_sigkill_leaves_no_stale_lock_and_two_resumes_do_not_mix(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.05)) as server:
        cfg = write_config(
            tmp_path / "run.yaml", server.base_url, epochs=20, max_turns=2, in_flight=2
        )
        reference = cli("run", "run.yaml", "-o", "ref", "-q")
        assert reference.returncode == 0, reference.stderr
        expected = records(tmp_path / reference.stdout.strip())

        killed = start_cli(["run", "run.yaml", "-o", "out", "-q"], tmp_path)
        deadline = time.monotonic() + WAIT_S
        while not list((tmp_path / "out").glob("*/conversations.jsonl")):
            assert killed.poll() is None and time.monotonic() < deadline, "the run never started"
            time.sleep(0.05)
        [run_dir] = list((tmp_path / "out").iterdir())
        log = run_dir / "conversations.jsonl"
        _wait_for_lines(log, 0, killed)
        killed.send_signal(signal.SIGKILL)
        killed.wait(timeout=WAIT_S)
        assert (run_dir / LOCK_FILE).read_text().strip() == str(killed.pid)  # content, no lock

        server.config.latency = 0.3
        before = _lines(log)
        resumer = start_cli(["run", str(cfg), "--resume", str(run_dir), "-q"], tmp_path)
        _wait_for_lines(log, before, resumer)  # the dead writer's lock did not stop it
        rival = cli("run", str(cfg), "--resume", str(run_dir), "-q")
        assert rival.returncode == 2, rival.stderr
        assert f"another simulacra process (pid {resumer.pid})" in _one_line(rival.stderr)

        server.config.latency = 0.0
        _, err = resumer.communicate(timeout=WAIT_S)
        assert resumer.returncode == 0, err
    assert records(run_dir) == expected
    assert _lines(log) == 80
    assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"
