"""Who is simulated (survey §3): the context Ψ_p of a simulated participant.

Four kinds, as data (first cut; a later issue deepens each):

- :class:`GeneralUser` — Ψ^default, no distinguishing attributes (§3.1);
- :class:`Persona` — a set of attributes ψ_1..ψ_m (§3.2);
- :class:`RolePlay` — an identity handle h plus an optional character card (§3.3);
- :class:`Individual` — grounded in one person's own history H_p (§3.4).

Each profile names the versioned prompt template that renders it (``template``), so prompts can
change without changing data. :data:`Profile` is the discriminated union (field ``kind``).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.profiles._persona import (
    Behaviour,
    BigFive,
    Demographics,
    Hexaco,
    describe_behaviour,
)
from simulacra.profiles._population import (
    AttributeSpec,
    PopulationSpec,
    persona_paths,
    population_stats,
    sample_population,
)

__all__ = [
    "AttributeSpec",
    "AttributeValue",
    "Behaviour",
    "BigFive",
    "Demographics",
    "GeneralUser",
    "Hexaco",
    "Individual",
    "Persona",
    "PopulationSpec",
    "Profile",
    "RolePlay",
    "describe_behaviour",
    "persona_paths",
    "population_stats",
    "sample_population",
]

AttributeValue = str | int | float | bool | list[str]


class _ProfileBase(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    """Stable id of the profile within a population (used in work-item ids)."""
    name: str = "User"
    """Display name in transcripts."""

    def profile_id(self) -> str:
        """The id, or a readable fallback derived from kind and name."""
        kind: str = getattr(self, "kind", "profile")
        return self.id or f"{kind}:{self.name}"


class GeneralUser(_ProfileBase):
    """The default user: an average member of the population, nothing distinguishing."""

    kind: Literal["general"] = "general"
    template: str = "profile/general"


class Persona(_ProfileBase):
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


class RolePlay(_ProfileBase):
    """A role-play character: an identity handle (e.g. "Ada Lovelace in 1843") plus a card."""

    kind: Literal["roleplay"] = "roleplay"
    template: str = "profile/roleplay"
    handle: str
    card: str | None = None
    speech_style: str | None = None


class Individual(_ProfileBase):
    """A real individual, grounded in their own facts and history."""

    kind: Literal["individual"] = "individual"
    template: str = "profile/individual"
    facts: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    """Excerpts of the person's own past messages, oldest first."""


Profile = Annotated[
    GeneralUser | Persona | RolePlay | Individual,
    Field(discriminator="kind"),
]
