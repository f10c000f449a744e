"""Recipe: AI–AI debates judged by a model (survey §4.3, C.3), as a small tournament.

Each motion is debated twice, once with the proponent speaking first and once with the opponent
first (the ``debate`` paradigm: rounds, stance polls, then the judge's explained verdict). The
report asks what a single debate cannot: how often the pro side wins, and how often whoever
spoke first wins — a judge that favours the first speaker, or one side regardless of the
arguments, shows up here (with Wilson intervals and n over decided debates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from simulacra.conversation import Conversation
from simulacra.models import Model
from simulacra.orchestration import StopConditions
from simulacra.paradigms import run_paradigm
from simulacra.recipes._common import estimate

__all__ = ["debate_report", "run_debates"]

_SIDES = {"pro": "Proponent", "con": "Opponent"}


async def run_debates(
    motions: Sequence[str],
    *,
    debater: Model,
    judge: Model,
    rounds: int = 1,
    swap: bool = True,
) -> tuple[list[Conversation], dict[str, Any]]:
    """Debate every motion (in both speaking orders with ``swap``) and report."""
    orders = [("pro", "con"), ("con", "pro")] if swap else [("pro", "con")]
    conversations = []
    for m, motion in enumerate(motions):
        for first, second in orders:
            spec = {
                "type": "debate",
                "rounds": rounds,
                "debaters": [
                    {"name": _SIDES[first], "position": first},
                    {"name": _SIDES[second], "position": second},
                ],
            }
            c = await run_paradigm(
                spec,
                goal=motion,
                models={"debater": debater, "judge": judge},
                stop=StopConditions(max_turns=2 * rounds + 1),
                seed=m,
                conversation_id=f"motion{m}-{first}-first",
            )
            c.metadata.update(motion=motion, first_side=first)
            conversations.append(c)
    return conversations, debate_report(conversations)


def debate_report(conversations: Sequence[Conversation]) -> dict[str, Any]:
    """Pro-side and first-speaker win rates over decided debates, ties and verdict errors."""
    by_name = {v: k for k, v in _SIDES.items()}
    decided = []
    ties = errors = 0
    for c in conversations:
        winner = c.metadata.get("winner")
        if winner is None:
            errors += 1
        elif winner == "tie":
            ties += 1
        else:
            decided.append((by_name.get(str(winner)), c.metadata.get("first_side")))
    pro = sum(side == "pro" for side, _ in decided)
    first = sum(side == first for side, first in decided)
    return {
        "recipe": "debate",
        "debates": len(conversations),
        "decided": len(decided),
        "ties": ties,
        "verdict_errors": errors,
        "pro_wins": estimate(pro, len(decided)),
        "first_speaker_wins": estimate(first, len(decided)),
        "position_changes": sum(
            int(c.metadata.get("position_changes") or 0) for c in conversations
        ),
        "debates_detail": [
            {
                "motion": c.metadata.get("motion"),
                "first_side": c.metadata.get("first_side"),
                "winner": c.metadata.get("winner"),
                "termination": str(c.termination),
            }
            for c in conversations
        ],
    }
