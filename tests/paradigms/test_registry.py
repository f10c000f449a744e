"""Paradigm registry and its place in run configs (a toy paradigm over scripted participants)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.orchestration import run_conversation
from simulacra.paradigms import (
    ParadigmContext,
    ParadigmOptions,
    paradigm_names,
    parse_paradigm,
    register_paradigm,
)
from simulacra.runs import count_items, execute_run, parse_config, read_conversations, work_items
from simulacra.testing import ScriptedParticipant


class EchoOptions(ParadigmOptions):
    speakers: int = 2
    judge: str | None = None

    def model_roles(self) -> list[str]:
        return [self.judge] if self.judge else []


@register_paradigm("test_echo", options=EchoOptions)
async def _echo(options: EchoOptions, ctx: ParadigmContext) -> Conversation:
    people = [
        ScriptedParticipant([f"{ctx.goal} from p{i}"] * 3, id=f"p{i}")
        for i in range(options.speakers)
    ]
    return await run_conversation(people, policy="round_robin", stop=ctx.stop)


BASE = {
    "name": "echo",
    "models": {},
    "scenarios": [{"id": "s1", "goal": "hello"}, {"id": "s2", "goal": "bye"}],
    "profiles": [{"kind": "persona", "id": "a"}, {"kind": "persona", "id": "b"}],
    "stop": {"max_turns": 4},
}


def test_registered_names_and_human_ai_default() -> None:
    assert "test_echo" in paradigm_names() and "human_ai" in paradigm_names()
    assert parse_paradigm({"type": "human_ai"}) is None
    with pytest.raises(ValueError, match="already registered"):
        register_paradigm("test_echo", options=EchoOptions)(_echo)


async def test_paradigm_run_writes_one_conversation_per_scenario_and_epoch(tmp_path: Path) -> None:
    config = parse_config({**BASE, "paradigm": {"type": "test_echo", "speakers": 3}, "epochs": 2})
    # Its own participants: the two profiles do not multiply the work set.
    assert count_items(config) == 4 == len(list(work_items(config)))
    result = await execute_run(config, output_dir=tmp_path)
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 4
    ids = {item.id for item in work_items(config)}
    assert {c.id for c in conversations} == ids
    c = conversations[0]
    assert c.metadata["paradigm"] == "test_echo" and c.scenario_id in {"s1", "s2"}
    assert [t.speaker for t in c.turns] == ["p0", "p1", "p2", "p0"]
    assert c.turns[0].utterance.endswith("from p0") and c.ended_by == "loop"


@pytest.mark.parametrize(
    ("paradigm", "needle"),
    [
        ({"type": "test_ecko"}, "unknown paradigm 'test_ecko' (did you mean 'test_echo'?)"),
        (
            {"type": "test_echo", "speakrs": 2},
            "paradigm.speakrs: unknown key (did you mean 'speakers'?)",
        ),
        ({"type": "test_echo", "speakers": "many"}, "paradigm.speakers"),
        ({"type": "test_echo", "judge": "judge"}, "no model for role 'judge'"),
        ({"speakers": 2}, "paradigm.type: required"),
        ({"type": "human_ai", "rounds": 2}, "paradigm.rounds: human_ai takes no options"),
    ],
)
def test_bad_paradigm_sections_are_one_line_errors(
    paradigm: dict[str, object], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**BASE, "paradigm": paradigm}, source="run.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("run.yaml: ") and needle in message


def test_paradigm_options_resolve_files_against_the_config_folder(tmp_path: Path) -> None:
    from simulacra.runs import load_config

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.md").write_text("# Notes\n\nThe lighthouse was lit in 1811.\n")
    (tmp_path / "run.yaml").write_text(
        "name: t\nmodels: {user: 'embedded:tiny', target: 'embedded:tiny'}\n"
        "scenarios: [{id: s, goal: learn}]\n"
        "paradigm: {type: teacher_student, document: docs/notes.md}\n"
    )
    config = load_config(tmp_path / "run.yaml")
    assert "1811" in getattr(config.paradigm_options, "text", "")


async def test_run_paradigm_from_python_without_a_run() -> None:
    from simulacra.paradigms import run_paradigm
    from simulacra.testing import function_model

    c = await run_paradigm({"type": "test_echo", "speakers": 2}, goal="hi", models={})
    assert [t.utterance for t in c.turns][:2] == ["hi from p0", "hi from p1"]
    with pytest.raises(ValueError, match="no model for role"):
        await run_paradigm({"type": "test_echo", "judge": "judge"}, goal="x", models={})
    with pytest.raises(ValueError, match="run_conversation"):
        await run_paradigm({"type": "human_ai"}, goal="x", models={"user": function_model(str)})


def test_human_ai_is_a_registered_paradigm_like_the_others() -> None:
    from simulacra.paradigms import HumanAIOptions, get_paradigm

    options_model, runner = get_paradigm("human_ai")
    assert options_model is HumanAIOptions and options_model.uses_profiles
    with pytest.raises(ValueError, match="already registered"):
        register_paradigm("human_ai", options=HumanAIOptions)(runner)
    prompted = HumanAIOptions.model_validate({"user": {"type": "prompted", "model": "u"}})
    assert prompted.model_roles() == ["u"]
    agenda = HumanAIOptions.model_validate({"user": {"type": "agenda"}})
    assert agenda.model_roles() == []


async def test_a_run_without_a_paradigm_goes_through_the_registered_human_ai_runner(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from simulacra.paradigms import _registry
    from simulacra.testing import function_model

    options_model, runner = _registry._REGISTRY["human_ai"]
    seen: list[tuple[str, str | None, str]] = []

    async def spy(options: ParadigmOptions, ctx: ParadigmContext) -> Conversation:
        assert ctx.target is not None
        seen.append((ctx.scenario_id, ctx.profile.profile_id() if ctx.profile else None, ctx.goal))
        return await runner(options, ctx)

    monkeypatch.setitem(_registry._REGISTRY, "human_ai", (options_model, spy))
    monkeypatch.setattr(
        "simulacra.runs._items.get_model",
        lambda spec, *, role="default", cache=None: function_model(
            lambda view: "Thanks, bye." if role == "user" else "Sure.", role=role
        ),
    )
    config = parse_config(
        {
            **BASE,
            "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
            "user": {"type": "prompted"},
            "target": {"type": "model", "model": "target"},
        }
    )
    result = await execute_run(config, output_dir=tmp_path)
    records = read_conversations(result.directory)
    # one call per scenario x profile, each with its profile, and the record is the work item's
    assert sorted(seen) == sorted(
        (s, p, g) for s, g in (("s1", "hello"), ("s2", "bye")) for p in ("a", "b")
    )
    assert {c.id for c in records} == {item.id for item in work_items(config)}
    assert all("paradigm" not in c.metadata for c in records)  # human_ai records as before
