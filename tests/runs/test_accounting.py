"""Usage and cost of a run across processes (from the records), --force with a changed config,
and the status of a run that mostly failed (issue #21 items 2, 3 and 7)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation
from simulacra.runs import read_conversations
from simulacra.runs._config import load_config
from simulacra.runs._runner import RunControl, execute_run
from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, write_config

PRICES = "prices: {target: {prompt: 1.0, completion: 2.0}, user: {prompt: 0.5, completion: 0.5}}"


def _run(
    config: Path,
    *,
    out: Path,
    resume: Path | None = None,
    stop_after: int | None = None,
    force: bool = False,
) -> Any:
    control = RunControl()
    seen: list[str] = []

    def on_conversation(c: Conversation) -> None:
        seen.append(c.id)
        if stop_after is not None and len(seen) >= stop_after:
            control.stop("interrupted")

    return asyncio.run(
        execute_run(
            load_config(config),
            config_path=config,
            output_dir=out,
            resume=resume,
            force=force,
            control=control,
            on_conversation=on_conversation,
        )
    )


def _record_totals(run_dir: Path) -> dict[str, dict[str, int]]:
    totals: dict[str, dict[str, int]] = {}
    for c in read_conversations(run_dir):
        for call in c.model_calls:
            t = totals.setdefault(str(call["role"]), {"calls": 0, "prompt": 0, "completion": 0})
            t["calls"] += 1
            usage = call["usage"]
            assert isinstance(usage, dict)
            t["prompt"] += int(usage["prompt_tokens"])
            t["completion"] += int(usage["completion_tokens"])
    return totals


def test_usage_and_cost_count_every_process_of_a_run(tmp_path: Path) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.001, seed=1)) as server:
        config = write_config(
            tmp_path / "run.yaml", server.base_url, epochs=5, in_flight=2, extra=PRICES
        )
        whole = _run(config, out=tmp_path / "whole")
        first = _run(config, out=tmp_path / "parts", stop_after=6)
        assert first.status == "interrupted"
        run_dir = first.directory
        assert 6 <= first.summary["conversations"] < 20
        second = _run(config, out=tmp_path / "parts", resume=run_dir, stop_after=3)
        third = _run(config, out=tmp_path / "parts", resume=run_dir)
        assert third.status == "complete"
        # resuming a finished run runs nothing and keeps the whole cost
        again = _run(config, out=tmp_path / "parts", resume=run_dir)
    summary = json.loads((run_dir / "run.json").read_text())["summary"]
    assert summary == again.summary | {
        "wall_s": summary["wall_s"],
        "tokens_per_s": summary["tokens_per_s"],
    }
    totals = _record_totals(run_dir)
    assert set(totals) == {"user", "target"}
    for role, t in totals.items():
        stats = summary["models"][role]
        assert stats["counted_from"] == "records"
        assert stats["calls"] == t["calls"]
        assert (stats["prompt_tokens"], stats["completion_tokens"]) == (
            t["prompt"],
            t["completion"],
        )
    expected_cost = (
        totals["target"]["prompt"] * 1.0
        + totals["target"]["completion"] * 2.0
        + (totals["user"]["prompt"] + totals["user"]["completion"]) * 0.5
    ) / 1_000_000
    assert summary["cost"] > 0
    assert abs(summary["cost"] - expected_cost) < 1e-5
    # the same numbers as one uninterrupted process of the same config
    assert summary["conversations"] == whole.summary["conversations"] == 20
    for role in ("user", "target"):
        for key in ("calls", "prompt_tokens", "completion_tokens"):
            assert summary["models"][role][key] == whole.summary["models"][role][key]
    assert summary["cost"] == whole.summary["cost"]
    # the last process made no call; earlier ones made fewer than the run
    assert again.summary["this_process"]["target"]["calls"] == 0
    assert second.summary["this_process"]["target"]["calls"] < summary["models"]["target"]["calls"]


def test_force_with_a_changed_config_records_every_config(tmp_path: Path) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.001, seed=2)) as server:
        old = write_config(tmp_path / "old.yaml", server.base_url, epochs=5, in_flight=1)
        first = _run(old, out=tmp_path / "out", stop_after=4)
        run_dir = first.directory
        new = tmp_path / "new.yaml"
        new.write_text(old.read_text().replace("goal: book a room", "goal: book a table"))
        done = _run(new, out=tmp_path / "out", resume=run_dir, force=True)
        # a plain resume now checks against the new config
        again = _run(new, out=tmp_path / "out", resume=run_dir)
    assert again.status == "complete"
    assert done.status == "complete"
    manifest = json.loads((run_dir / "run.json").read_text())
    configs = manifest["configs"]
    assert [c["first_record"] for c in configs] == [1, 5]
    assert configs[0]["config"]["scenarios"][0]["goal"] == "book a room"
    assert configs[1]["config"]["scenarios"][0]["goal"] == "book a table"
    # run.json describes the config in force now; the record ranges say which made what
    assert manifest["config"]["scenarios"][0]["goal"] == "book a table"
    assert manifest["config_sha256"] == configs[1]["config_sha256"] != configs[0]["config_sha256"]
    assert manifest["config_path"] == str(new)
    lines = (run_dir / "conversations.jsonl").read_text().splitlines()
    assert len(lines) == 20


def test_a_mostly_failed_run_is_not_called_complete(tmp_path: Path, cli: Runner) -> None:
    with FaultyServer(FaultyServerConfig(faults={"5xx": 1.0})) as server:
        write_config(tmp_path / "run.yaml", server.base_url, epochs=2, max_retries=0)
        result = cli("run", "run.yaml", "-o", "out")
    assert result.returncode == 1, result.stderr
    warning = [line for line in result.stderr.splitlines() if "WARNING" in line]
    assert len(warning) == 1
    assert "8 of 8 conversations ended by simulator/infrastructure errors" in warning[0]
    [run_dir] = list((tmp_path / "out").iterdir())
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "complete_with_errors"
    assert manifest["summary"]["conversations"] == 8
