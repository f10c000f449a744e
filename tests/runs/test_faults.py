"""Fault tolerance against a fault-injecting server; fail_on_error; bad execution settings."""

from __future__ import annotations

import json
from pathlib import Path

from simulacra.runs import read_conversations
from simulacra.testing import FaultyServer, FaultyServerConfig
from tests.runs.conftest import Runner, write_config


def test_every_conversation_completes_and_retries_match_injected_faults(
    tmp_path: Path, cli: Runner
) -> None:
    faults = {"5xx": 0.20, "429": 0.10, "hang": 0.05, "malformed": 0.05}
    config = FaultyServerConfig(
        latency=0.005, faults=faults, hang_seconds=5, retry_after=0.02, seed=7
    )
    with FaultyServer(config) as server:
        write_config(
            tmp_path / "run.yaml",
            server.base_url,
            epochs=10,
            max_turns=4,
            in_flight=10,
            timeout=0.4,
            max_retries=12,
        )
        result = cli("run", "run.yaml", "-o", "out", "-q")
        assert result.returncode == 0, result.stderr
        injected = dict(server.injected)
    run_dir = tmp_path / result.stdout.strip()
    conversations = list(read_conversations(run_dir))
    assert len(conversations) == 40
    assert all(c.termination is not None for c in conversations)
    assert sum(injected.values()) > 20 and set(injected) == set(faults)
    summary = json.loads((run_dir / "run.json").read_text())["summary"]
    models = summary["models"].values()
    # every injected fault cost exactly one failed attempt: retried, or final (and classified)
    failed_attempts = sum(m["retries"] + m["errors"] for m in models)
    assert failed_attempts == sum(injected.values())
    by_kind: dict[str, int] = {}
    for m in models:
        for kind, n in m["retries_by_kind"].items():
            by_kind[kind] = by_kind.get(kind, 0) + n
    assert by_kind["rate_limit"] <= injected["429"]
    assert by_kind["malformed_response"] <= injected["malformed"]
    assert by_kind["transient"] <= injected["5xx"] + injected["hang"]


def test_fail_on_error_stops_a_failing_run(tmp_path: Path, cli: Runner) -> None:
    with FaultyServer(FaultyServerConfig(faults={"5xx": 1.0})) as server:
        write_config(
            tmp_path / "run.yaml",
            server.base_url,
            epochs=25,
            in_flight=2,
            max_retries=0,
            extra="",
        )
        text = (
            (tmp_path / "run.yaml")
            .read_text()
            .replace(
                "execution: {max_conversations: 2}",
                "execution: {max_conversations: 2, fail_on_error: 3}",
            )
        )
        (tmp_path / "run.yaml").write_text(text)
        result = cli("run", "run.yaml", "-o", "out")
    assert result.returncode == 1
    assert "fail_on_error: 3 errors >= 3" in result.stderr and "--resume" in result.stderr
    [run_dir] = list((tmp_path / "out").iterdir())
    manifest = json.loads((run_dir / "run.json").read_text())
    assert manifest["status"] == "failed"
    conversations = list(read_conversations(run_dir))
    assert 3 <= len(conversations) < 100
    assert {str(c.termination) for c in conversations} == {"infrastructure_error"}


def test_bad_execution_settings_exit_2(tmp_path: Path, cli: Runner) -> None:
    base = write_config(tmp_path / "run.yaml", "http://127.0.0.1:9/v1").read_text()
    for bad, expected in [
        ("execution: {max_conversations: 8}", "execution: {max_conversations: 0}"),
        ("execution: {max_conversations: 8}", "execution: {executor: spark}"),
        ("cache: {enabled: false}", "cache: {enabled: maybe}"),
    ]:
        (tmp_path / "bad.yaml").write_text(base.replace(bad, expected))
        result = cli("run", "bad.yaml", "-o", "out")
        assert result.returncode == 2, expected
        assert result.stderr.startswith("simulacra: error: bad.yaml: ")
        assert result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists()
