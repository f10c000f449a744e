"""Putting a simulated user behind the validity gate, with the right checks for its goal."""

from __future__ import annotations

import functools
from collections.abc import Callable

from simulacra.participants._checklist import Checklist, rule_checklist
from simulacra.participants._protocol import Participant
from simulacra.participants._validity import GatedUser, ValidityGate, ValidityOptions
from simulacra.profiles import Profile
from simulacra.prompts import render_profile
from simulacra.scenarios import TaskGoal

__all__ = ["default_voice", "gate_user"]


@functools.cache
def default_voice() -> Callable[[str], float] | None:
    """The shipped user-voice scorer's ``score`` (``None`` when it cannot be loaded)."""
    try:
        from simulacra.participants._voice import UserVoiceScorer
    except ImportError:
        return None
    try:
        return UserVoiceScorer.default().score
    except (OSError, ValueError, KeyError):
        return None


def gate_user(
    user: Participant,
    options: ValidityOptions,
    *,
    goal: str,
    task: TaskGoal | None = None,
    profile: Profile | None = None,
    instructions: str | None = None,
    checklist: Checklist | None = None,
) -> Participant:
    """``user`` behind a :class:`ValidityGate` (or ``user`` itself when the gate is off).

    ``premature_stop`` reads the goal's checklist (the user's own when it has one, else one from
    ``task`` or the free-text goal); ``invented_constraint`` allows the facts of the goal, the
    profile and the instructions; ``off_voice`` uses the shipped user-voice scorer.
    """
    if not options.enabled:
        return user
    if checklist is None:
        own = getattr(user, "checklist", None)
        if isinstance(own, Checklist):
            checklist = own
        elif task is not None:
            checklist = Checklist.from_task(task)
        else:
            checklist = rule_checklist(goal)
    context = [instructions or ""]
    if profile is not None:
        context.append(render_profile(profile)[0])
    if task is not None:
        context.append(task.model_dump_json())
    voice = default_voice() if ("off_voice" in options.detectors or options.best_of > 1) else None
    gate = ValidityGate(
        options,
        goal=goal,
        context="\n".join(context),
        covered=checklist.covered if checklist.items else None,
        voice=voice,
        topics=task is not None,
    )
    return GatedUser(user, gate)
