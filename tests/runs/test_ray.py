"""The Ray executor on a local cluster with 2 worker processes."""

from __future__ import annotations

import json
from pathlib import Path

from simulacra.runs import read_conversations
from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, records, write_config


def test_ray_executor_matches_local_executor(tmp_path: Path, cli: Runner) -> None:
    with FaultyServer(FaultyServerConfig(latency=0.005, faults={"5xx": 0.1}, seed=3)) as server:
        write_config(tmp_path / "local.yaml", server.base_url, epochs=8, max_turns=4, max_retries=8)
        text = (
            (tmp_path / "local.yaml")
            .read_text()
            .replace(
                "execution: {max_conversations: 8}",
                "execution: {max_conversations: 8, executor: ray, ray_workers: 2}",
            )
        )
        (tmp_path / "ray.yaml").write_text(text)
        local = cli("run", "local.yaml", "-o", "local", "-q")
        assert local.returncode == 0, local.stderr
        on_ray = cli("run", "ray.yaml", "-o", "ray", "-q", timeout=600)
        assert on_ray.returncode == 0, on_ray.stderr
    local_dir, ray_dir = (
        tmp_path / local.stdout.strip(),
        tmp_path / on_ray.stdout.strip().splitlines()[-1],
    )
    assert records(ray_dir) == records(local_dir)
    summary = json.loads((ray_dir / "run.json").read_text())["summary"]
    assert summary["conversations"] == 32
    # gathered from the workers: every call of every user turn, the gate's redraws included
    convs = list(read_conversations(ray_dir))
    user_turns = [t for c in convs for t in c.turns if t.speaker == "user"]
    assert len(user_turns) == 64
    assert summary["models"]["user"]["calls"] == sum(len(t.model_calls) for t in user_turns)
    redraws = sum(int(c.metadata.get("simulator_regenerations") or 0) for c in convs)
    assert summary["simulator"]["regenerations"] == redraws
    assert summary["models"]["target"]["calls"] == 64


def test_unreachable_ray_address_exits_2(tmp_path: Path, cli: Runner) -> None:
    with FaultyServer() as server:
        write_config(tmp_path / "run.yaml", server.base_url)
        text = (
            (tmp_path / "run.yaml")
            .read_text()
            .replace(
                "execution: {max_conversations: 8}",
                'execution: {executor: ray, ray_address: "ray://127.0.0.1:9"}',
            )
        )
        (tmp_path / "run.yaml").write_text(text)
        result = cli("run", "run.yaml", "-o", "out")
    assert result.returncode == 2
    assert result.stderr.startswith("simulacra: error: execution.ray_address: cannot reach Ray")
    assert not (tmp_path / "out").exists()
