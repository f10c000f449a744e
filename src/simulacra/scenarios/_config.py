"""Scenarios: what the simulated user wants (``scenarios:`` of a run config), and the
``{name}`` templates a scenario fills in the target's system prompt."""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from simulacra.errors import ConfigError
from simulacra.scenarios._goal import TaskGoal

__all__ = ["ScenarioConfig", "ScenarioTarget", "render_template"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScenarioTarget(_Strict):
    """What a scenario changes of the target (``scenarios[].target``)."""

    system_prompt: str | None = None
    """The system prompt for this scenario (itself templated like ``target.system_prompt``)."""
    name: str | None = None


_NEW_SCENARIO_FIELDS = ("service", "source", "fields", "target")


class ScenarioConfig(_Strict):
    """One scenario: what the simulated user wants.

    Attributes:
        id: Stable id (part of work-item ids).
        goal: The user's goal (private to the user).
        instructions: Extra instructions for the simulated user.
        first_speaker: ``user`` or ``target``.
        opening: A first message said by the first speaker verbatim (a seed prompt).
        max_turns: Overrides ``stop.max_turns`` for this scenario.
    """

    id: str = Field(min_length=1)
    goal: str = Field(min_length=1)
    instructions: str | None = None
    first_speaker: Literal["user", "target"] = "user"
    opening: str | None = None
    max_turns: int | None = Field(default=None, ge=1, le=100_000)
    task: TaskGoal | None = None
    """A structured goal (domains or services, intents, constraints, requests), e.g. from
    MultiWOZ or an imported corpus: needed by the agenda-based user, the ``state`` technique
    and ``stop.task_success``."""
    service: str | None = None
    """The service(s) of the goal (``scenarios_from`` fills it; a template field)."""
    source: str | None = None
    """The real conversation this scenario's goal comes from (``scenarios_from``)."""
    fields: dict[str, str] = Field(default_factory=dict)
    """Values for ``{name}`` placeholders of the target's system prompt (``scenarios_from``
    fills them from the structured goal: ``service``, ``intent``, its slots)."""
    target: ScenarioTarget | None = None
    """This scenario's own target system prompt / name."""

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # configs that do not use the per-scenario fields keep the hash they had before them
        data: dict[str, Any] = handler(self)
        for key in _NEW_SCENARIO_FIELDS:
            if not data.get(key):
                data.pop(key, None)
        return data

    def template_values(self) -> dict[str, str]:
        """What ``{name}`` in a target prompt can use: ``id``, ``goal``, ``service``,
        ``intent`` and the scenario's ``fields``."""
        values = {"id": self.id, "goal": self.goal}
        if self.task is not None:
            values["service"] = ",".join(self.task.domain_names)
            intents = [i for d in self.task.domains for i in d.intents]
            if intents:
                values["intent"] = intents[0]
        if self.service:
            values["service"] = self.service
        return {**values, **self.fields}

    def system_prompt(
        self, default: str | None, by_service: Mapping[str, str] | None = None
    ) -> str | None:
        """The target's system prompt for this scenario: its own, else its service's (from
        ``by_service``, matched case-insensitively), else ``default``, with ``{name}``
        placeholders filled (:meth:`template_values`).

        Raises:
            ConfigError: A placeholder without a value (naming the scenario).
        """
        own = self.target.system_prompt if self.target is not None else None
        services = {k.lower(): v for k, v in (by_service or {}).items()}
        mine = [s.strip().lower() for s in (self.template_values().get("service") or "").split(",")]
        service = next((services[s] for s in mine if s in services), None)
        template = own if own is not None else service if service is not None else default
        if template is None:
            return None
        field = (
            "target.system_prompt"
            if own is not None
            else "(target.service_prompts)"
            if service is not None
            else "(target.system_prompt)"
        )
        return render_template(template, self.template_values(), f"scenarios.{self.id}.{field}")


def render_template(template: str, values: Mapping[str, str], where: str) -> str:
    """Fill ``{name}`` placeholders from ``values``.

    Raises:
        ConfigError: One line naming ``where`` and the placeholder that has no value.
    """
    names: list[str] = []
    try:
        for _, name, _, _ in string.Formatter().parse(template):
            if name is not None:
                names.append(name)
    except ValueError as exc:
        raise ConfigError(f"{where}: not a valid template ({exc})") from None
    for name in names:
        if name == "" or not name.isidentifier():
            raise ConfigError(
                f"{where}: placeholder {{{name}}} is not a plain field name (use {{service}}, "
                "{goal}, {intent} or a field of the scenario; {{ and }} for braces)"
            )
        if name not in values:
            have = ", ".join(sorted(values)) or "none"
            raise ConfigError(f"{where}: no value for {{{name}}} (this scenario has: {have})")
    return template.format_map(dict(values))
