"""A full disk during a run (issue #21 item 7): one line naming the file that could not be
written and the resume command, exit code 1, no traceback, no ``.tmp`` left; resuming when there
is room again finishes the run with every conversation once.

The disk fills through ``RLIMIT_FSIZE`` (a file-size limit: writes past it fail with ``EFBIG``,
as they fail with ``ENOSPC`` on a full disk) so that the test needs no root and no mount."""

from __future__ import annotations

import json
import resource
import signal
import subprocess
import sys
from pathlib import Path

from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, records, write_config

LIMIT_BYTES = 30_000  # room for about 40 of the 80 conversations


def _small_disk() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing
    resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT_BYTES, LIMIT_BYTES))


def test_a_full_disk_is_one_line_and_the_run_resumes_losslessly(
    tmp_path: Path, cli: Runner
) -> None:
    with FaultyServer(FaultyServerConfig()) as server:
        cfg = write_config(tmp_path / "run.yaml", server.base_url, epochs=20, max_turns=4)
        full = subprocess.run(
            [sys.executable, "-m", "simulacra", "run", "run.yaml", "-o", "out", "-q"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=300,
            preexec_fn=_small_disk,
        )
        [run_dir] = list((tmp_path / "out").iterdir())
        lines = full.stderr.strip().splitlines()
        assert full.returncode == 1, full.stderr
        assert len(lines) == 1 and len(lines[0]) <= 300, full.stderr
        assert lines[0].startswith(f"simulacra: error: out/{run_dir.name}/conversations.jsonl")
        assert "cannot write (File too large)" in lines[0]
        assert lines[0].endswith(f"resume with: simulacra run run.yaml --resume out/{run_dir.name}")
        assert not list(run_dir.glob("*.tmp")) and not list(run_dir.glob(".*.tmp"))
        assert (run_dir / "conversations.jsonl").stat().st_size == LIMIT_BYTES
        kept = records(run_dir)  # a torn last line is skipped
        assert 0 < len(kept) < 80
        resumed = cli("run", str(cfg), "--resume", str(run_dir), "-q")
        assert resumed.returncode == 0, resumed.stderr
        done = records(run_dir)
        assert len(done) == 80
        assert all(done[i] == turns for i, turns in kept.items())  # nothing lost or changed
        assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"
