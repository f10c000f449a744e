"""Hybrid profiles (survey §3.5): several kinds composed with an explicit precedence."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulacra.profiles._individual import Individual
from simulacra.profiles._kinds import Persona, ProfileBase
from simulacra.profiles._persona import Behaviour, describe_behaviour
from simulacra.profiles._roleplay import RolePlay, name_from_handle

__all__ = ["Hybrid", "HybridPart"]

HybridPart = Annotated[Persona | RolePlay | Individual, Field(discriminator="kind")]
"""What a hybrid is made of: at most one part of each kind (a general user adds nothing)."""

_DEFAULT_NAME = "User"


def _explicit_name(part: object) -> str | None:
    # Only a name the part was given counts (a role-play derives one from its handle).
    if isinstance(part, dict):
        name = part.get("name")
    elif isinstance(part, RolePlay) and part.name == name_from_handle(part.handle):
        name = None
    elif isinstance(part, ProfileBase) and "name" in part.model_fields_set:
        name = part.name
    else:
        name = None
    return name if isinstance(name, str) else None


class Hybrid(ProfileBase):
    """A profile composed of a persona, a role-play character and/or an individual's history.

    The parts are rendered in ``precedence`` order (highest first) and the prompt tells the model
    that earlier sections win where they disagree; the order, and each part's template, are kept
    with the profile in the run log. Typical use: an individual's memories and facts with a
    persona's behaviour knobs and a role-play character's speech style.

    Attributes:
        parts: Two or three parts, at most one of each kind.
        precedence: Kinds from highest to lowest priority (default: the order of ``parts``).

    Contradictory settings are rejected at construction: two parts of one kind, parts that name
    the person differently while the hybrid names no one, or a precedence that is not an ordering
    of the parts' kinds.
    """

    kind: Literal["hybrid"] = "hybrid"
    template: str = "profile/hybrid"
    parts: list[HybridPart]
    precedence: list[Literal["persona", "roleplay", "individual"]] | None = None

    @model_validator(mode="before")
    @classmethod
    def _name_from_parts(cls, data: object) -> object:
        # The name defaults to the one the parts agree on.
        if isinstance(data, dict) and "name" not in data:
            names = {_explicit_name(part) for part in data.get("parts") or []} - {
                None,
                _DEFAULT_NAME,
            }
            if len(names) == 1:
                return {**data, "name": names.pop()}
            if len(names) > 1:
                listed = " and ".join(repr(n) for n in sorted(map(str, names)))
                raise ValueError(
                    f"contradictory hybrid settings: the parts name the person {listed}; "
                    "set 'name' on the hybrid"
                )
        return data

    @model_validator(mode="after")
    def _check(self) -> Hybrid:
        kinds = [p.kind for p in self.parts]
        if len(kinds) < 2:
            raise ValueError("a hybrid needs at least two parts (use the part itself otherwise)")
        repeated = sorted({k for k in kinds if kinds.count(k) > 1})
        if repeated:
            raise ValueError(
                f"contradictory hybrid settings: more than one {repeated[0]} part; "
                "merge them into one"
            )
        if self.precedence is not None and sorted(self.precedence) != sorted(kinds):
            raise ValueError(
                f"precedence {self.precedence} must order exactly the parts' kinds {kinds}"
            )
        return self

    def ordered_parts(self) -> list[Persona | RolePlay | Individual]:
        """The parts, highest precedence first."""
        order = self.precedence or [p.kind for p in self.parts]
        return sorted(self.parts, key=lambda p: order.index(p.kind))

    def part(self, kind: str) -> Persona | RolePlay | Individual | None:
        """The part of this kind, if any."""
        return next((p for p in self.parts if p.kind == kind), None)

    @property
    def behaviour(self) -> Behaviour | None:
        """The persona part's behaviour knobs (applied mechanically as for a persona)."""
        persona = self.part("persona")
        return persona.behaviour if isinstance(persona, Persona) else None

    def behaviour_lines(self) -> list[str]:
        """The persona part's knobs as instructions."""
        behaviour = self.behaviour
        return describe_behaviour(behaviour) if behaviour is not None else []

    def individual(self) -> Individual | None:
        """The individual part (its memories are retrieved at generation time)."""
        part = self.part("individual")
        return part if isinstance(part, Individual) else None
