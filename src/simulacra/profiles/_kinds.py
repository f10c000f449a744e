"""Profile base class, the general user and the persona."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.profiles._persona import Behaviour, BigFive, Demographics, Hexaco, describe_behaviour

__all__ = ["AttributeValue", "GeneralUser", "Persona", "ProfileBase"]

AttributeValue = str | int | float | bool | list[str]


class ProfileBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    """Stable id of the profile within a population (used in work-item ids)."""
    name: str = "User"
    """Display name in transcripts."""

    def profile_id(self) -> str:
        """The id, or a readable fallback derived from kind and name."""
        kind: str = getattr(self, "kind", "profile")
        return self.id or f"{kind}:{self.name}"


class GeneralUser(ProfileBase):
    """The default user: an average member of the population, nothing distinguishing."""

    kind: Literal["general"] = "general"
    template: str = "profile/general"


class Persona(ProfileBase):
    """A persona Ψ = {ψ_1..ψ_m}: typed demographics, interests, values, Big Five / HEXACO scores,
    behaviour knobs, and free ``attributes`` for anything else."""

    kind: Literal["persona"] = "persona"
    template: str = "profile/persona"
    description: str | None = None
    demographics: Demographics = Field(default_factory=Demographics)
    interests: list[str] = Field(default_factory=list)
    values: list[str] = Field(default_factory=list)
    big_five: BigFive | None = None
    hexaco: Hexaco | None = None
    behaviour: Behaviour = Field(default_factory=Behaviour)
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)

    def behaviour_lines(self) -> list[str]:
        """The behaviour knobs as instructions (used by the persona template)."""
        return describe_behaviour(self.behaviour)
