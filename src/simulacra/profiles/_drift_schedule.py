"""Users who change between sessions (survey H.2: "real users evolve over time, shifting goals,
language use, or engagement patterns, yet most simulators remain static").

A :class:`DriftSchedule` says how a profile (and the session's goal) evolves across sessions,
numbered from 1. ``changes`` are steps that hold from their session on; ``gradual`` entries move a
number linearly between two sessions::

    id: cuisine-drift
    changes:
      3: {preferences.cuisine: thai}
      5: {style.verbosity: 0.1, goal: "Find a thai place for a quick lunch."}
    gradual:
      - {path: style.patience, from: 0.9, to: 0.2, start: 1, end: 6}

Paths address the profile's fields (``demographics.age``, ``behaviour.verbosity``,
``attributes.cuisine``, ``interests``; list items by index, e.g. ``parts.0.behaviour.verbosity``
of a hybrid), with two aliases: ``preferences.X`` is ``attributes.X`` and ``style.X`` is
``behaviour.X``. ``goal`` replaces the session's goal. Pure data: no I/O besides
:func:`load_drift_schedule`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulacra._validation import read_yaml, summarise
from simulacra.errors import ConfigError

__all__ = ["DriftSchedule", "GradualChange", "load_drift_schedule"]

_ALIASES = {"preferences": "attributes", "style": "behaviour"}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class GradualChange(_Strict):
    """A number that moves linearly from ``from`` (at session ``start`` and before) to ``to``
    (at session ``end`` and after)."""

    path: str = Field(min_length=1)
    from_: float = Field(alias="from")
    to: float
    start: int = Field(ge=1)
    end: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> GradualChange:
        if self.end <= self.start:
            raise ValueError(f"end ({self.end}) must come after start ({self.start})")
        return self

    def value_at(self, session: int) -> float:
        """The value in this session."""
        if session <= self.start:
            return self.from_
        if session >= self.end:
            return self.to
        share = (session - self.start) / (self.end - self.start)
        return round(self.from_ + share * (self.to - self.from_), 6)


def _real_path(path: str) -> str:
    head, dot, tail = path.partition(".")
    return f"{_ALIASES.get(head, head)}{dot}{tail}"


def _set(data: Any, parts: list[str], value: Any) -> None:
    key = parts[0]
    if isinstance(data, list):
        if not key.isdigit() or int(key) >= len(data):
            raise KeyError(key)
        if len(parts) == 1:
            data[int(key)] = value
        else:
            _set(data[int(key)], parts[1:], value)
        return
    if not isinstance(data, dict):
        raise KeyError(key)
    if len(parts) == 1:
        data[key] = value
        return
    child = data.get(key)
    if child is None:
        child = {}
        data[key] = child
    _set(child, parts[1:], value)


class DriftSchedule(_Strict):
    """How a profile and its goal evolve over sessions.

    Attributes:
        id: Recorded on every conversation of a multi-session run.
        changes: Session → path → new value, holding from that session on.
        gradual: Linear moves of numeric fields.
    """

    id: str = "drift"
    changes: dict[int, dict[str, Any]] = Field(default_factory=dict)
    gradual: list[GradualChange] = Field(default_factory=list)
    source: str = Field(default="<schedule>", exclude=True)

    @model_validator(mode="after")
    def _sessions_from_one(self) -> DriftSchedule:
        bad = sorted(k for k in self.changes if k < 1)
        if bad:
            raise ValueError(f"changes: sessions are numbered from 1, got {bad[0]}")
        return self

    def values_at(self, session: int) -> dict[str, Any]:
        """Every path's value in this session (steps up to it, then gradual moves)."""
        out: dict[str, Any] = {}
        for k in sorted(self.changes):
            if k <= session:
                out.update(self.changes[k])
        for g in self.gradual:
            out[g.path] = g.value_at(session)
        return out

    def goal_at(self, goal: str, session: int) -> str:
        """The session's goal: the latest ``goal`` change, or ``goal``."""
        value = self.values_at(session).get("goal")
        return str(value) if value is not None else goal

    def profile_at(self, profile: Any, session: int) -> Any:
        """The profile as it is in this session (a new object; ``profile`` is unchanged).

        Raises:
            ConfigError: A path the profile does not have, or a value it does not accept,
                naming the schedule's source, the session and the path.
        """
        values = {p: v for p, v in self.values_at(session).items() if p != "goal"}
        if not values:
            return profile
        data = profile.model_dump()
        for path, value in values.items():
            try:
                _set(data, _real_path(path).split("."), value)
            except KeyError:
                raise ConfigError(
                    f"{self.source}: session {session}: {path}: the "
                    f"{getattr(profile, 'kind', 'profile')} profile has no such field"
                ) from None
        try:
            return type(profile).model_validate(data)
        except ValidationError as exc:
            raise ConfigError(
                f"{self.source}: session {session}: {summarise(exc, model=type(profile))}"
            ) from None

    def describe(self, session: int) -> str:
        """The values in force in this session, as JSON (recorded on the conversation)."""
        return json.dumps(self.values_at(session), sort_keys=True, default=str)


def load_drift_schedule(path: str | Path) -> DriftSchedule:
    """Read a YAML drift schedule (format in the module docstring).

    Raises:
        ConfigError: One line naming the file and the field.
    """
    path = Path(path)
    data = read_yaml(path)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping with 'changes' and/or 'gradual'")
    try:
        return DriftSchedule.model_validate({**data, "source": str(path)})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc, model=DriftSchedule)}") from None
