"""Small conversations for evaluation tests."""

from __future__ import annotations

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.conversation import TerminationReason


def conversation(
    lines: list[str],
    *,
    id: str,
    scenario: str = "s1",
    profile: str = "p1",
    epoch: int = 0,
    goal: bool = True,
) -> Conversation:
    """A user/bot conversation; even lines are the user's."""
    return Conversation(
        id=id,
        scenario_id=scenario,
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="bot", name="Bot", kind=ParticipantKind.AI_SYSTEM),
        ],
        turns=[
            Turn(speaker="user" if i % 2 == 0 else "bot", utterance=t) for i, t in enumerate(lines)
        ],
        termination=TerminationReason.GOAL_REACHED if goal else TerminationReason.MAX_TURNS,
        metadata={"profile_id": profile, "epoch": epoch},
    )
