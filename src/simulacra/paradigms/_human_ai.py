"""``human_ai``: a simulated user against a system under test (survey §4.1), the default paradigm.

Registered like every other paradigm; :func:`~simulacra.runs.execute_run` runs it when a config
has no ``paradigm:`` section (or ``paradigm: {type: human_ai}``). Its options are not a
``paradigm:`` section but the run config's top-level ``user:``, ``validity:`` and
``stop.task_success``, which :mod:`simulacra.runs` gathers into :class:`HumanAIOptions`; the system
under test (``target:``) is built once per run by :mod:`simulacra.runs` and arrives as
:attr:`ParadigmContext.target <simulacra.paradigms.ParadigmContext.target>`.

One work item: build the user (goal-state, prompted with or without techniques, or agenda-based)
for the scenario and profile, wrap it in the simulator validity gate, let the first speaker open,
and mark the record ``simulator_invalid`` when the gate gave up.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from simulacra.conversation import Conversation, Turn
from simulacra.models import GenerateConfig
from simulacra.orchestration import run_conversation
from simulacra.paradigms._registry import ParadigmContext, ParadigmOptions, register_paradigm
from simulacra.participants import (
    AgendaUserOptions,
    GoalStateOptions,
    GoalStateUser,
    Participant,
    PromptedUser,
    Technique,
    ValidityOptions,
    agenda_user_from_options,
    build_technique_user,
    gate_user,
    mark_simulator_validity,
    normalise_techniques,
    task_goal_check,
)
from simulacra.profiles import GeneralUser

__all__ = ["HumanAIOptions", "UserConfig", "UserOptions", "build_user", "converse"]


class UserConfig(BaseModel):
    """How the simulated user is produced: ``type: prompted`` (default, an LLM) or
    ``type: agenda`` (:class:`~simulacra.participants.AgendaUserOptions`)."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["prompted"] = "prompted"
    model: str = "user"
    """The model role that plays the user."""
    prompting: Literal["transcript", "chat"] = "transcript"
    reasoning: bool = False
    exemplars: list[str] = Field(default_factory=list)
    techniques: list[Technique] = Field(default_factory=list)
    """Stacked techniques (``persona``, ``few_shot``, ``retrieval``, ``state``, ``verifier``,
    ``reasoning``), see ``docs/techniques.md``."""

    @field_validator("techniques", mode="before")
    @classmethod
    def _technique_names(cls, value: Any) -> Any:
        return normalise_techniques(value)


_PROMPTED_ONLY = frozenset({"prompting", "reasoning", "exemplars", "techniques"})


def _user_type(value: Any) -> str:
    """The user's ``type``; without one, ``goal_state`` (the default user), or ``prompted`` when
    the section sets fields only the prompted user has (configs written before 0.5)."""
    if isinstance(value, dict):
        if "type" in value:
            return str(value["type"])
        return "prompted" if _PROMPTED_ONLY & set(value) else "goal_state"
    return str(getattr(value, "type", "goal_state"))


UserOptions = Annotated[
    Annotated[GoalStateOptions, Tag("goal_state")]
    | Annotated[UserConfig, Tag("prompted")]
    | Annotated[AgendaUserOptions, Tag("agenda")],
    Discriminator(_user_type),
]
"""The ``user:`` section of a run config: ``goal_state`` (default), ``prompted`` or ``agenda``."""


class HumanAIOptions(ParadigmOptions):
    """What ``human_ai`` needs of the run config (gathered from its top-level sections)."""

    uses_profiles: ClassVar[bool] = True

    user: UserOptions = Field(default_factory=GoalStateOptions)
    validity: ValidityOptions = Field(default_factory=ValidityOptions)
    task_success: bool = False
    """``stop.task_success``: end with ``goal_reached`` once the structured task is fulfilled."""

    def model_roles(self) -> list[str]:
        """The user's model role (the agenda user calls no model; the target's role is the
        run's, not the paradigm's)."""
        return [self.user.model] if isinstance(self.user, UserConfig | GoalStateOptions) else []


def build_user(options: HumanAIOptions, ctx: ParadigmContext) -> Participant:
    """The simulated user of one work item, inside the validity gate."""
    user: Participant
    config = options.user
    if isinstance(config, AgendaUserOptions):
        assert ctx.task is not None  # checked when the run config is read
        user = agenda_user_from_options(config, goal=ctx.task, seed=ctx.seed)
    elif isinstance(config, GoalStateOptions):
        user = GoalStateUser(
            ctx.models[config.model],
            goal=ctx.goal,
            task=ctx.task,
            profile=ctx.profile,
            options=config,
            instructions=ctx.instructions,
            seed=ctx.seed,
            config=GenerateConfig(seed=ctx.seed),
        )
    elif config.techniques:
        user = build_technique_user(
            config.techniques,
            model=ctx.models[config.model],
            goal=ctx.goal,
            profile=ctx.profile if ctx.profile is not None else GeneralUser(),
            task=ctx.task,
            instructions=ctx.instructions,
            prompting=config.prompting,
            exemplars=config.exemplars,
            reasoning=config.reasoning,
            seed=ctx.seed,
        )
    else:
        user = PromptedUser(
            ctx.models[config.model],
            goal=ctx.goal,
            profile=ctx.profile,
            prompting=config.prompting,
            exemplars=config.exemplars,
            reasoning=config.reasoning,
            instructions=ctx.instructions,
            config=GenerateConfig(seed=ctx.seed),
        )
    return gate_user(
        user,
        options.validity,
        goal=ctx.goal,
        task=ctx.task,
        profile=ctx.profile,
        instructions=ctx.instructions,
    )


async def converse(
    user: Participant, target: Participant, ctx: ParadigmContext, *, task_success: bool = False
) -> Conversation:
    """One human–AI conversation between ``user`` (simulated or a person) and ``target``: the
    scenario's speaking order and opening line, the run's stop conditions (plus the structured
    task's success check with ``task_success``)."""
    order: list[Participant] = [user, target] if ctx.first_speaker == "user" else [target, user]
    opening = [Turn(speaker=order[0].info.id, utterance=ctx.opening)] if ctx.opening else []
    stop = ctx.stop
    if task_success and ctx.task is not None:
        stop = replace(stop, goal_check=task_goal_check(ctx.task, user_id=user.info.id))
    return await run_conversation(
        order,
        stop=stop,
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=opening,
        metadata=dict(ctx.metadata),
    )


@register_paradigm("human_ai", options=HumanAIOptions)
async def human_ai(options: HumanAIOptions, ctx: ParadigmContext) -> Conversation:
    """A simulated user (:func:`build_user`) against ``ctx.target``."""
    if ctx.target is None:
        raise ValueError("human_ai needs a system under test (ParadigmContext.target)")
    conversation = await converse(
        build_user(options, ctx), ctx.target, ctx, task_success=options.task_success
    )
    return mark_simulator_validity(conversation)
