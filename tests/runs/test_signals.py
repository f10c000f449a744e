"""SIGTERM is handled like Ctrl-C: no new conversations, in-flight ones finish (a second signal
aborts them), ``run.json`` says ``interrupted``, the resume command is printed, exit code 143."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, records, start_cli, write_config

WAIT_S = 900


def _start_and_wait_for_a_record(tmp_path: Path) -> subprocess.Popen[str]:
    proc = start_cli(["run", "run.yaml", "-o", "out", "-q"], tmp_path)
    # Signal once the run is under way (a conversation written), not after a fixed delay.
    deadline = time.monotonic() + WAIT_S
    while not any(p.stat().st_size for p in (tmp_path / "out").glob("*/conversations.jsonl")):
        assert proc.poll() is None, proc.communicate()[1]
        assert time.monotonic() < deadline, "the run never got going"
        time.sleep(0.05)
    return proc


def test_sigterm_stops_gracefully_marks_interrupted_and_resumes(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.15)) as server:
        cfg = write_config(
            tmp_path / "run.yaml", server.base_url, epochs=20, max_turns=4, in_flight=4
        )
        proc = _start_and_wait_for_a_record(tmp_path)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 143, err
        assert "SIGTERM: stopping; in-flight conversations finish" in err
        [run_dir] = list((tmp_path / "out").iterdir())
        assert err.strip().splitlines()[-1] == (
            f"simulacra: terminated; resume with: simulacra run run.yaml --resume out/{run_dir.name}"
        )
        assert "Traceback" not in err
        manifest = json.loads((run_dir / "run.json").read_text())
        assert manifest["status"] == "interrupted"
        partial = records(run_dir)
        assert 0 < len(partial) < 80
        assert all(len(turns) == 4 for turns in partial.values())  # in-flight ones finished
        server.config.latency = 0.0
        resumed = cli("run", str(cfg), "--resume", str(run_dir), "-q")
        assert resumed.returncode == 0, resumed.stderr
        assert len(records(run_dir)) == 80
        assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"


def test_a_second_sigterm_aborts_in_flight_work_and_still_prints_the_resume_command(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.3)) as server:
        cfg = write_config(
            tmp_path / "run.yaml", server.base_url, epochs=20, max_turns=4, in_flight=4
        )
        proc = _start_and_wait_for_a_record(tmp_path)
        proc.send_signal(signal.SIGTERM)
        assert proc.stderr is not None
        line = proc.stderr.readline()  # the first one was handled: it says so
        assert line.startswith("SIGTERM: stopping;"), line
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=WAIT_S)
        assert proc.returncode == 143, err
        [run_dir] = list((tmp_path / "out").iterdir())
        assert err.strip().splitlines()[-1] == (
            "simulacra: aborted; in-flight conversations were not saved; "
            f"resume with: simulacra run run.yaml --resume out/{run_dir.name}"
        )
        assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
        partial = records(run_dir)
        assert all(len(turns) == 4 for turns in partial.values())  # only whole conversations
        server.config.latency = 0.0
        resumed = cli("run", str(cfg), "--resume", str(run_dir), "-q")
        assert resumed.returncode == 0, resumed.stderr
        assert len(records(run_dir)) == 80
