"""The hybrid sandbox (Generative Agents, scaled down): memory scoring, reflection, encounters,
a full run on function-driven models through ``execute_run``, splitting, bad input, and one
short run on the real tiny embedded model."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantKind, TerminationReason
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.paradigms import split_encounters
from simulacra.paradigms._sandbox import choose_encounters
from simulacra.paradigms._sandbox_memory import (
    BM25Relevance,
    MemoryRecord,
    MemoryStream,
    RetrievalWeights,
    heuristic_importance,
)
from simulacra.paradigms._sandbox_world import parse_plan
from simulacra.runs import execute_run, parse_config, read_conversations
from simulacra.testing import function_model

Brain = Callable[[Sequence[ChatMessage], GenerateConfig], str]


class NoRelevance:
    def scores(self, query: str, memories: Sequence[MemoryRecord]) -> list[float]:
        return [0.0] * len(memories)


# --- memory stream ------------------------------------------------------------------------------


def test_recency_decays_per_step_since_last_access() -> None:
    stream = MemoryStream("a", NoRelevance(), RetrievalWeights(alpha=1, beta=0, gamma=0, decay=0.5))
    old = stream.add("old thing", step=0, importance=5)
    new = stream.add("new thing", step=2, importance=5)
    scores = {m.id: s for s, m in stream.scored("anything", step=3)}
    assert scores[new.id] == pytest.approx(0.5) and scores[old.id] == pytest.approx(0.125)
    # Retrieval counts as an access: the retrieved memory is fresh again, the other is not.
    assert [m.id for m in stream.retrieve("x", step=3, k=1)] == [new.id]
    assert (new.last_access, old.last_access) == (3, 0)
    old.last_access = 4
    assert [(round(s, 4), m.id) for s, m in stream.scored("x", step=4)] == [
        (1.0, old.id),
        (0.5, new.id),
    ]


def test_importance_orders_when_recency_and_relevance_are_equal() -> None:
    stream = MemoryStream("a", NoRelevance(), RetrievalWeights(alpha=1, beta=1, gamma=1))
    stream.add("had breakfast", step=1, importance=2)
    stream.add("got engaged", step=1, importance=9)
    stream.add("watered plants", step=1, importance=4)
    top = stream.retrieve("today", step=1, k=2)
    assert [m.text for m in top] == ["got engaged", "watered plants"]
    assert stream.add("clamped", step=1, importance=42).importance == 10


def test_relevance_orders_by_bm25_and_weights_combine() -> None:
    stream = MemoryStream("a", BM25Relevance(), RetrievalWeights(alpha=0, beta=0, gamma=1))
    stream.add("Maria bakes bread at the bakery every morning", step=0, importance=1)
    stream.add("The park has a pond with ducks", step=0, importance=1)
    stream.add("Tom plays chess in the park on Sundays", step=0, importance=1)
    ranked = [m.text for _, m in stream.scored("ducks in the park pond", step=0)]
    assert ranked[0].startswith("The park has a pond")
    assert ranked[1].startswith("Tom plays chess")
    scores = [s for s, _ in stream.scored("ducks in the park pond", step=0)]
    assert scores[0] == pytest.approx(1.0) and scores[-1] == 0.0  # normalised by the best
    # With importance weighted in, a vital but irrelevant memory can outrank a relevant one.
    stream.weights = RetrievalWeights(alpha=0, beta=5, gamma=1)
    stream.add("My sister is in hospital", step=0, importance=10)
    assert stream.scored("ducks in the park pond", step=0)[0][1].text == "My sister is in hospital"


def test_heuristic_importance_ranks_poignant_above_mundane() -> None:
    mundane = heuristic_importance("At 9:00 I am at the cafe.")
    poignant = heuristic_importance("Bob told me he was fired and his sister is in hospital.")
    assert 1 <= mundane < poignant <= 10
    assert heuristic_importance("x " * 100 + "love love love love love love") == 10


def test_reflection_triggers_at_the_threshold_and_resets() -> None:
    stream = MemoryStream("a", NoRelevance())
    stream.add("seed facts do not count", step=0, importance=9, kind="seed")
    assert not stream.needs_reflection(10)
    stream.add("one", step=0, importance=6)
    assert not stream.needs_reflection(10) and stream.importance_since_reflection == 6
    stream.add("two", step=1, importance=4)
    assert stream.needs_reflection(10) and not stream.needs_reflection(None)
    stream.reflected()
    assert not stream.needs_reflection(10)


def test_plans_are_parsed_line_by_line_and_invalid_lines_dropped() -> None:
    text = (
        "Here is my plan:\n"
        "- 9:00 Home - breakfast\n"
        "10am at the village cafe: coffee with Bob\n"
        "10:00 park - a second entry for 10 is ignored\n"
        "11:00 cafe - a break; 1pm park, a walk\n"
        "12:00 the moon - unknown place\n"
        "8:00 park - too early"
    )
    plan = parse_plan(text, locations=["home", "cafe", "park"], first_hour=9, last_hour=13)
    assert [(p.hour, p.location, p.activity) for p in plan] == [
        (9, "home", "breakfast"),
        (10, "cafe", "coffee with Bob"),
        (11, "cafe", "a break"),
        (13, "park", "a walk"),
    ]
    assert parse_plan("I will wander", locations=["home"], first_hour=9, last_hour=12) == []


# --- encounters ---------------------------------------------------------------------------------


def test_chance_encounters_are_reproducible_with_the_seed() -> None:
    positions = {"a": "cafe", "b": "cafe", "c": "cafe", "d": "park", "e": "park", "f": "home"}

    def draw(seed: int) -> list[tuple[list[str], str, str]]:
        rng = random.Random(seed)
        return [e for _ in range(5) for e in choose_encounters(positions, rng=rng, chance=0.5)]

    assert draw(7) == draw(7)
    assert len({json.dumps(draw(s)) for s in range(20)}) > 1  # the seed matters
    for agents, location, kind in draw(3):
        assert kind == "chance" and len(agents) == 2 and location in {"cafe", "park"}
        assert all(positions[a] == location for a in agents)
    assert choose_encounters(positions, rng=random.Random(0), chance=0.0) == []
    always = choose_encounters(positions, rng=random.Random(0), chance=1.0)
    assert sorted(loc for _, loc, _ in always) == ["cafe", "park"]


def test_scheduled_encounters_come_first_and_agents_meet_once_per_step() -> None:
    positions = {"a": "cafe", "b": "cafe", "c": "cafe"}
    out = choose_encounters(
        positions, rng=random.Random(1), chance=1.0, scheduled=[(["c", "a"], "cafe")]
    )
    assert out == [(["c", "a"], "cafe", "scheduled")]  # b is left alone at the cafe


# --- a full run on function models ---------------------------------------------------------------


def _brain(*, malformed_plan_for: str | None = None) -> Brain:
    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        system, last = messages[0].content, messages[-1].content
        me = system.split("Your name is ", 1)[1].split(".", 1)[0]
        props = (config.json_schema or {}).get("properties", {})
        if "rating" in props:
            return json.dumps({"rating": 8 if "talked" in last else 3})
        if "your plan" in last or "Plan your day" in last:
            if me == malformed_plan_for:
                return "I will just wander around"
            hour = int(last.split("It is ", 1)[1].split(":", 1)[0])
            # Everybody goes to the cafe at the second hour: a chance to meet.
            return (
                f"{hour}:00 home - reading\n{hour + 1}:00 at the Cafe: coffee\n23:00 moon - ignored"
            )
        if "questions" in props:
            return json.dumps({"questions": [f"What matters to {me}?"]})
        if "insight" in props:
            return json.dumps({"insight": f"{me} cares about friends.", "because_of": [1]})
        turn = last.count("\n") if "conversation so far" in last else 0
        # A speaker label in front of the line (as small models write) is not part of it.
        other = last.split("you meet ", 1)[1].split(".", 1)[0]
        return f"{other}: {me} says line {turn}" if turn % 2 else f"{me} says line {turn}"

    return brain


def _use(monkeypatch: pytest.MonkeyPatch, brain: Brain) -> list[Model]:
    built: list[Model] = []

    def fake_get_model(spec: object, *, role: str, cache: object = None) -> Model:
        model = function_model(brain, role=role, name=f"function:{role}")
        built.append(model)
        return model

    monkeypatch.setattr("simulacra.runs._items.get_model", fake_get_model)
    return built


AGENTS = [
    {
        "id": "ada",
        "profile": {"kind": "persona", "name": "Ada", "description": "a baker"},
        "location": "home",
        "memories": ["I run the bakery", "Bob is my brother"],
    },
    {"profile": {"kind": "general", "name": "Bob"}, "location": "park"},
    {
        "id": "cy",
        "profile": {"kind": "roleplay", "handle": "Sherlock Holmes"},
        "location": "park",
        "plan": [{"hour": 9, "location": "park", "activity": "observing"}],
    },
]


def _config(**paradigm: object) -> dict[str, object]:
    return {
        "name": "sandbox",
        "models": {"agent": "embedded:tiny"},
        "cache": {"enabled": False},
        "scenarios": [{"id": "village", "goal": "A quiet Saturday in a small village."}],
        "paradigm": {
            "type": "sandbox",
            "agents": AGENTS,
            "locations": ["home", "park", "cafe"],
            "steps": 3,
            "start_hour": 9,
            "dialogue_turns": 3,
            "encounter_chance": 1.0,
            "encounters": [{"step": 0, "agents": ["bob", "ada"], "location": "park"}],
            "importance": "model",
            "reflection_threshold": 12,
            **paradigm,
        },
    }


async def _run(config: dict[str, object], tmp_path: Path) -> Conversation:
    result = await execute_run(parse_config(config), output_dir=tmp_path)
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 1
    return conversations[0]


async def test_a_small_day_produces_events_encounters_and_one_record(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _brain())
    c = await _run(_config(), tmp_path)
    assert c.metadata["paradigm"] == "sandbox" and c.metadata["steps"] == 3
    assert [p.id for p in c.participants] == ["ada", "bob", "cy"]
    assert {p.kind for p in c.participants} == {ParticipantKind.AGENT}
    assert c.termination is TerminationReason.MAX_TURNS and c.ended_by == "loop" and not c.error
    types = Counter(str(e["type"]) for e in c.events)
    assert {
        "step",
        "plan",
        "move",
        "memory",
        "encounter_start",
        "encounter_end",
        "reflection",
    } <= set(types)
    assert types["step"] == 3 and "error" not in types
    assert all(isinstance(e["step"], int) for e in c.events)
    # Ada and Bob meet as scheduled at step 0, in the park; Ada moved there for it.
    starts = [e for e in c.events if e["type"] == "encounter_start"]
    assert starts[0] == {
        "type": "encounter_start",
        "step": 0,
        "encounter": 0,
        "location": "park",
        "agents": ["bob", "ada"],
        "kind": "scheduled",
    }
    assert any(e["type"] == "move" and e["agent"] == "ada" and e["to"] == "park" for e in c.events)
    # At step 1 Ada and Bob go to the cafe (their plan) and meet by chance, at step 2 at home
    # (the revised plan); Cy keeps to its own plan in the park and meets nobody.
    assert [(e["step"], e["location"], e["kind"]) for e in starts[1:]] == [
        (1, "cafe", "chance"),
        (2, "home", "chance"),
    ]
    # Every utterance is a turn, tagged with its encounter, step and location, in order.
    assert len(c.turns) == 3 * len(starts)
    assert [t.metadata["encounter"] for t in c.turns] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert c.turns[0].speaker == "bob" and c.turns[0].utterance == "Bob says line 0"
    assert all(re.fullmatch(r"(Ada|Bob) says line \d+", t.utterance) for t in c.turns)  # no labels
    assert {(t.metadata["step"], t.metadata["location"]) for t in c.turns} == {
        (0, "park"),
        (1, "cafe"),
        (2, "home"),
    }
    assert all(t.model_calls and "memory_ids" in t.metadata for t in c.turns)
    # The dialogue went into both agents' memories, rated by the model.
    dialogue = [e for e in c.events if e["type"] == "memory" and e["kind"] == "dialogue"]
    assert Counter(e["agent"] for e in dialogue) == {"ada": 3, "bob": 3}
    assert all(e["importance"] == 8 and "Bob says line 0" in str(e["text"]) for e in dialogue[:2])
    # Reflection: questions, an insight in memory with evidence, and a revised plan.
    reflection = next(e for e in c.events if e["type"] == "reflection")
    insights = reflection["insights"]
    assert isinstance(insights, list) and insights
    insight_memory = next(
        e for e in c.events if e["type"] == "memory" and e["kind"] == "reflection"
    )
    assert insight_memory["evidence"] and "cares about friends" in str(insight_memory["text"])
    revised = [e for e in c.events if e["type"] == "plan" and e["revised"]]
    assert revised and revised[0]["agent"] == reflection["agent"]
    # Plans keep only valid entries; Cy's plan came from the config (no model call).
    first = next(e for e in c.events if e["type"] == "plan" and e["agent"] == "ada")
    assert [i["location"] for i in first["items"]] == ["home", "cafe"]  # type: ignore[index, union-attr]
    assert any(
        e["type"] == "plan" and e["agent"] == "cy" and e["source"] == "config" for e in c.events
    )
    # Model calls of the whole day are on the record, the dialogue's included.
    call_ids = {str(call["call_id"]) for call in c.model_calls}
    assert {ref.call_id for t in c.turns for ref in t.model_calls} <= call_ids
    assert any("sandbox/importance@1" in str(call["templates"]) for call in c.model_calls)
    assert c.usage["prompt_tokens"] > 0


async def test_split_encounters_gives_one_conversation_each(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _brain())
    c = await _run(_config(), tmp_path)
    parts = split_encounters(c)
    assert [p.id for p in parts] == [f"{c.id}:0", f"{c.id}:1", f"{c.id}:2"]
    assert [p.id for p in parts[0].participants] == ["bob", "ada"]
    assert [t.utterance for t in parts[0].turns] == [t.utterance for t in c.turns[:3]]
    assert parts[1].metadata == {
        "paradigm": "sandbox",
        "parent_id": c.id,
        "encounter": 1,
        "step": 1,
        "location": "cafe",
        "encounter_kind": "chance",
    }
    assert all(p.termination is TerminationReason.MAX_TURNS for p in parts)
    assert {call["call_id"] for call in parts[0].model_calls} == {
        ref.call_id for t in parts[0].turns for ref in t.model_calls
    }
    assert parts[0].usage["completion_tokens"] > 0
    # Each part is a conversation like any other: its views work.
    assert parts[0].view_for("ada").messages[0].role == "user"
    assert split_encounters(Conversation(participants=[])) == []


async def test_same_seed_same_day(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _use(monkeypatch, _brain())
    config = _config(encounter_chance=0.5, encounters=[], steps=4)

    async def encounters(out: Path) -> list[tuple[object, ...]]:
        c = await _run(config, out)
        return [
            (e["step"], e["location"], tuple(e["agents"]))
            for e in c.events
            if e["type"] == "encounter_start"
        ]  # type: ignore[arg-type]

    assert await encounters(tmp_path / "a") == await encounters(tmp_path / "b")


async def test_malformed_and_failed_model_replies_become_events(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _brain(malformed_plan_for="Ada"))
    c = await _run(_config(), tmp_path)
    errors = [e for e in c.events if e["type"] == "error"]
    assert errors and errors[0]["agent"] == "ada" and errors[0]["kind"] == "malformed"
    assert errors[0]["purpose"] == "plan" and c.termination is TerminationReason.MAX_TURNS
    # Ada had no plan: she stays where she is unless an encounter moves her.
    plan = next(e for e in c.events if e["type"] == "plan" and e["agent"] == "ada")
    assert plan["source"] == "fallback" and plan["items"] == []

    def broken(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        if "conversation so far" in messages[-1].content:
            raise RuntimeError("model fell over")
        return _brain()(messages, config)

    _use(monkeypatch, broken)
    c = await _run(_config(), tmp_path / "broken")
    assert c.termination is TerminationReason.SIMULATOR_ERROR
    assert c.error is not None and "model fell over" in c.error and "\n" not in c.error
    end = next(e for e in c.events if e["type"] == "encounter_end")
    assert end["termination"] == "simulator_error" and c.metadata["steps"] == 0
    assert len(c.turns) == 1  # the first line was said; the day stopped at the failing step


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"agents": AGENTS[:1]}, "paradigm.agents: a sandbox needs at least 2 agents, got 1"),
        (
            {"agents": [AGENTS[0], {**AGENTS[1], "location": "parc"}]},
            "paradigm.agents.1.location: unknown location 'parc' (did you mean 'park'?)",
        ),
        ({"steps": 0}, "paradigm.steps: Input should be greater than or equal to 1"),
        (
            {"agents": [AGENTS[0], {**AGENTS[1], "id": "ada"}]},
            "paradigm.agents: duplicate agent id(s) ada",
        ),
        (
            {"encounters": [{"step": 0, "agents": ["ada", "zed"]}]},
            "paradigm.encounters.0.agents: unknown agent 'zed'",
        ),
        (
            {"encounters": [{"step": 5, "agents": ["ada", "bob"]}]},
            "paradigm.encounters.0.step: 5 is past",
        ),
        (
            {
                "encounters": [
                    {"step": 1, "agents": ["ada", "bob"]},
                    {"step": 1, "agents": ["cy", "bob"]},
                ]
            },
            "paradigm.encounters.1.agents: an agent already meets someone else at step 1",
        ),
        (
            {"dialog_turns": 3},
            "paradigm.dialog_turns: unknown key (did you mean 'dialogue_turns'?)",
        ),
        ({"model": "nobody"}, "no model for role 'nobody'"),
    ],
)
def test_bad_sandbox_sections_are_one_line_errors(change: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(_config(**change), source="run.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("run.yaml: ") and needle in message


# --- the real tiny model ------------------------------------------------------------------------


@pytest.mark.embedded
async def test_tiny_embedded_sandbox_record_is_well_formed(tiny_gguf: str, tmp_path: Path) -> None:
    # Three model calls: Ada's plan (Bob's comes from the config) and two lines of dialogue.
    bob = {**AGENTS[1], "plan": [{"hour": 9, "location": "park", "activity": "a walk"}]}
    config = _config(
        agents=[AGENTS[0], bob],
        steps=2,
        dialogue_turns=2,
        importance="heuristic",
        reflection_threshold=None,
        encounter_chance=0.0,
    )
    config["models"] = {"agent": {"model": "embedded:tiny", "max_tokens": 20}}
    c = await _run(config, tmp_path)
    assert c.termination is not None and not c.termination.is_error, (c.termination, c.error)
    assert len(c.turns) == 2 and all(t.metadata["encounter"] == 0 for t in c.turns)
    assert {str(e["type"]) for e in c.events} >= {"step", "plan", "memory", "encounter_start"}
    assert len(split_encounters(c)) == 1
