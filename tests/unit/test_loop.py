from __future__ import annotations

import asyncio

import pytest

from simulacra import CallableTarget, StopConditions, TerminationReason, run_conversation
from simulacra.conversation import ParticipantKind, Turn, View
from simulacra.errors import AuthenticationError, TransientError
from simulacra.models import Model, RetryPolicy
from simulacra.orchestration import addressed, is_stalled
from simulacra.participants import PromptedUser, Reply
from simulacra.testing import ScriptedModelAPI, ScriptedParticipant, function_model


def _user(lines: list[str]) -> ScriptedParticipant:
    return ScriptedParticipant(lines, id="user", name="User")


def _bot() -> CallableTarget:
    return CallableTarget(lambda view: f"reply {view.turn_index}")


async def test_alternates_until_max_turns() -> None:
    c = await run_conversation([_user(["a", "b", "c"]), _bot()], stop=StopConditions(max_turns=4))
    assert [t.speaker for t in c.turns] == ["user", "assistant"] * 2
    assert c.termination is TerminationReason.MAX_TURNS
    assert c.turns[1].utterance == "reply 1"


async def test_user_stop_ends_without_empty_turn() -> None:
    c = await run_conversation([_user(["only"]), _bot()], stop=StopConditions(max_turns=10))
    assert c.termination is TerminationReason.USER_STOP
    assert [t.utterance for t in c.turns] == ["only", "reply 1"]


async def test_target_stop() -> None:
    target = CallableTarget(lambda v: Reply(utterance="bye", stop=True))
    c = await run_conversation([_user(["hi", "x"]), target])
    assert c.termination is TerminationReason.TARGET_STOP and c.turns[-1].utterance == "bye"


async def test_goal_check() -> None:
    stop = StopConditions(goal_check=lambda c: any("reply" in t.utterance for t in c.turns))
    c = await run_conversation([_user(["a", "b"]), _bot()], stop=stop)
    assert c.termination is TerminationReason.GOAL_REACHED and len(c.turns) == 2


async def test_failing_goal_check_is_data() -> None:
    stop = StopConditions(goal_check=lambda c: 1 / 0)
    c = await run_conversation([_user(["a"]), _bot()], stop=stop)
    assert c.termination is TerminationReason.SIMULATOR_ERROR and "ZeroDivisionError" in (
        c.error or ""
    )


async def test_target_exception_is_a_result() -> None:
    def broken(view: View) -> str:
        raise RuntimeError("500 from the bot")

    c = await run_conversation([_user(["hi"]), CallableTarget(broken)])
    assert c.termination is TerminationReason.TARGET_ERROR
    assert c.error == "assistant: RuntimeError: 500 from the bot"
    assert len(c.turns) == 1


async def test_simulator_errors_split_infrastructure_from_logic() -> None:
    infra = Model(ScriptedModelAPI([TransientError("503")]), retry=RetryPolicy(max_retries=0))
    c = await run_conversation([PromptedUser(infra, goal="g"), _bot()])
    assert c.termination is TerminationReason.INFRASTRUCTURE_ERROR
    logic = Model(ScriptedModelAPI([AuthenticationError("401")]), retry=RetryPolicy(max_retries=0))
    c = await run_conversation([PromptedUser(logic, goal="g"), _bot()])
    assert c.termination is TerminationReason.SIMULATOR_ERROR
    assert c.model_calls[0]["error"]["kind"] == "auth"


async def test_token_budget_and_call_records() -> None:
    user = PromptedUser(function_model(lambda m, c: "one two three", role="user"), goal="g")
    c = await run_conversation([user, _bot()], stop=StopConditions(max_turns=50, token_budget=200))
    assert c.termination is TerminationReason.BUDGET_EXHAUSTED
    assert c.usage["prompt_tokens"] + c.usage["completion_tokens"] >= 200
    user_calls = {t.model_calls[0].call_id for t in c.turns if t.speaker == "user"}
    assert user_calls == {call["call_id"] for call in c.model_calls}


async def test_timeout() -> None:
    async def slow(view: View) -> str:
        await asyncio.sleep(5)
        return "late"

    c = await run_conversation(
        [_user(["a"]), CallableTarget(slow)], stop=StopConditions(timeout=0.1)
    )
    assert c.termination is TerminationReason.TIMEOUT


async def test_round_robin_and_addressed_multi_party() -> None:
    people = [
        ScriptedParticipant(["hi @Cat", "x", "y"], id="a", name="Ann"),
        ScriptedParticipant(["b1", "b2", "b3"], id="b", name="Bob"),
        ScriptedParticipant(["c1", "c2", "c3"], id="c", name="Cat", kind=ParticipantKind.AI_SYSTEM),
    ]
    c = await run_conversation(people, policy="round_robin", stop=StopConditions(max_turns=6))
    assert [t.speaker for t in c.turns] == ["a", "b", "c", "a", "b", "c"]
    people = [
        ScriptedParticipant(["hi @Cat", "x"], id="a", name="Ann"),
        ScriptedParticipant(["b1"], id="b", name="Bob"),
        ScriptedParticipant(
            ["c1", Reply(utterance="over to Bob", addressed="b")], id="c", name="Cat"
        ),
    ]
    c = await run_conversation(people, policy=addressed, stop=StopConditions(max_turns=4))
    assert [t.speaker for t in c.turns] == ["a", "c", "a", "b"]


async def test_opening_turns_and_bad_input() -> None:
    from simulacra import Turn

    c = await run_conversation(
        [_user(["second"]), _bot()],
        opening=[Turn(speaker="user", utterance="seed")],
        stop=StopConditions(max_turns=2),
    )
    assert [t.utterance for t in c.turns] == ["seed", "reply 1"]
    with pytest.raises(ValueError, match="alternate"):
        await run_conversation([_user([]), _bot(), ScriptedParticipant([], id="x")])
    with pytest.raises(ValueError):
        StopConditions(max_turns=0)


# --- stop handling: stalls, skips, async policies, who ended it ---------------------------


async def test_stalled_conversation_ends_and_says_who_ended_it() -> None:
    a = ScriptedParticipant(["hi", "thanks", "thanks!", "Thanks", "thanks"], id="a")
    b = ScriptedParticipant(
        ["hello", "you're welcome", "You're welcome.", "you're welcome"], id="b"
    )
    c = await run_conversation([a, b], stop=StopConditions(max_turns=20, stall_window=3))
    assert c.termination is TerminationReason.STALLED and c.ended_by == "loop"
    assert len(c.turns) < 9


def test_is_stalled_needs_every_recent_turn_to_repeat() -> None:
    turns = [Turn(speaker="a", utterance=u) for u in ["book a room", "which dates?", "book a room"]]
    assert not is_stalled(turns, window=2)
    turns.append(Turn(speaker="a", utterance="Which dates?"))
    assert is_stalled(turns, window=2)
    assert not is_stalled(turns[:2], window=2)


async def test_user_stop_is_ended_by_that_user() -> None:
    user = ScriptedParticipant(["hi", Reply(utterance="", stop=True)], id="u")
    bot = ScriptedParticipant(["hello"], id="bot", kind=ParticipantKind.AI_SYSTEM)
    c = await run_conversation([user, bot])
    assert c.termination is TerminationReason.USER_STOP and c.ended_by == "u"


async def test_skips_record_no_turn_and_all_skipping_stalls() -> None:
    quiet = ScriptedParticipant([Reply(utterance="", skip=True)] * 10, id="quiet")
    talker = ScriptedParticipant(["one", "two"], id="talker")
    c = await run_conversation(
        [talker, quiet], policy="round_robin", stop=StopConditions(max_turns=6)
    )
    assert [t.speaker for t in c.turns] == ["talker", "talker"]
    # After the talker runs out of lines it stops; a conversation of only skips stalls.
    silent = ScriptedParticipant([Reply(utterance="", skip=True)] * 10, id="silent")
    c2 = await run_conversation([quiet, silent], policy="round_robin")
    assert c2.termination is TerminationReason.STALLED and not c2.turns


async def test_async_policy_is_awaited() -> None:
    async def second_always(conversation, participants, addressed_id):  # type: ignore[no-untyped-def]
        return participants[1].id

    a = ScriptedParticipant(["never"], id="a")
    b = ScriptedParticipant(["x", "y"], id="b")
    c = await run_conversation([a, b], policy=second_always, stop=StopConditions(max_turns=2))
    assert [t.speaker for t in c.turns] == ["b", "b"]
