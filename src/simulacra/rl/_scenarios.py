"""What an episode of the conversation environment is about: a goal, a user profile and
optionally a structured task (no gymnasium needed here)."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulacra.participants import TaskGoal
from simulacra.profiles import GeneralUser, Profile
from simulacra.runs import RunConfig

__all__ = ["EnvScenario", "scenarios_from_config"]


@dataclass(frozen=True)
class EnvScenario:
    """One thing a simulated user may want in an episode.

    Attributes:
        goal: The user's goal (private to the user; shown to the agent only with
            ``observe_goal``).
        profile: Who the user is.
        task: A structured goal: episodes end ``goal_reached`` once the agent fulfils it
            (lexical :func:`~simulacra.participants.task_success`), and the default reward reads it.
        id: Recorded on the conversation.
        instructions: Extra instructions for the simulated user.
    """

    goal: str
    profile: Profile = field(default_factory=GeneralUser)
    task: TaskGoal | None = None
    id: str = "scenario"
    instructions: str | None = None


def scenarios_from_config(config: object) -> list[EnvScenario]:
    """Scenarios × profiles of a :class:`~simulacra.runs.RunConfig` (e.g. MultiWOZ goals loaded
    with ``scenarios_from``)."""

    assert isinstance(config, RunConfig)
    return [
        EnvScenario(
            goal=s.goal,
            profile=p,
            task=s.task,
            id=f"{s.id}/{p.profile_id()}",
            instructions=s.instructions,
        )
        for s in config.scenarios
        for p in config.profiles
    ]
