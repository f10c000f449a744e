"""Individuals grounded in their own history (survey §3.4)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulacra.profiles._kinds import ProfileBase

__all__ = ["Individual"]


class Individual(ProfileBase):
    """A real individual, grounded in their own facts and history."""

    kind: Literal["individual"] = "individual"
    template: str = "profile/individual"
    facts: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    """Excerpts of the person's own past messages, oldest first."""
