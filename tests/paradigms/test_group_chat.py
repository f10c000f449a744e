"""Group chat (many humans, one AI): turn policies, the assistant's decisions, metrics, runs.

Logic runs on scripted participants and function-driven models; one short run uses the real tiny
embedded model.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
import yaml

from simulacra import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    Persona,
    Reply,
    StopConditions,
    TerminationReason,
    Turn,
)
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.orchestration import (
    LLMModerator,
    WeightedRandom,
    activity_weight,
    mentioned,
    run_conversation,
)
from simulacra.paradigms.group_chat import (
    GroupAssistant,
    group_chat_report,
    run_group_chat,
    user_trajectories,
)
from simulacra.profiles import BigFive
from simulacra.runs import execute_run, parse_config, read_conversations
from simulacra.testing import ScriptedParticipant, function_model
from tests._cli import run_cli

Brain = Callable[[Sequence[ChatMessage], GenerateConfig], str]


def _people(n: int, lines: int = 10_000) -> list[ScriptedParticipant]:
    return [ScriptedParticipant([f"msg {i}"] * lines, id=f"u{i}", name=f"U{i}") for i in range(n)]


def _infos(*ids: str) -> list[ParticipantInfo]:
    return [
        ParticipantInfo(id=i, name=i.title(), kind=ParticipantKind.SIMULATED_HUMAN) for i in ids
    ]


# --- turn policies -------------------------------------------------------------------------


async def test_round_robin_is_fair_and_ignores_interleaved_assistant_turns() -> None:
    c = await run_conversation(_people(3), policy="round_robin", stop=StopConditions(max_turns=300))
    assert Counter(t.speaker for t in c.turns) == {"u0": 100, "u1": 100, "u2": 100}
    # In a group chat the assistant answers between users: the users still rotate evenly.
    bot = ScriptedParticipant(["ok"] * 1000, id="bot", kind=ParticipantKind.AI_SYSTEM)
    c = await run_group_chat(
        _people(3), bot, policy="round_robin", stop=StopConditions(max_turns=600)
    )
    users = [t.speaker for t in c.turns if t.speaker != "bot"]
    assert users[:6] == ["u0", "u1", "u2", "u0", "u1", "u2"]
    assert Counter(users) == {"u0": 100, "u1": 100, "u2": 100}
    assert [t.speaker for t in c.turns[:4]] == ["u0", "bot", "u1", "bot"]


async def test_weighted_random_follows_the_weights_and_the_seed() -> None:
    weights = {"u0": 1.0, "u1": 2.0, "u2": 5.0}
    policy = WeightedRandom(weights, seed=7)
    c = await run_conversation(_people(3), policy=policy, stop=StopConditions(max_turns=4000))
    counts = Counter(t.speaker for t in c.turns)
    for uid, w in weights.items():
        assert abs(counts[uid] / 4000 - w / 8) < 0.03, counts
    again = await run_conversation(
        _people(3), policy=WeightedRandom(weights, seed=7), stop=StopConditions(max_turns=50)
    )
    other = await run_conversation(
        _people(3), policy=WeightedRandom(weights, seed=8), stop=StopConditions(max_turns=50)
    )
    speakers = [t.speaker for t in again.turns]
    assert speakers == [t.speaker for t in c.turns[:50]]
    assert speakers != [t.speaker for t in other.turns]


def test_activity_weights_come_from_the_profile() -> None:
    def info(profile: Persona | None) -> ParticipantInfo:
        return ParticipantInfo(
            id="x", name="X", kind=ParticipantKind.SIMULATED_HUMAN, profile=profile
        )

    assert activity_weight(info(None)) == 1.0
    assert activity_weight(info(Persona(attributes={"activity": 2.5}))) == 2.5
    assert activity_weight(info(Persona(big_five=BigFive(extraversion=4.5)))) == 1.5
    quiet = WeightedRandom(seed=1)
    people = _infos("a", "b")
    people[0].profile = Persona(big_five=BigFive(extraversion=5.0))
    people[1].profile = Persona(big_five=BigFive(extraversion=1.0))
    assert quiet.weights_for(people) == [5 / 3, 1 / 3]
    with pytest.raises(ValueError, match=">= 0"):
        WeightedRandom({"a": -1})


async def test_addressed_routing_between_users_and_from_the_assistant() -> None:
    ann = ScriptedParticipant(["@Ann @Cat what do you think?", "thanks"], id="ann", name="Ann")
    bob = ScriptedParticipant(["b1"], id="bob", name="Bob")
    cat = ScriptedParticipant(["@Bob over to you", "c2"], id="cat", name="Cat")
    bot = ScriptedParticipant(
        [
            Reply(utterance="", skip=True),
            Reply(utterance="@Ann sure", addressed="ann"),
            Reply(utterance="", skip=True),
        ],
        id="bot",
        kind=ParticipantKind.AI_SYSTEM,
    )
    c = await run_group_chat([ann, bob, cat], bot, policy="addressed")
    assert [t.speaker for t in c.turns] == ["ann", "cat", "bot", "ann", "bob"][: len(c.turns)]
    assert c.turns[0].metadata["addressed"] == "cat"  # the @mention is recorded as addressed
    assert c.turns[0].utterance == "@Cat what do you think?"  # a copied self-mention is dropped
    assert c.turns[2].metadata["addressed"] == "ann"
    passes = [e for e in c.events if e["type"] == "pass"]
    assert passes and passes[0]["participant"] == "bot" and passes[0]["turn"] == 1
    people = _infos("ann", "annabel", "bob")
    assert mentioned("hi @Annabel and @ann, then @BOB", people) == "annabel"
    assert mentioned("hi @Annab, @bob.", people) == "bob"  # whole names only
    assert mentioned("mail ann@example.org", people) is None
    assert mentioned("@bob hi", people, speaker="bob") is None


def _moderator(answer: str | Exception | None, *, timeout: float = 5.0) -> LLMModerator:
    async def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        assert config.json_schema is not None
        assert config.json_schema["properties"]["next"]["enum"] == ["Ann", "Bob", "Cat"]
        if answer is None:
            await asyncio.sleep(10)
        if isinstance(answer, Exception):
            raise answer
        return answer or ""

    return LLMModerator(function_model(fn, role="moderator"), timeout=timeout)


@pytest.mark.parametrize(
    ("answer", "chosen", "reason"),
    [
        ('{"next": "Cat"}', "cat", None),
        ('{"next": "@bob"}', "bob", None),
        ("Cat should speak", "bob", "malformed output (not JSON)"),
        ('{"next": "Zed"}', "bob", "unknown name 'Zed'"),
        ('["Cat"]', "bob", "malformed output (no 'next' name)"),
        (RuntimeError("boom"), "bob", "model error: RuntimeError: boom"),
        (None, "bob", "no answer within 0.05s"),
    ],
)
async def test_moderator_choice_or_recorded_fallback(
    answer: str | Exception | None, chosen: str, reason: str | None
) -> None:
    c = Conversation(participants=_infos("ann", "bob", "cat"))
    c.append(Turn(speaker="ann", utterance="hello all"))
    moderator = _moderator(answer, timeout=0.05 if answer is None else 5.0)
    got = await moderator(c, c.participants, None)
    assert got == chosen  # the fallback is round robin: after Ann comes Bob
    event = c.events[-1]
    assert event["turn"] == 1 and event["chosen"] == chosen
    if reason is None:
        assert event["type"] == "moderator"
    else:
        assert event["type"] == "moderator_fallback" and event["reason"] == reason


async def test_moderator_drives_a_conversation_and_keeps_its_choices() -> None:
    answers = iter(['{"next": "Cat"}', "garbage", '{"next": "Ann"}'] * 5)
    model = function_model(lambda m, c: next(answers), role="moderator")
    people = [ScriptedParticipant(["x"] * 9, id=i, name=i.title()) for i in ("ann", "bob", "cat")]
    c = await run_conversation(people, policy=LLMModerator(model), stop=StopConditions(max_turns=3))
    assert [t.speaker for t in c.turns] == ["cat", "ann", "ann"]
    assert [e["type"] for e in c.events] == ["moderator", "moderator_fallback", "moderator"]
    assert len(c.model_calls) == 3  # the moderator's calls are in the record


# --- the assistant: when, whom, what -------------------------------------------------------


def _assistant_brain(decisions: list[str]) -> tuple[Brain, list[str]]:
    """Decision calls pop ``decisions``; message calls answer "Noted."; logs the call kinds."""
    log: list[str] = []

    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        if config.json_schema is not None:
            log.append("decide")
            return decisions.pop(0)
        log.append("reply")
        return "Assistant: Noted. @assistant"

    return brain, log


def _chat(*turns: tuple[str, str]) -> Conversation:
    infos = [
        *_infos("ann", "bob"),
        ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
    ]
    c = Conversation(participants=infos)
    for speaker, text in turns:
        c.append(Turn(speaker=speaker, utterance=text))
    return c


async def test_assistant_decides_silence_addressee_and_mentions() -> None:
    brain, log = _assistant_brain(
        ['{"speak": false, "to": "Ann"}', '{"speak": true, "to": "Bob"}', "nonsense"]
    )
    bot = GroupAssistant(function_model(brain, role="target"))
    # Silence: a skip with the decision recorded.
    c = _chat(("ann", "hi Bob"), ("bob", "hi Ann"))
    silent = await bot.respond(c.view_for("assistant"))
    assert silent.skip and silent.metadata["decision"] == "silent"
    assert silent.metadata["decided_by"] == "model" and len(silent.model_calls) == 1
    # Speaks to whom the decision says, with an @mention and the speaker label stripped.
    spoken = await bot.respond(c.view_for("assistant"))
    assert spoken.addressed == "bob" and spoken.utterance == "@Bob Noted."
    assert spoken.metadata == {"responds_to": 1, "decision": "speak", "decided_by": "model"}
    assert len(spoken.model_calls) == 2
    # A malformed decision falls back to answering the pending message's author.
    fallback = await bot.respond(c.view_for("assistant"))
    assert fallback.addressed == "bob" and fallback.metadata["decided_by"] == "fallback"
    # @Assistant is always answered, without a decision call; the mention wins over recency.
    c2 = _chat(("ann", "@Assistant when is the meeting?"), ("bob", "lol"))
    before = list(log)
    mentioned = await bot.respond(c2.view_for("assistant"))
    assert mentioned.addressed == "ann" and mentioned.metadata["decided_by"] == "mention"
    assert log[len(before) :] == ["reply"]
    # Nothing new since its own last message: silent, no call at all.
    c3 = _chat(("ann", "hey"), ("assistant", "@Ann hi"))
    rule = await bot.respond(c3.view_for("assistant"))
    assert rule.skip and rule.metadata["decided_by"] == "rule" and not rule.model_calls


async def test_reply_prompt_names_the_speakers_and_the_addressee() -> None:
    seen: list[list[ChatMessage]] = []

    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        seen.append(list(messages))
        return "Sure."

    bot = GroupAssistant(function_model(brain), system_prompt="You help a book club.", decide=False)
    c = _chat(("ann", "first"), ("bob", "second"), ("assistant", "@Bob ok"), ("ann", "third"))
    reply = await bot.respond(c.view_for("assistant"))
    system, *history = seen[0]
    assert "You help a book club." in system.content and "Ann, Bob" in system.content
    assert "answers Ann" in system.content
    assert [(m.role, m.content) for m in history] == [
        ("user", "Ann: first\nBob: second"),
        ("assistant", "@Bob ok"),
        ("user", "Ann: third"),
    ]
    assert reply.utterance == "@Ann Sure." and reply.metadata["decided_by"] == "always"


# --- metrics -------------------------------------------------------------------------------


def test_metrics_on_a_hand_built_chat() -> None:
    c = _chat(
        ("ann", "@Assistant book a table"),  # 0
        ("bob", "me too"),  # 1
        ("assistant", "@Ann done"),  # 2: answers Ann (mentioned) -> correct
        ("bob", "and me?"),  # 3
        ("ann", "thanks"),  # 4
        ("assistant", "@Ann welcome"),  # 5: pending = Ann (latest) -> correct
        ("bob", "hello??"),  # 6
        ("assistant", "@Ann sorry"),  # 7: pending = Bob -> wrong
    )
    c.turns[4].metadata["done"] = True
    c.events.append({"type": "pass", "turn": 5, "participant": "assistant"})
    report = group_chat_report(c)
    assert report.turns == 8
    assert report.turn_share == {"ann": 2 / 8, "bob": 3 / 8, "assistant": 3 / 8}
    assert report.assistant_silences == 1
    assert report.response_latency == {"ann": (2 + 1) / 2, "bob": None}
    assert report.unanswered == {"ann": 0, "bob": 3}
    assert report.addressee_accuracy == pytest.approx(2 / 3)
    assert report.stated_done == {"ann": True, "bob": False}
    assert report.goal_completion_rate == 0.5
    checked = group_chat_report(c, goal_check=lambda user, conv: user == "bob")
    assert checked.goal_completed == {"ann": False, "bob": True}
    trajectories = user_trajectories(c)
    assert [i for i, _ in trajectories["ann"].user_turns] == [0, 4]
    assert [i for i, _ in trajectories["ann"].assistant_turns] == [2, 5, 7]
    assert [i for i, _ in trajectories["ann"].turns] == [0, 2, 4, 5, 7]
    assert trajectories["bob"].assistant_turns == []


# --- runs from a config --------------------------------------------------------------------


def _group_brain(done_after: int | None = None) -> Brain:
    """Users say a line (each user is done after ``done_after`` of their lines); the assistant
    speaks when mentioned, else stays silent every other time."""
    said: Counter[str] = Counter()

    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        system = messages[0].content
        if config.json_schema is not None:
            calls = sum(said.values())
            return json.dumps({"speak": calls % 2 == 0, "to": "Ann"})
        if "AI assistant of a group chat" in system:
            return "Here is what I found."
        name = system.split("You are ", 1)[1].split(".", 1)[0]
        said[name] += 1
        if done_after is not None and said[name] > done_after:
            return "all sorted, thanks ###STOP###"
        return f"@Assistant question {said[name]} from {name}"

    return brain


def done_at(c: Conversation, user: str) -> int:
    return next(i for i, t in enumerate(c.turns) if t.speaker == user and t.metadata.get("done"))


def _use(monkeypatch: pytest.MonkeyPatch, brain: Brain) -> None:
    def fake_get_model(spec: object, *, role: str, cache: object = None) -> Model:
        return function_model(brain, role=role, name=f"function:{role}")

    monkeypatch.setattr("simulacra.runs._items.get_model", fake_get_model)


GROUP: dict[str, object] = {
    "name": "group",
    "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
    "scenarios": [{"id": "trip", "goal": "Plan the club's weekend trip."}],
    "paradigm": {
        "type": "group_chat",
        "users": [
            {"id": "ann", "profile": {"kind": "persona", "name": "Ann"}, "goal": "a cheap hotel"},
            {"id": "bob", "name": "Bob", "goal": "a museum visit"},
            {"id": "cat", "name": "Cat"},
        ],
        "policy": "round_robin",
    },
    "stop": {"max_turns": 12},
    "cache": {"enabled": False},
}


async def _run(config: dict[str, object], tmp_path: Path) -> Conversation:
    result = await execute_run(parse_config(config), output_dir=tmp_path)
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 1
    return conversations[0]


async def test_group_chat_run_from_a_config(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _group_brain())
    c = await _run(GROUP, tmp_path)
    assert c.metadata["paradigm"] == "group_chat" and c.metadata["assistant_id"] == "assistant"
    assert [p.name for p in c.participants] == ["Ann", "Bob", "Cat", "Assistant"]
    assert c.termination is TerminationReason.MAX_TURNS and len(c.turns) == 12
    # Every user message mentions @Assistant: it always answers, addressing the author.
    users = [t for t in c.turns if t.speaker != "assistant"]
    assert [t.speaker for t in users][:3] == ["ann", "bob", "cat"]
    for i, t in enumerate(c.turns):
        if t.speaker == "assistant":
            assert t.metadata["addressed"] == c.turns[i - 1].speaker
            assert t.metadata["decided_by"] == "mention"
    report = group_chat_report(c)
    assert report.addressee_accuracy == 1.0 and report.response_latency["ann"] == 1.0
    # Each user's private goal is in their own prompt only; the group framing names the others.
    user_calls = [m for m in c.model_calls if m["role"] == "user"]
    prompts = [str(m["messages"][0]["content"]) for m in user_calls]  # type: ignore[index]
    ann = next(p for p in prompts if p.startswith("You are Ann."))
    assert "a cheap hotel" in ann and "a museum visit" not in ann
    assert "group chat with Bob, Cat and Assistant" in ann and "@Assistant" in ann


async def test_users_leave_when_done_and_the_last_one_ends_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _group_brain(done_after=1))
    c = await _run({**GROUP, "stop": {"max_turns": 40}}, tmp_path)
    assert c.termination is TerminationReason.USER_STOP and c.ended_by == "cat"
    done = [t for t in c.turns if t.metadata.get("done")]
    # Ann and Bob leave with a message and the chat goes on; Cat's message ends it.
    assert [t.speaker for t in done] == ["ann", "bob", "cat"]
    assert [t.speaker for t in c.turns[done_at(c, "ann") + 1 :]].count("ann") == 0
    assert all("###STOP###" not in t.utterance for t in c.turns)
    assert group_chat_report(c).stated_done == {"ann": True, "bob": True, "cat": True}


async def test_silences_are_pass_events_and_moderator_policy_runs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = _group_brain()

    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        schema = config.json_schema or {}
        if "next" in schema.get("properties", {}):
            return '{"next": "Nobody"}'  # always unusable: round robin decides
        if "speak" in schema.get("properties", {}):
            return '{"speak": false, "to": "Ann"}'
        return base(messages, config).replace("@Assistant ", "")

    _use(monkeypatch, brain)
    paradigm = {**GROUP["paradigm"], "policy": "moderator"}  # type: ignore[dict-item]
    models = {**GROUP["models"], "moderator": "embedded:tiny"}  # type: ignore[dict-item]
    config = {**GROUP, "paradigm": paradigm, "models": models}
    c = await _run(config, tmp_path)
    assert {t.speaker for t in c.turns} == {"ann", "bob", "cat"}  # the assistant never spoke
    silences = [e for e in c.events if e["type"] == "pass"]
    fallbacks = [e for e in c.events if e["type"] == "moderator_fallback"]
    # The moderator picks each of the 12 users' turns; the assistant passes after the first 11
    # (the 12th ends the run), each time before the moderator is asked.
    assert len(c.turns) == 12 and len(fallbacks) == 12 and len(silences) == 11
    assert all(e["decision"] == "silent" and e["decided_by"] == "model" for e in silences)
    assert [(e["type"], e["turn"]) for e in c.events[:3]] == [
        ("moderator_fallback", 0),
        ("pass", 1),
        ("moderator_fallback", 1),
    ]


# --- bad input -----------------------------------------------------------------------------


def _paradigm(**changes: object) -> dict[str, object]:
    return {**GROUP["paradigm"], **changes}  # type: ignore[dict-item]


@pytest.mark.parametrize(
    ("paradigm", "needle"),
    [
        (_paradigm(users=[{"id": "ann"}]), "paradigm.users: a group chat needs at least 2 users"),
        (_paradigm(users=[{"id": "a"}, {"id": "a"}]), "paradigm.users: duplicate user id 'a'"),
        (
            _paradigm(users=[{"id": "a", "name": "Al"}, {"id": "b", "name": "al"}]),
            "duplicate user name 'al'",
        ),
        (_paradigm(weights={"bobb": 2}), "weights: no participant 'bobb' (did you mean 'bob'?)"),
        (_paradigm(first_speaker="dan"), "first_speaker: no participant 'dan'"),
        (_paradigm(policy="moderator"), "no model for role 'moderator'"),
        (_paradigm(policy="loudest"), "paradigm.policy"),
        (_paradigm(assistant={"name": "Bob"}), "assistant: id/name 'assistant'/'Bob'"),
        (_paradigm(assistant={"modle": "x"}), "unknown key (did you mean 'model'?)"),
    ],
)
def test_bad_group_chat_configs_are_one_line_errors(
    paradigm: dict[str, object], needle: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({**GROUP, "paradigm": paradigm}, source="run.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("run.yaml: ") and needle in message, message


async def test_run_group_chat_refuses_bad_python_input() -> None:
    bot = ScriptedParticipant([], id="bot", kind=ParticipantKind.AI_SYSTEM)
    with pytest.raises(ValueError, match="at least 2 users"):
        await run_group_chat(_people(1), bot)
    with pytest.raises(ValueError, match="first_speaker 'zed'"):
        await run_group_chat(_people(2), bot, first_speaker="zed")
    with pytest.raises(ValueError, match="unique"):
        await run_group_chat([*_people(2), *_people(1)], bot)


def test_cli_bad_group_chat_exits_2(tmp_path: Path) -> None:
    config = {**GROUP, "paradigm": _paradigm(users=[{"id": "a"}, {"id": "a"}])}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = run_cli(["run", str(path)], cwd=tmp_path)
    assert result.returncode == 2
    assert "duplicate user id 'a'" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


# --- the real tiny model -------------------------------------------------------------------


@pytest.mark.embedded
async def test_group_chat_on_the_tiny_embedded_model(tiny_gguf: str, tmp_path: Path) -> None:
    spec = {"model": "embedded:tiny", "max_tokens": 20, "temperature": 0.7}
    config = {**GROUP, "models": {"user": spec, "target": spec}, "stop": {"max_turns": 6}}
    config["paradigm"] = _paradigm(policy="weighted_random")
    c = await _run(config, tmp_path)
    assert c.termination is not None and not c.termination.is_error, c.error
    assert 1 <= len(c.turns) <= 6 and all(t.utterance.strip() for t in c.turns)
    assert {t.speaker for t in c.turns} <= {"ann", "bob", "cat", "assistant"}
    for t in c.turns:
        if t.speaker == "assistant":
            assert t.metadata["addressed"] in {"ann", "bob", "cat"}
            assert t.metadata["decision"] == "speak"
    for e in c.events:
        assert e["type"] == "pass" and e["participant"] == "assistant"
    report = group_chat_report(c)
    assert sum(report.turn_share.values()) == pytest.approx(1.0)
    assert c.model_calls and all(call["role"] in {"user", "target"} for call in c.model_calls)
