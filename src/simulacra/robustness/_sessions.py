"""Multi-session runs of a drifting user, and how to read a system's adaptation from them.

The same target object talks to the user in every session, in order, so a system with memory
can carry what it learnt; the user of session k is built from
:meth:`~simulacra.profiles.DriftSchedule.profile_at` ``(profile, k)``. Every conversation records
``drift_schedule`` (the schedule id), ``session_index`` and ``drift_values`` (JSON of the values
in force).

Adaptation is read with a per-conversation check that says whether the system served the user
*as they are now* (e.g. it recommended the cuisine the user prefers in that session):
:func:`adaptation_curve` gives the check per session, :func:`adaptation_lag` the sessions it took
after a change until the check held again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from simulacra.conversation import Conversation
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import Participant
from simulacra.profiles._drift_schedule import DriftSchedule

__all__ = ["adaptation_curve", "adaptation_lag", "run_sessions"]

UserFactory = Callable[[Any, str, int], Participant]
"""Builds the simulated user of one session from (profile, goal, session)."""


async def run_sessions(
    *,
    schedule: DriftSchedule,
    profile: Any,
    goal: str,
    sessions: int,
    make_user: UserFactory,
    target: Participant,
    stop: StopConditions | None = None,
    scenario_id: str | None = None,
    after_session: Callable[[Conversation], Awaitable[None] | None] | None = None,
) -> list[Conversation]:
    """Run ``sessions`` conversations in order with the evolving profile.

    Args:
        schedule: How the profile and goal change.
        profile: The profile of session 1 (before any change).
        goal: The goal of session 1.
        sessions: How many sessions.
        make_user: The simulated user of a session.
        target: The system under test, shared by all sessions.
        stop: Stop conditions of each session.
        scenario_id: Recorded on each conversation.
        after_session: Called with each finished conversation (e.g. to let the system update
            its memory of the user).

    Raises:
        ConfigError: The schedule names a field the profile does not have.
    """
    if sessions < 1:
        raise ValueError("sessions must be >= 1")
    out: list[Conversation] = []
    for k in range(1, sessions + 1):
        user = make_user(schedule.profile_at(profile, k), schedule.goal_at(goal, k), k)
        conversation = await run_conversation(
            [user, target],
            stop=stop,
            scenario_id=scenario_id,
            metadata={
                "drift_schedule": schedule.id,
                "session_index": k,
                "drift_values": schedule.describe(k),
            },
        )
        out.append(conversation)
        if after_session is not None:
            done = after_session(conversation)
            if done is not None:
                await done
    return out


def adaptation_curve(
    conversations: Sequence[Conversation], check: Callable[[Conversation], float]
) -> list[tuple[int, float]]:
    """``(session_index, check)`` per conversation, in session order."""
    rows = [(int(c.metadata.get("session_index") or 0), float(check(c))) for c in conversations]
    return sorted(rows)


def adaptation_lag(
    conversations: Sequence[Conversation],
    check: Callable[[Conversation], float],
    *,
    change_at: int,
    threshold: float = 1.0,
) -> int | None:
    """Sessions after the change at ``change_at`` until ``check`` first reaches ``threshold``
    (0: adapted at once), or ``None`` if it never does within the run."""
    for session, value in adaptation_curve(conversations, check):
        if session >= change_at and value >= threshold:
            return session - change_at
    return None
