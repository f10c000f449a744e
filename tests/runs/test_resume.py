"""Crash safety: kill -9 at random points and resume; nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import random
import signal
import time
from pathlib import Path

from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, records, start_cli, write_config


def test_kill_9_at_random_points_then_resume_equals_uninterrupted(
    tmp_path: Path, cli: Runner
) -> None:
    rng = random.Random(1234)
    with FaultyServer(FaultyServerConfig(latency=0.02)) as server:
        cfg = write_config(
            tmp_path / "run.yaml", server.base_url, epochs=25, max_turns=4, in_flight=4
        )
        reference = cli("run", "run.yaml", "-o", "ref", "-q")
        assert reference.returncode == 0, reference.stderr
        ref_dir = Path(reference.stdout.strip().splitlines()[-1])
        expected = records(tmp_path / ref_dir)
        assert len(expected) == 100

        proc = start_cli(["run", "run.yaml", "-o", "crash", "-q"], tmp_path)
        # Start-up time varies with load: kill only once the run has begun writing.
        deadline = time.monotonic() + 900
        while not list((tmp_path / "crash").glob("*/conversations.jsonl")):
            assert time.monotonic() < deadline and proc.poll() is None, "the run never started"
            time.sleep(0.05)
        time.sleep(rng.uniform(0.1, 0.6))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        run_dirs = list((tmp_path / "crash").iterdir())
        assert len(run_dirs) == 1
        run_dir = run_dirs[0]
        kills = 1
        log = run_dir / "conversations.jsonl"
        while True:
            before = log.read_bytes().count(b"\n")
            proc = start_cli(["run", str(cfg), "--resume", str(run_dir), "-q"], tmp_path)
            if kills < 6:
                # kill at a random moment once this resume has made some progress
                while proc.poll() is None and log.read_bytes().count(b"\n") <= before:
                    time.sleep(0.01)
                time.sleep(rng.uniform(0.0, 0.3))
                if proc.poll() is None:
                    proc.send_signal(signal.SIGKILL)
                    kills += 1
            _, err = proc.communicate(timeout=300)
            if proc.returncode == 0:
                break
            assert proc.returncode == -signal.SIGKILL, err
        assert kills >= 5
    got = records(run_dir)
    assert got.keys() == expected.keys()
    assert got == expected
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "complete"
    assert manifest["summary"]["conversations"] == 100
    text = (run_dir / "conversations.jsonl").read_text()
    assert text.endswith("\n") and text.count("\n") == 100


def test_resume_refuses_changed_config_and_foreign_dirs(tmp_path: Path, cli: Runner) -> None:
    with FaultyServer() as server:
        write_config(tmp_path / "run.yaml", server.base_url, epochs=1, max_turns=2)
        first = cli("run", "run.yaml", "-o", "out", "-q")
        assert first.returncode == 0, first.stderr
        run_dir = tmp_path / first.stdout.strip()
        before = (run_dir / "conversations.jsonl").read_bytes(), (run_dir / "run.json").read_bytes()

        write_config(tmp_path / "changed.yaml", server.base_url, epochs=2, max_turns=2)
        refused = cli("run", "changed.yaml", "--resume", str(run_dir))
        assert refused.returncode == 2
        assert "config changed" in refused.stderr and "--force" in refused.stderr
        assert refused.stderr.count("\n") == 1
        assert before == (
            (run_dir / "conversations.jsonl").read_bytes(),
            (run_dir / "run.json").read_bytes(),
        )

        foreign = cli("run", "run.yaml", "--resume", str(tmp_path))
        assert foreign.returncode == 2 and "not a run directory" in foreign.stderr

        (tmp_path / "bad").mkdir()
        (tmp_path / "bad" / "run.json").write_text(json.loads(json.dumps("{")))
        corrupt = cli("run", "run.yaml", "--resume", str(tmp_path / "bad"))
        assert corrupt.returncode == 2 and "not valid JSON" in corrupt.stderr

        forced = cli("run", "changed.yaml", "--resume", str(run_dir), "--force", "-q")
        assert forced.returncode == 0, forced.stderr
        assert len(records(run_dir)) == 8


def test_sigint_stops_gracefully_and_prints_resume(tmp_path: Path, cli: Runner) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.15)) as server:
        cfg = write_config(
            tmp_path / "run.yaml", server.base_url, epochs=20, max_turns=4, in_flight=4
        )
        proc = start_cli(["run", "run.yaml", "-o", "out"], tmp_path)
        # Interrupt once the run is under way (a conversation written), not after a fixed delay:
        # on a loaded machine a fixed delay can land before the handler is installed.
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and not any(
            p.stat().st_size for p in (tmp_path / "out").glob("*/conversations.jsonl")
        ):
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=900)
        assert proc.returncode == 130, err
        assert "resume with: simulacra run run.yaml --resume" in err
        [run_dir] = list((tmp_path / "out").iterdir())
        manifest = json.loads((run_dir / "run.json").read_text())
        assert manifest["status"] == "interrupted"
        partial = records(run_dir)
        assert 0 < len(partial) < 80
        assert all(len(turns) == 4 for turns in partial.values())  # in-flight ones finished
        resumed = cli("run", str(cfg), "--resume", str(run_dir), "-q")
        assert resumed.returncode == 0, resumed.stderr
        assert len(records(run_dir)) == 80
