"""The conversation loop: pick a speaker, build its view, let it respond, append, check stop."""

from __future__ import annotations

import asyncio
import inspect
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from simulacra.conversation import (
    Conversation,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.errors import ModelError
from simulacra.models import record_calls
from simulacra.orchestration._policies import TurnPolicy, get_policy
from simulacra.participants import Participant, Reply

__all__ = ["GoalCheck", "StopConditions", "is_stalled", "run_conversation"]

GoalCheck = Callable[[Conversation], bool | Awaitable[bool]]


@dataclass(frozen=True)
class StopConditions:
    """When a conversation ends (besides a participant's own stop signal and errors).

    Attributes:
        max_turns: Stop after this many turns in total.
        token_budget: Stop once model calls of this conversation used this many tokens.
        timeout: Stop after this many seconds of wall time.
        goal_check: Called after every turn; ``True`` ends the conversation with ``goal_reached``.
        stall_window: End with ``stalled`` once each of the last ``stall_window`` turns repeats
            an earlier turn (see :func:`~simulacra.orchestration.is_stalled`); ``None``: never.
        stall_similarity: Word-set Jaccard similarity from which a turn counts as a repeat.
    """

    max_turns: int = 10
    token_budget: int | None = None
    timeout: float | None = None
    goal_check: GoalCheck | None = None
    stall_window: int | None = None
    stall_similarity: float = 0.9

    def __post_init__(self) -> None:
        if self.max_turns < 1:
            raise ValueError("max_turns must be >= 1")
        if self.stall_window is not None and self.stall_window < 2:
            raise ValueError("stall_window must be >= 2")
        if not 0 < self.stall_similarity <= 1:
            raise ValueError("stall_similarity must be in (0, 1]")


def _words(text: str) -> frozenset[str]:
    return frozenset(re.findall(r"\w+", text.lower()))


def _similar(a: frozenset[str], b: frozenset[str], similarity: float) -> bool:
    if not a and not b:
        return True
    return len(a & b) / len(a | b) >= similarity


def is_stalled(turns: Sequence[Turn], *, window: int = 4, similarity: float = 0.9) -> bool:
    """Whether each of the last ``window`` turns repeats an earlier turn of the conversation.

    A repeat is a turn whose word set has Jaccard similarity >= ``similarity`` with an earlier
    turn's (so "Thanks!" after "thanks" repeats it; a rephrased question does not). Cost: the
    window times the turns before it.
    """
    if len(turns) < window + 1:
        return False
    words = [_words(t.utterance) for t in turns]
    start = len(turns) - window
    return all(
        any(_similar(words[i], words[j], similarity) for j in range(i))
        for i in range(start, len(turns))
    )


def _classify(participant: Participant, error: BaseException) -> TerminationReason:
    if participant.info.kind is ParticipantKind.AI_SYSTEM:
        return TerminationReason.TARGET_ERROR
    if isinstance(error, ModelError) and error.retryable:
        return TerminationReason.INFRASTRUCTURE_ERROR
    return TerminationReason.SIMULATOR_ERROR


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


async def run_conversation(
    participants: Sequence[Participant],
    *,
    policy: str | TurnPolicy = "alternate",
    stop: StopConditions | None = None,
    conversation_id: str | None = None,
    scenario_id: str | None = None,
    opening: Sequence[Turn] = (),
    metadata: Mapping[str, str | int | float | bool | None] | None = None,
) -> Conversation:
    """Run one conversation to its end and return the record. Never raises for errors that
    happen inside the conversation: they end it with a :class:`TerminationReason`.

    Args:
        participants: Who takes part, in speaking order (the first speaks first).
        policy: Turn policy name (``alternate``, ``round_robin``, ``addressed``) or callable
            (sync or async).
        stop: Stop conditions (default: 10 turns).
        conversation_id: Id of the record (default: random).
        scenario_id: Recorded on the conversation.
        opening: Turns already said before the loop starts (e.g. a seed prompt).
        metadata: Recorded on the conversation.
    """
    stop = stop or StopConditions()
    choose = get_policy(policy)
    by_id = {p.info.id: p for p in participants}
    if len(by_id) != len(participants):
        raise ValueError("participant ids must be unique")
    infos = [p.info for p in participants]
    conversation = Conversation(
        participants=infos,
        scenario_id=scenario_id,
        metadata=dict(metadata or {}),
        started_at=time.time(),
        **({"id": conversation_id} if conversation_id else {}),
    )
    for turn in opening:
        conversation.append(turn)
    deadline = None if stop.timeout is None else time.monotonic() + stop.timeout
    addressed_id: str | None = None
    ended_by = "loop"
    passed: set[str] = set()

    with record_calls() as log:
        reason: TerminationReason | None = None
        while reason is None:
            if len(conversation.turns) >= stop.max_turns:
                reason = TerminationReason.MAX_TURNS
                break
            chosen = choose(conversation, infos, addressed_id)
            speaker_id = await chosen if inspect.isawaitable(chosen) else chosen
            if speaker_id in passed:
                # It passed since the last turn: ask the next one in order that has not.
                ids = [p.id for p in infos]
                start = ids.index(speaker_id)
                rest = [ids[(start + k) % len(ids)] for k in range(1, len(ids))]
                speaker_id = next((i for i in rest if i not in passed), speaker_id)
            speaker = by_id[speaker_id]
            view = conversation.view_for(speaker_id)
            try:
                if deadline is None:
                    reply: Reply = await speaker.respond(view)
                else:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise TimeoutError
                    reply = await asyncio.wait_for(speaker.respond(view), remaining)
            except TimeoutError:
                reason = TerminationReason.TIMEOUT
                break
            except Exception as exc:  # errors inside a conversation become data
                reason = _classify(speaker, exc)
                conversation.error = f"{speaker_id}: {_one_line(exc)}"
                ended_by = speaker_id
                break
            if reply.skip and not reply.stop:
                # A pass is an event, not a turn (with the reply's metadata: why it passed).
                event: dict[str, object] = {**reply.metadata}
                event.update(type="pass", turn=len(conversation.turns), participant=speaker_id)
                conversation.events.append(event)
                passed.add(speaker_id)
                if len(passed) == len(infos):  # everyone passed: nothing will happen
                    reason = TerminationReason.STALLED
                    break
                continue
            passed.clear()
            if reply.utterance or not reply.stop:
                meta = dict(reply.metadata)
                if reply.addressed:
                    meta["addressed"] = reply.addressed
                conversation.turns.append(
                    Turn(
                        speaker=speaker_id,
                        utterance=reply.utterance,
                        reasoning=reply.reasoning,
                        model_calls=reply.model_calls,
                        metadata=meta,
                    )
                )
            addressed_id = reply.addressed
            if reply.stop:
                is_ai = speaker.info.kind is ParticipantKind.AI_SYSTEM
                reason = TerminationReason.TARGET_STOP if is_ai else TerminationReason.USER_STOP
                ended_by = speaker_id
            elif stop.stall_window is not None and is_stalled(
                conversation.turns, window=stop.stall_window, similarity=stop.stall_similarity
            ):
                reason = TerminationReason.STALLED
            elif stop.goal_check is not None:
                try:
                    done = stop.goal_check(conversation)
                    if inspect.isawaitable(done):
                        done = await done
                except Exception as exc:
                    reason = TerminationReason.SIMULATOR_ERROR
                    conversation.error = f"goal_check: {_one_line(exc)}"
                    ended_by = "goal_check"
                    break
                if done:
                    reason = TerminationReason.GOAL_REACHED
                    ended_by = "goal_check"
            budget = stop.token_budget
            if reason is None and budget is not None and log.usage.total_tokens >= budget:
                reason = TerminationReason.BUDGET_EXHAUSTED
        conversation.termination = reason
        conversation.ended_by = ended_by
        conversation.model_calls = list(log.calls)
        conversation.usage = log.usage.model_dump(exclude_none=True)
    conversation.ended_at = time.time()
    return conversation
