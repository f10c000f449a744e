"""The paradigm registry: what kind of interaction a run simulates (survey §4).

A paradigm turns one work item (a scenario, an epoch, a seed, and for some paradigms a profile)
into a conversation record. Every paradigm registers here with an options model (its section of
the run config) and an async runner — the default ``human_ai`` (a simulated user against a system
under test, :mod:`simulacra.paradigms._human_ai`) like the others, in this package, in the
caller's code, or in another package through the ``simulacra.paradigms`` entry point group (the
entry point's name is the paradigm's name; it names the module that registers it, loaded the first
time the name is asked for; see :mod:`simulacra._plugins`).
"""

from __future__ import annotations

import difflib
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra._plugins import PARADIGMS_GROUP, PluginError, load_plugin, plugin_names
from simulacra._validation import summarise
from simulacra.conversation import Conversation
from simulacra.models import Model
from simulacra.orchestration import StopConditions
from simulacra.participants import Participant
from simulacra.profiles import Profile
from simulacra.scenarios import TaskGoal

__all__ = [
    "ParadigmContext",
    "ParadigmOptions",
    "ParadigmRunner",
    "get_paradigm",
    "paradigm_names",
    "parse_paradigm",
    "register_paradigm",
    "run_paradigm",
]


class ParadigmOptions(BaseModel):
    """Base of every paradigm's options (its ``paradigm:`` section in a run config).

    Subclasses declare their fields and say which model roles they call (each must be defined
    under ``models:``); ``uses_profiles`` says whether the run's ``profiles`` multiply the work
    set (one conversation per scenario × profile × epoch) or the paradigm defines its own
    participants (one per scenario × epoch).
    """

    model_config = ConfigDict(extra="forbid")

    uses_profiles: ClassVar[bool] = False

    def model_roles(self) -> list[str]:
        """The model roles this paradigm calls."""
        return []


@dataclass(frozen=True)
class ParadigmContext:
    """Everything a paradigm gets for one work item.

    Attributes:
        conversation_id: The work-item id: the id of the conversation record to return.
        scenario_id: The scenario's id.
        goal: The scenario's goal — a task, a motion, a topic, depending on the paradigm.
        instructions: The scenario's extra instructions, if any.
        opening: A first message said verbatim by the first speaker, if any.
        seed: A seed derived from the work item (pass it to models for reproducible runs).
        epoch: The epoch (rollout index) of the work item.
        models: The run's models by role.
        stop: The run's stop conditions (max turns etc.) for this scenario.
        profile: The work item's profile, for paradigms with ``uses_profiles``.
        metadata: Recorded on the conversation (profile id, epoch, seed).
        task: The scenario's structured goal, if it has one.
        first_speaker: Who speaks first in a two-party scenario: ``user`` or ``target``.
        target: The system under test, for paradigms that test one (``human_ai``); built once
            per run by :mod:`simulacra.runs` from the config's ``target:``.
    """

    conversation_id: str
    scenario_id: str
    goal: str
    seed: int
    epoch: int
    models: Mapping[str, Model]
    stop: StopConditions
    instructions: str | None = None
    opening: str | None = None
    profile: Profile | None = None
    metadata: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    task: TaskGoal | None = None
    first_speaker: Literal["user", "target"] = "user"
    target: Participant | None = None


OptionsT = TypeVar("OptionsT", bound=ParadigmOptions)
ParadigmRunner = Callable[[OptionsT, ParadigmContext], Awaitable[Conversation]]

_REGISTRY: dict[str, tuple[type[ParadigmOptions], Callable[..., Awaitable[Conversation]]]] = {}


def register_paradigm(
    name: str, *, options: type[OptionsT]
) -> Callable[[ParadigmRunner[OptionsT]], ParadigmRunner[OptionsT]]:
    """Register an async runner ``run(options, context) -> Conversation`` under ``name``.

    Example::

        class DebateOptions(ParadigmOptions):
            rounds: int = 3

        @register_paradigm("debate", options=DebateOptions)
        async def debate(options: DebateOptions, ctx: ParadigmContext) -> Conversation: ...
    """

    def decorate(runner: ParadigmRunner[OptionsT]) -> ParadigmRunner[OptionsT]:
        if name in _REGISTRY:
            raise ValueError(f"paradigm {name!r} is already registered")
        _REGISTRY[name] = (options, runner)
        return runner

    return decorate


def paradigm_names() -> list[str]:
    """Registered paradigm names (plus those offered by installed plug-ins, which are not
    imported)."""
    return sorted({*_REGISTRY, *plugin_names(PARADIGMS_GROUP)})


def get_paradigm(
    name: str,
) -> tuple[type[ParadigmOptions], Callable[..., Awaitable[Conversation]]]:
    """The options model and runner of a paradigm.

    Raises:
        ValueError: Unknown name (with the closest known one).
        PluginError: The name's plug-in failed to load or registered no paradigm of that name.
    """
    if name not in _REGISTRY:
        loaded = load_plugin(PARADIGMS_GROUP, name)
        if loaded is not None and name not in _REGISTRY:
            raise PluginError(
                f"plug-in entry point {name!r} (group {PARADIGMS_GROUP}): loaded, but it "
                f"registered no paradigm {name!r} (decorate a runner with "
                f"@register_paradigm({name!r}, options=...))"
            )
    try:
        return _REGISTRY[name]
    except KeyError:
        close = difflib.get_close_matches(name, paradigm_names(), n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        known = ", ".join(paradigm_names())
        raise ValueError(f"unknown paradigm {name!r}{hint}; known: {known}") from None


def parse_paradigm(
    data: Mapping[str, object], *, context: Mapping[str, object] | None = None
) -> ParadigmOptions | None:
    """Validate a ``paradigm:`` section (``{type: NAME, ...options}``); ``None`` for ``human_ai``,
    whose options are the run config's ``user:``, ``validity:`` and ``stop:`` sections.

    ``context`` is passed to the options' validators (``base_dir``: the config file's folder,
    against which options resolve relative file paths).

    Raises:
        ValueError: One line naming the field (``paradigm.<field>: ...``).
    """
    name = data.get("type")
    if not isinstance(name, str):
        raise ValueError(f"paradigm.type: required, one of {', '.join(paradigm_names())}")
    if name == "human_ai":
        if len(data) > 1:
            extra = sorted(k for k in data if k != "type")
            raise ValueError(f"paradigm.{extra[0]}: human_ai takes no options")
        return None
    options_model, _ = get_paradigm(name)
    try:
        return options_model.model_validate(
            {k: v for k, v in data.items() if k != "type"},
            context=dict(context) if context is not None else None,
        )
    except ValidationError as exc:
        raise ValueError(f"paradigm.{summarise(exc, model=options_model)}") from None


async def run_paradigm(
    spec: Mapping[str, object],
    *,
    goal: str,
    models: Mapping[str, Model],
    stop: StopConditions | None = None,
    seed: int = 0,
    profile: Profile | None = None,
    conversation_id: str | None = None,
) -> Conversation:
    """Run one conversation of a paradigm from Python, without a run config or run directory.

    Example::

        conversation = await run_paradigm(
            {"type": "debate", "rounds": 2},
            goal="Primary schools should abolish homework.",
            models={"debater": model, "judge": model},
        )

    Args:
        spec: The ``paradigm:`` section as a mapping (``type`` plus options).
        goal: The scenario's goal (the task, motion, topic...).
        models: Models by role; must cover the paradigm's ``model_roles()``.
        stop: Stop conditions (default: 10 turns).
        seed: Seed for the paradigm's randomness and models.
        profile: The profile, for paradigms that use profiles.
        conversation_id: Id of the record (default: random).

    Raises:
        ValueError: Bad options, ``human_ai`` (use :func:`~simulacra.run_conversation`), or a
            model role missing from ``models``.
    """
    options = parse_paradigm(spec)
    if options is None:
        raise ValueError("human_ai is run with simulacra.run_conversation(user, target)")
    missing = [r for r in options.model_roles() if r not in models]
    if missing:
        raise ValueError(f"models: no model for role(s) {', '.join(missing)}")
    _, runner = get_paradigm(str(spec["type"]))
    context = ParadigmContext(
        conversation_id=conversation_id or uuid.uuid4().hex,
        scenario_id="python",
        goal=goal,
        seed=seed,
        epoch=0,
        models=models,
        stop=stop or StopConditions(),
        profile=profile,
    )
    return await runner(options, context)
