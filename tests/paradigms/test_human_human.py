"""Human–human paradigms: peer chit-chat and CaSiNo-style negotiation (survey §4.2)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, TerminationReason
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.orchestration import StopConditions
from simulacra.paradigms import ParadigmContext, parse_paradigm
from simulacra.paradigms._casino import casino_dialogue, load_casino
from simulacra.paradigms._human_human import NegotiationOptions, human_human, negotiation
from simulacra.paradigms._negotiation import (
    CASINO_ITEMS,
    PartyBrief,
    analyse_negotiation,
    parse_deal,
    parse_move,
    score,
)
from simulacra.participants import PromptedUser, render_profile
from simulacra.profiles import Persona
from simulacra.runs import execute_run, parse_config, read_conversations
from simulacra.testing import FakeOpenAIServer, FakeResponse, function_model

ALICE = {
    "id": "alice",
    "profile": {"kind": "persona", "name": "Alice", "interests": ["sailing"]},
    "priorities": {"food": "high", "water": "medium", "firewood": "low"},
    "reasons": {"food": "My kids eat like wolves.", "firewood": "It is warm at night."},
}
BOB = {
    "id": "bob",
    "profile": {"kind": "persona", "name": "Bob"},
    "priorities": {"food": "low", "water": "medium", "firewood": "high"},
    "reasons": {"firewood": "I hate cold tents.", "food": "I caught plenty of fish."},
}
GOAL = "Split the extra camping packages with your neighbour."


def _scripted(lines: dict[str, list[str]]) -> Callable[..., str]:
    """A model function: answers as whoever the system prompt says it is, line by line."""

    def answer(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        name = re.match(r"You are (\w+)", messages[0].content)
        assert name is not None
        return lines[name.group(1)].pop(0)

    return answer


def _context(model: Model, *, max_turns: int = 6, epoch: int = 0) -> ParadigmContext:
    return ParadigmContext(
        conversation_id="c1",
        scenario_id="s1",
        goal=GOAL,
        seed=7,
        epoch=epoch,
        models={"user": model},
        stop=StopConditions(max_turns=max_turns),
        metadata={"paradigm": "negotiation"},
    )


async def _negotiate(lines: dict[str, list[str]], **options: object) -> Conversation:
    model = function_model(_scripted(lines), role="user")
    parsed = parse_paradigm({"type": "negotiation", "parties": [ALICE, BOB], **options})
    assert isinstance(parsed, NegotiationOptions)
    return await negotiation(parsed, _context(model))


def _prompts(model: Model) -> list[str]:
    requests = model.api.requests  # type: ignore[attr-defined]
    return ["\n".join(m.content for m in messages) for messages, _ in requests]


# --- Peer framing ----------------------------------------------------------------------------


def test_peer_framing_frames_the_partner_as_a_person_not_an_assistant() -> None:
    model = function_model(lambda m, c: "hi", role="user")
    me = Persona(name="Maya", interests=["chess"])
    peer = PromptedUser(model, goal="Get to know them.", profile=me, framing="peer")
    other = ParticipantInfo(id="p2", name="Jon", kind=ParticipantKind.SIMULATED_HUMAN)
    conversation = Conversation(participants=[peer.info, other])
    messages, refs = peer.build_messages(conversation.view_for("user"))
    text = "\n".join(m.content for m in messages)
    assert "assistant" not in text.lower() and "customer" not in text.lower()
    assert "another person" in text and "message to Jon" in text and "chess" in text
    assert refs[1].startswith("user/peer_system@") and refs[2].startswith("user/peer_turn@")
    # The default framing is unchanged: a customer of an AI assistant.
    customer = PromptedUser(model, goal="Get to know them.", profile=me)
    default, _ = customer.build_messages(conversation.view_for("user"))
    assert "AI assistant" in default[0].content
    with pytest.raises(ValueError, match="framing"):
        PromptedUser(model, goal="x", framing="peer", prompting="chat")


async def test_human_human_two_profiled_people_alternate_with_private_goals() -> None:
    lines = {"Maya": ["hey, I'm Maya", "chess, mostly"], "Jon": ["hi Maya!", "nice"]}
    model = function_model(_scripted(lines), role="user")
    options = parse_paradigm(
        {
            "type": "human_human",
            "people": [
                {"profile": {"kind": "persona", "id": "maya", "name": "Maya"},
                 "goal": "Find out whether Jon plays chess."},
                {"profile": {"kind": "roleplay", "id": "jon", "name": "Jon",
                             "handle": "Jon, a retired sailor"}},
            ],
        }
    )  # fmt: skip
    assert options is not None and not options.uses_profiles
    conversation = await human_human(options, _context(model, max_turns=4))  # type: ignore[arg-type]
    assert [t.speaker for t in conversation.turns] == ["maya", "jon", "maya", "jon"]
    assert conversation.termination is TerminationReason.MAX_TURNS
    assert conversation.turns[1].utterance == "hi Maya!"
    maya, jon = _prompts(model)[0], _prompts(model)[1]
    assert "Find out whether Jon plays chess." in maya and "chess" not in jon
    assert "Get to know the other person." in jon and GOAL in maya and GOAL in jon
    # The role-play profile itself says "never say you are an assistant": the framing does not.
    jon_profile = render_profile(options.people[1].profile)[0]  # type: ignore[attr-defined]
    assert all("assistant" not in p.replace(jon_profile, "").lower() for p in _prompts(model))


# --- Deal parsing and scoring ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "mine"),
    [
        ("I need food.\nDEAL: food=2 water=1 firewood=0", {"food": 2, "water": 1, "firewood": 0}),
        ("**Deal:** Food: 3, Water: 0, Firewood: 1", {"food": 3, "water": 0, "firewood": 1}),
        ("deal - 2 foods, one water, zero wood", {"food": 2, "water": 1, "firewood": 0}),
        ("DEAL: you get food=1 water=2 firewood=3", {"food": 2, "water": 1, "firewood": 0}),
        (
            "DEAL: I get food=1 water=1 firewood=2; you get food=2 water=2 firewood=1",
            {"food": 1, "water": 1, "firewood": 2},
        ),
    ],
)
def test_deal_lines_parse_leniently(text: str, mine: dict[str, int]) -> None:
    deal = parse_deal(text, CASINO_ITEMS)
    assert deal is not None and deal.valid and deal.mine == mine
    assert deal.theirs == {item: 3 - n for item, n in mine.items()}


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("DEAL: I get food=2 water=2 firewood=0; you get food=2 water=1 firewood=3", "food: 2 + 2"),
        ("DEAL: food=4 water=1 firewood=0", "food=4: not a whole number from 0 to 3"),
        ("DEAL: food=2 water=1", "firewood is missing"),
        ("DEAL: food=2 water=1 firewood=0 tents=1", "unknown item 'tents'"),
    ],
)
def test_invalid_deals_say_why(text: str, error: str) -> None:
    deal = parse_deal(text, CASINO_ITEMS)
    assert deal is not None and not deal.valid and deal.mine is None
    assert deal.error is not None and error in deal.error


def test_moves_are_read_from_their_own_lines() -> None:
    assert parse_deal("A deal? sounds good to me", CASINO_ITEMS) is None
    assert parse_move("ACCEPT", CASINO_ITEMS).kind == "accept"
    assert parse_move("Great.\nI accept your offer!", CASINO_ITEMS).kind == "accept"
    assert parse_move("I can't accept that", CASINO_ITEMS).kind == "talk"
    assert parse_move("REJECT\nDEAL: food=3 water=0 firewood=0", CASINO_ITEMS).kind == "reject"
    assert parse_move("Bye.\nWALK AWAY", CASINO_ITEMS).kind == "walk_away"
    assert parse_move("I'll walk away if you insist", CASINO_ITEMS).kind == "talk"


def test_casino_points_by_hand() -> None:
    alice = {"food": "high", "water": "medium", "firewood": "low"}
    # 2 food × 5 + 1 water × 4 + 0 firewood × 3 = 14
    assert score({"food": 2, "water": 1, "firewood": 0}, alice) == 14
    # 1 food × 5 + 2 water × 4 + 3 firewood × 3 = 22
    assert score({"food": 1, "water": 2, "firewood": 3}, alice) == 22
    assert score({"food": 3, "water": 3, "firewood": 3}, alice) == 36


# --- Negotiation runs ------------------------------------------------------------------------


async def test_accepted_deal_ends_with_goal_reached_and_is_scored() -> None:
    conversation = await _negotiate(
        {
            "Alice": ["Hi Bob! Food matters to me.\nDEAL: food=2 water=1 firewood=0"],
            "Bob": ["Deal, that works.\nACCEPT"],
        }
    )
    assert conversation.termination is TerminationReason.GOAL_REACHED
    assert conversation.ended_by == "goal_check" and len(conversation.turns) == 2
    m = conversation.metadata
    assert m["negotiation"] == "deal" and m["deal_reached"] is True and m["deal_valid"] is True
    # Alice: 2×5 + 1×4 + 0×3 = 14; Bob gets food 1 (low 3), water 2 (medium 4), firewood 3 (high 5)
    assert m["points.alice"] == 14 and m["points.bob"] == 3 + 8 + 15 == 26
    assert m["allocation.bob"] == "food=1 water=2 firewood=3"
    # Each unit to whoever values it more: 3×5 + 3×4 + 3×5; potential Σ 3×|Δ|/2 = 3 + 0 + 3.
    assert m["max_joint_points"] == 42 and m["integrative_potential"] == 6.0
    assert m["paradigm"] == "negotiation" and m["brief_template"] == "negotiation/party@1"
    types = [e["type"] for e in conversation.events]
    assert types == ["deal_proposed", "deal_accepted", "negotiation_outcome"]
    assert conversation.turns[0].metadata["move"] == "propose"
    assert conversation.turns[1].metadata["move"] == "accept"


async def test_walk_away_scores_walk_away_points_and_is_ended_by_the_party() -> None:
    conversation = await _negotiate(
        {"Alice": ["DEAL: food=3 water=3 firewood=3"], "Bob": ["No way.\nWALK AWAY"]}
    )
    assert conversation.termination is TerminationReason.USER_STOP
    assert conversation.ended_by == "bob"
    m = conversation.metadata
    assert m["negotiation"] == "walk_away" and m["deal_reached"] is False
    assert m["points.alice"] == m["points.bob"] == 5 and m["deal_valid"] is None
    assert conversation.turns[-1].utterance == "No way.\nWALK AWAY"
    bare = await _negotiate({"Alice": ["WALK AWAY."], "Bob": []})
    assert bare.turns[-1].utterance == "WALK AWAY" and bare.ended_by == "alice"


async def test_rejections_counters_and_bad_accepts_do_not_end_the_negotiation() -> None:
    conversation = await _negotiate(
        {
            "Alice": [
                "ACCEPT",  # nothing to accept yet
                "DEAL: food=3 water=2 firewood=2",
                "Fine.\nACCEPT",
            ],
            "Bob": [
                "DEAL: food=0 water=3 firewood=4",  # invalid: only 3 firewood
                "REJECT. How about this?\nDEAL: food=0 water=2 firewood=3",
            ],
        }
    )
    assert [e["type"] for e in conversation.events] == [
        "accept_without_offer",
        "deal_proposed",
        "deal_proposed",
        "deal_rejected",
        "deal_proposed",
        "deal_accepted",
        "negotiation_outcome",
    ]
    assert conversation.events[1]["valid"] is False
    m = conversation.metadata
    assert m["allocation.bob"] == "food=0 water=2 firewood=3"
    assert m["points.alice"] == 3 * 5 + 1 * 4 + 0 and m["points.bob"] == 2 * 4 + 3 * 5
    assert m["proposals"] == 3 and conversation.termination is TerminationReason.GOAL_REACHED


async def test_no_deal_within_max_turns_scores_walk_away_points() -> None:
    conversation = await _negotiate({"Alice": ["hi", "hmm", "so"], "Bob": ["hello", "well", "eh"]})
    assert conversation.termination is TerminationReason.MAX_TURNS
    assert conversation.metadata["negotiation"] == "no_deal"
    assert conversation.metadata["points.alice"] == 5


async def test_preferences_are_private_to_each_party() -> None:
    lines = {"Alice": ["hi", "so?"], "Bob": ["hello", "hm"]}
    model = function_model(_scripted(lines), role="user")
    options = parse_paradigm({"type": "negotiation", "parties": [ALICE, BOB]})
    await negotiation(options, _context(model, max_turns=4))  # type: ignore[arg-type]
    alice, bob = _prompts(model)[0], _prompts(model)[1]
    assert "food: high priority, 5 points" in alice and "My kids eat like wolves." in alice
    assert "food: low priority" not in alice and "I hate cold tents." not in alice
    assert "firewood: high priority, 5 points" in bob and "I hate cold tents." in bob
    assert "food: high priority" not in bob and "My kids eat like wolves." not in bob
    assert all("assistant" not in p.lower() for p in _prompts(model))


# --- Real CaSiNo dialogues -------------------------------------------------------------------


def test_casino_scoring_reproduces_every_recorded_outcome(shared_data: Path) -> None:
    path = shared_data / "casino" / "data" / "split" / "casino_valid.json"
    raw = json.loads(path.read_text())
    dialogues = [casino_dialogue(d) for d in load_casino(path)]
    assert len(dialogues) == len(raw) == 30
    statuses = set()
    for d in dialogues:
        assert d.real.points == d.recorded_points, d.dialogue_id
        statuses.add(d.real.status)
    assert "deal" in statuses
    first = dialogues[0]  # dialogue 157: agent 1 gets firewood 2, food 1, water 1
    assert first.dialogue_id == raw[0]["dialogue_id"]
    assert first.real.allocation == {
        "mturk_agent_1": {"food": 1, "water": 1, "firewood": 2},
        "mturk_agent_2": {"food": 2, "water": 2, "firewood": 1},
    }
    assert first.briefs[0].priorities == {"firewood": "high", "food": "medium", "water": "low"}
    walked = [d for d in dialogues if d.real.status == "walk_away"]
    assert all(set(d.recorded_points.values()) == {5} for d in walked)


async def test_negotiation_from_a_real_casino_dialogue(shared_data: Path) -> None:
    path = shared_data / "casino" / "data" / "split" / "casino_valid.json"
    raw = load_casino(path)[1]
    real = casino_dialogue(raw)
    first, second = real.briefs
    lines = {"Alex": ["hi\nDEAL: food=1 water=1 firewood=1"], "Sam": ["ACCEPT"]}
    model = function_model(_scripted(lines), role="user")
    options = parse_paradigm({"type": "negotiation", "casino": {"path": str(path), "start": 1}})
    conversation = await negotiation(options, _context(model))  # type: ignore[arg-type]
    m = conversation.metadata
    assert m["casino_dialogue_id"] == raw["dialogue_id"] and m["negotiation"] == "deal"
    assert m[f"real.points.{first.id}"] == real.recorded_points[first.id]
    assert [t.speaker for t in conversation.turns] == [first.id, second.id]
    mine = score({"food": 1, "water": 1, "firewood": 1}, first.priorities)
    assert m[f"points.{first.id}"] == mine == 12
    prompt_a, prompt_b = _prompts(model)
    for reason in second.reasons.values():
        if len(reason) > 12:  # reasons can be one word; long ones identify the party
            assert reason not in prompt_a and reason in prompt_b
    assert conversation.events[-1]["type"] == "casino_real_outcome"


def test_outcome_analysis_ignores_a_partys_own_accept() -> None:
    from simulacra.conversation import Turn

    a = PartyBrief(id="a", priorities={"food": "high", "water": "medium", "firewood": "low"})
    b = PartyBrief(id="b", priorities={"food": "high", "water": "medium", "firewood": "low"})
    turns = [Turn(speaker="a", utterance="DEAL: food=2 water=2 firewood=2"),
             Turn(speaker="a", utterance="ACCEPT")]  # fmt: skip
    outcome = analyse_negotiation(turns, [a, b])
    assert outcome.status == "no_deal" and outcome.integrative_potential == 0
    assert outcome.max_joint_points == outcome.joint_points + 26 == 36


# --- Through a run config --------------------------------------------------------------------


def _answer(request: dict[str, object]) -> FakeResponse:
    system = str(request["messages"][0]["content"])  # type: ignore[index]
    if system.startswith("You are Alice"):
        return FakeResponse.completion("Food is key for me.\nDEAL: food=3 water=1 firewood=0")
    return FakeResponse.completion("ACCEPT")


async def test_both_paradigms_run_from_a_config_dict(tmp_path: Path) -> None:
    with FakeOpenAIServer(_answer) as server:
        base = {
            "models": {"user": {"model": "openai:fake", "base_url": server.base_url}},
            "cache": {"enabled": False},
            "scenarios": [{"id": "camp", "goal": GOAL}],
            "stop": {"max_turns": 4},
            "epochs": 2,
        }
        config = parse_config(
            {**base, "name": "neg", "paradigm": {"type": "negotiation", "parties": [ALICE, BOB]}}
        )
        result = await execute_run(config, output_dir=tmp_path)
        chat = parse_config(
            {**base, "name": "chat",
             "paradigm": {"type": "human_human", "people": [{"profile": ALICE["profile"]},
                                                            {"profile": BOB["profile"]}]}}
        )  # fmt: skip
        chat_result = await execute_run(chat, output_dir=tmp_path)
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 2
    for c in conversations:
        assert c.termination is TerminationReason.GOAL_REACHED and c.ended_by == "goal_check"
        assert c.metadata["points.alice"] == 3 * 5 + 4 and c.metadata["epoch"] in (0, 1)
    chats = list(read_conversations(chat_result.directory))
    assert len(chats) == 2 and all(c.metadata["paradigm"] == "human_human" for c in chats)
    assert [t.speaker for t in chats[0].turns] == ["person_1", "person_2"] * 2


@pytest.mark.parametrize(
    ("paradigm", "needle"),
    [
        ({"type": "negotiation", "parties": [ALICE]}, "paradigm.parties: a negotiation needs"),
        (
            {"type": "negotiation", "parties": [ALICE, {**BOB, "priorities": {"food": "high"}}]},
            "paradigm.parties.1.priorities: no priority for water, firewood",
        ),
        (
            {"type": "negotiation", "parties": [ALICE, BOB], "items": {"food": 3, "water": 3}},
            "paradigm.parties.0.priorities: unknown item 'firewood'",
        ),
        (
            {"type": "negotiation",
             "parties": [{**ALICE, "priorities": {"food": "high", "water": "high",
                                                  "firewood": "low"}}, BOB]},
            "paradigm.parties.0.priorities: priority 'high' is used twice (food, water)",
        ),
        (
            {"type": "negotiation", "casino": {"path": "/nonexistent/casino_valid.json"}},
            "paradigm.casino.path: file not found: /nonexistent/casino_valid.json",
        ),
        ({"type": "human_human", "people": [{}]}, "paradigm.people: exactly two are needed"),
        ({"type": "human_human", "people": [{}, {}]}, "paradigm.people: the two need different"),
    ],
)  # fmt: skip
def test_bad_input_is_a_one_line_config_error(paradigm: dict[str, object], needle: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            {"models": {"user": "embedded:tiny"}, "scenarios": [{"id": "s", "goal": "g"}],
             "paradigm": paradigm},
            source="run.yaml",
        )  # fmt: skip
    message = str(info.value)
    assert "\n" not in message and message.startswith("run.yaml: ") and needle in message


def test_unknown_casino_dialogue_is_a_config_error(shared_data: Path) -> None:
    path = shared_data / "casino" / "data" / "split" / "casino_valid.json"
    with pytest.raises(ConfigError, match=r"paradigm\.casino\.dialogue_id: no dialogue 999999"):
        parse_config(
            {"models": {"user": "embedded:tiny"}, "scenarios": [{"id": "s", "goal": "g"}],
             "paradigm": {"type": "negotiation",
                          "casino": {"path": str(path), "dialogue_id": 999999}}}
        )  # fmt: skip


# --- On the real embedded (tiny) model -------------------------------------------------------


def _tiny(tmp_path: Path, paradigm: dict[str, object]) -> dict[str, object]:
    return {
        "name": "tiny",
        "models": {"user": {"model": "embedded:tiny", "max_tokens": 20}},
        "cache": {"enabled": False},
        "scenarios": [{"id": "camp", "goal": GOAL}],
        "stop": {"max_turns": 3},
        "paradigm": paradigm,
    }


@pytest.mark.embedded
async def test_human_human_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    people = [
        {"profile": ALICE["profile"]},
        {"profile": BOB["profile"], "goal": "Talk about boats."},
    ]
    config = parse_config(_tiny(tmp_path, {"type": "human_human", "people": people}))
    result = await execute_run(config, output_dir=tmp_path)
    (c,) = read_conversations(result.directory)
    assert c.termination is not None and not c.termination.is_error, c.error
    assert c.turns and {t.speaker for t in c.turns} <= {"person_1", "person_2"}
    assert c.model_calls and all("user/peer_turn@1" in call["templates"] for call in c.model_calls)


@pytest.mark.embedded
async def test_negotiation_on_the_tiny_model(
    tiny_gguf: str, tmp_path: Path, shared_data: Path
) -> None:
    path = shared_data / "casino" / "data" / "split" / "casino_valid.json"
    config = parse_config(_tiny(tmp_path, {"type": "negotiation", "casino": {"path": str(path)}}))
    result = await execute_run(config, output_dir=tmp_path)
    (c,) = read_conversations(result.directory)
    assert c.termination is not None and not c.termination.is_error, c.error
    assert c.metadata["negotiation"] in ("deal", "walk_away", "no_deal")
    assert isinstance(c.metadata["points.mturk_agent_1"], int)
    assert c.events[-2]["type"] == "negotiation_outcome"
    assert all("move" in t.metadata for t in c.turns)
