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

__all__ = [
    "AttributeValue",
    "GeneralUser",
    "Individual",
    "Persona",
    "Profile",
    "RolePlay",
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
    """A persona: explicit attributes (demographics, interests, style)."""

    kind: Literal["persona"] = "persona"
    template: str = "profile/persona"
    description: str | None = None
    attributes: dict[str, AttributeValue] = Field(default_factory=dict)


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
