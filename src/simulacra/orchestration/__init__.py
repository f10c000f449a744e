"""Orchestration: the pure conversation loop and turn-taking policies.

:func:`run_conversation` touches no files and no registry: give it participants, get a
:class:`~simulacra.Conversation` back. Batch runs (config, files, resume) live in
:mod:`simulacra.runs`.
"""

from simulacra.orchestration._loop import GoalCheck, StopConditions, is_stalled, run_conversation
from simulacra.orchestration._policies import (
    POLICIES,
    LLMModerator,
    TurnPolicy,
    WeightedRandom,
    activity_weight,
    addressed,
    alternate,
    get_policy,
    mentioned,
    round_robin,
)

__all__ = [
    "POLICIES",
    "GoalCheck",
    "LLMModerator",
    "StopConditions",
    "TurnPolicy",
    "WeightedRandom",
    "activity_weight",
    "addressed",
    "alternate",
    "get_policy",
    "is_stalled",
    "mentioned",
    "round_robin",
    "run_conversation",
]
