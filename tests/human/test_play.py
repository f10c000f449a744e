"""A person in a seat: HumanParticipant on a scripted stdin, and ``simulacra play``."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from simulacra.cli import cli
from simulacra.conversation import ParticipantKind, TerminationReason
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants._human import HumanParticipant
from simulacra.runs import parse_config, read_conversations, read_run
from simulacra.runs._play import play
from simulacra.testing import ScriptedParticipant, function_model
from tests._cli import run_cli


def _human(lines: str) -> tuple[HumanParticipant, io.StringIO]:
    out = io.StringIO()
    return HumanParticipant(input=io.StringIO(lines), output=out), out


async def test_lines_commands_and_quit() -> None:
    human, out = _human("hello\n/help\n\n/skip\n//slash\n/bogus\n/quit\nnever read\n")
    bot = ScriptedParticipant(["hi there", "after skip", "ok"], id="bot", name="Bot")
    conversation = await run_conversation([human, bot], stop=StopConditions(max_turns=20))
    said = [(t.speaker, t.utterance) for t in conversation.turns]
    assert said == [
        ("human", "hello"),
        ("bot", "hi there"),
        ("bot", "after skip"),  # the person passed: the bot spoke again
        ("human", "/slash"),  # '//' escapes a leading slash
        ("bot", "ok"),
    ]
    assert conversation.termination is TerminationReason.USER_STOP
    assert conversation.ended_by == "human"
    assert conversation.participant("human").kind is ParticipantKind.HUMAN
    assert all(t.metadata.get("human") is True for t in conversation.turns if t.speaker == "human")
    assert [e["type"] for e in conversation.events] == ["pass"]
    shown = out.getvalue()
    assert "Bot: hi there" in shown and "Bot: after skip" in shown
    assert "unknown command /bogus" in shown and "/quit" in shown  # help was printed
    assert "You: hello" not in shown  # own turns are not echoed back
    assert human.commands == ["skip", "quit"]


async def test_end_of_input_is_quit() -> None:
    human, _ = _human("only line\n")
    bot = ScriptedParticipant(["one", "two"], id="bot")
    conversation = await run_conversation([human, bot], stop=StopConditions(max_turns=10))
    assert [t.utterance for t in conversation.turns] == ["only line", "one"]
    assert conversation.ended_by == "human"
    assert human.commands == ["eof"]


def _config(extra: dict[str, Any] | None = None, **top: Any) -> Any:
    data: dict[str, Any] = {
        "name": "play",
        "models": {"user": "openai:unused", "target": "openai:unused"},
        "scenarios": [
            {"id": "hotel", "goal": "book a hotel room for two nights"},
            {"id": "taxi", "goal": "get a taxi to the station"},
        ],
        "stop": {"max_turns": 8, "timeout": 0.5},  # play drops the timeout: people type slowly
        "cache": {"enabled": False},
        **top,
    }
    data.update(extra or {})
    return parse_config(data)


def _replying(prefix: str) -> Any:
    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        return f"{prefix} {len(messages)}"

    return function_model(fn, role=prefix)


async def test_play_user_seat_writes_a_run(tmp_path: Path) -> None:
    human, out = _human("I need a room\nfor two nights please\n/quit\n")
    result = await play(
        _config(),
        seat="user",
        scenario="taxi",
        output_dir=tmp_path,
        human=human,
        models={"target": _replying("target")},
        player="p01",
    )
    manifest = read_run(result.directory)
    assert manifest["status"] == "complete"
    assert manifest["human"] == {
        "seat": "user",
        "participant": "user",
        "name": "User",
        "player": "p01",
        "scenario": "taxi",
    }
    [c] = list(read_conversations(result.directory))
    assert c.scenario_id == "taxi"
    assert c.participant("user").kind is ParticipantKind.HUMAN
    assert c.participant("assistant").kind is ParticipantKind.AI_SYSTEM
    assert [t.speaker for t in c.turns] == ["user", "assistant", "user", "assistant"]
    assert c.turns[0].utterance == "I need a room"
    assert c.turns[1].utterance.startswith("target ")
    assert c.metadata["human_seat"] == "user" and c.metadata["human_role"] == "user"
    assert c.termination is TerminationReason.USER_STOP and c.ended_by == "user"
    assert {"type": "human_quit", "turn": 4, "participant": "user"} in c.events
    assert "get a taxi to the station" in out.getvalue()  # the person was told the goal


async def test_play_system_seat_against_the_simulated_user(tmp_path: Path) -> None:
    human, out = _human("Hello, how can I help?\n/quit\n")
    user_model = _replying("user")
    # the prompted user: its prompt carries the transcript (the goal-state user's carries notes)
    result = await play(
        _config(user={"type": "prompted"}),
        seat="system",
        output_dir=tmp_path,
        human=human,
        models={"user": user_model},
    )
    c = result.conversation
    assert [t.speaker for t in c.turns] == ["user", "assistant", "user"]
    assert c.participant("assistant").kind is ParticipantKind.HUMAN
    assert c.participant("user").kind is ParticipantKind.SIMULATED_HUMAN
    assert c.turns[1].utterance == "Hello, how can I help?"
    # The person ended it from the system seat: a target stop, ended by the person.
    assert c.termination is TerminationReason.TARGET_STOP and c.ended_by == "assistant"
    # The simulated user saw the person's message in its prompt.
    prompts = [m.content for msgs, _ in user_model.api.requests for m in msgs]  # type: ignore[attr-defined]
    assert any("Hello, how can I help?" in p for p in prompts)
    assert "User: user " in out.getvalue()


GROUP = {
    "paradigm": {
        "type": "group_chat",
        "users": [{"id": "ann"}, {"id": "bob"}, {"id": "cat", "name": "Cat"}],
        "assistant": {"decide": False},
        "policy": "round_robin",
    }
}


async def test_play_group_member_by_name(tmp_path: Path) -> None:
    human, out = _human("Hi all, @Assistant what time is it?\n/quit\n")
    models = {"user": _replying("user"), "target": _replying("assistant")}
    result = await play(
        _config(GROUP),
        seat="member:Cat",
        output_dir=tmp_path,
        human=human,
        models=models,
    )
    c = result.conversation
    assert c.participant("cat").kind is ParticipantKind.HUMAN
    human_turns = [t for t in c.turns if t.speaker == "cat"]
    assert [t.utterance for t in human_turns] == ["Hi all, @Assistant what time is it?"]
    assert human_turns[0].metadata.get("human") is True
    assert {t.speaker for t in c.turns} >= {"ann", "bob", "assistant", "cat"}
    assert c.metadata["paradigm"] == "group_chat" and c.metadata["human_seat"] == "cat"
    assert "group chat" in out.getvalue()


async def test_play_group_system_seat_can_stay_silent(tmp_path: Path) -> None:
    human, _ = _human("/skip\nI can help with that.\n/quit\n")
    result = await play(
        _config(GROUP),
        seat="system",
        output_dir=tmp_path,
        human=human,
        models={"user": _replying("user")},
    )
    c = result.conversation
    assert c.participant("assistant").kind is ParticipantKind.HUMAN
    assert [t.utterance for t in c.turns if t.speaker == "assistant"] == ["I can help with that."]
    assert any(e["type"] == "pass" and e["participant"] == "assistant" for e in c.events)


async def test_play_human_human_member(tmp_path: Path) -> None:
    config = _config(
        {
            "paradigm": {
                "type": "human_human",
                "people": [
                    {"id": "ana", "profile": {"kind": "general", "name": "Ana"}},
                    {"id": "ben", "profile": {"kind": "general", "name": "Ben"}},
                ],
            }
        }
    )
    human, _ = _human("Nice weather today.\n/quit\n")
    result = await play(
        config, seat="member:ben", output_dir=tmp_path, human=human, models={"user": _replying("u")}
    )
    c = result.conversation
    assert [t.speaker for t in c.turns] == ["ana", "ben", "ana"]
    assert c.participant("ben").kind is ParticipantKind.HUMAN
    assert c.participant("ana").kind is ParticipantKind.SIMULATED_HUMAN


@pytest.mark.parametrize(
    ("seat", "message"),
    [
        ("member", "human_ai config has the seats user and system"),
        ("judge", "expected user, system or member"),
        ("user:bob", "expected user, system or member"),
    ],
)
async def test_bad_seats(tmp_path: Path, seat: str, message: str) -> None:
    from simulacra.errors import ConfigError

    with pytest.raises(ConfigError, match=message):
        await play(_config(), seat=seat, output_dir=tmp_path, human=_human("")[0], models={})
    assert not any(tmp_path.iterdir())  # nothing written


async def test_unknown_member_suggests(tmp_path: Path) -> None:
    from simulacra.errors import ConfigError

    with pytest.raises(ConfigError, match=r"no member 'cta' \(did you mean 'cat'\?\)"):
        await play(_config(GROUP), seat="member:cta", output_dir=tmp_path, models={})


def _callable_config(path: Path) -> Path:
    path.write_text(
        """
name: cli-play
models: {user: "openai:not-needed-when-you-play-the-user"}
target: {type: callable, callable: "tests.human._targets:echo", name: Echo}
scenarios:
  - {id: s1, goal: find a vegetarian restaurant}
stop: {max_turns: 6}
cache: {enabled: false}
""",
        encoding="utf-8",
    )
    return path


def test_cli_play_with_scripted_stdin(tmp_path: Path) -> None:
    config = _callable_config(tmp_path / "play.yaml")
    result = CliRunner().invoke(
        cli,
        ["play", str(config), "--as", "user", "-o", str(tmp_path / "runs")],
        input="any vegetarian places?\ncheap ones\n/quit\n",
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "Echo: echo: any vegetarian places?" in result.output
    [run_dir] = (tmp_path / "runs").iterdir()
    [c] = list(read_conversations(run_dir))
    assert [(t.speaker, t.utterance) for t in c.turns] == [
        ("user", "any vegetarian places?"),
        ("assistant", "echo: any vegetarian places?"),
        ("user", "cheap ones"),
        ("assistant", "echo: cheap ones"),
    ]
    assert json.loads((run_dir / "run.json").read_text())["human"]["seat"] == "user"


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    config = _callable_config(tmp_path / "play.yaml")
    bad_seat = run_cli(["play", str(config), "--as", "judge"], cwd=tmp_path)
    assert bad_seat.returncode == 2
    assert bad_seat.stderr.strip().splitlines() == [
        "simulacra: error: --as: expected user, system or member[:NAME], got 'judge'"
    ]
    bad_scenario = run_cli(["play", str(config), "--as", "user", "--scenario", "s2"], cwd=tmp_path)
    assert bad_scenario.returncode == 2
    assert "no scenario 's2' (did you mean 's1'?)" in bad_scenario.stderr
    assert not (tmp_path / "runs").exists()
