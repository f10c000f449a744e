"""The agenda-based user and MultiWOZ scenarios from a run config."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.participants import AgendaUserOptions
from simulacra.runs import execute_run, load_config, read_conversations


def _config(tmp_path: Path, shared_data: Path, extra: str = "") -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        f"""
name: agenda
models: {{}}
user: {{type: agenda, acts_per_turn: 1}}
target: {{type: callable, callable: "tests.runs.test_agenda_config:polite_bot"}}
scenarios_from:
  multiwoz: {shared_data / "multiwoz21" / "val.json.zip"}
  limit: 3
  domains: [hotel]
stop: {{max_turns: 12, task_success: true}}
{extra}
"""
    )
    return path


def polite_bot(view: object) -> str:
    return "Sure. What area and price range would you like?"


async def test_agenda_user_runs_multiwoz_goals_without_a_model(
    tmp_path: Path, shared_data: Path
) -> None:
    config = load_config(_config(tmp_path, shared_data))
    assert isinstance(config.user, AgendaUserOptions) and config.user.acts_per_turn == (1, 1)
    assert len(config.scenarios) == 3 and all(s.task is not None for s in config.scenarios)
    assert all(s.id.startswith("multiwoz:") for s in config.scenarios)
    result = await execute_run(config, output_dir=tmp_path / "runs")
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 3
    for c in conversations:
        user_turns = [t for t in c.turns if t.speaker == "user"]
        assert user_turns and "acts" in user_turns[0].metadata
        assert c.termination is not None and not c.termination.is_error


def test_agenda_user_needs_structured_goals(tmp_path: Path, shared_data: Path) -> None:
    path = _config(tmp_path, shared_data, extra="scenarios: [{id: free, goal: book a hotel}]")
    with pytest.raises(
        ConfigError, match=r"scenarios.free: the agenda user needs a structured goal"
    ):
        load_config(path)


def test_bad_scenario_source_is_one_line(tmp_path: Path, shared_data: Path) -> None:
    path = _config(tmp_path, shared_data)
    path.write_text(path.read_text().replace("val.json.zip", "nope.json.zip"))
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "nope.json.zip" in str(info.value) and "\n" not in str(info.value)
    path.write_text(path.read_text().replace("acts_per_turn: 1", "acts_per_tun: 1"))
    with pytest.raises(ConfigError, match=r"did you mean 'acts_per_turn'"):
        load_config(path)
