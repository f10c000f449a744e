"""Role-play characters (survey §3.3)."""

from __future__ import annotations

from typing import Literal

from simulacra.profiles._kinds import ProfileBase

__all__ = ["RolePlay"]


class RolePlay(ProfileBase):
    """A role-play character: an identity handle (e.g. "Ada Lovelace in 1843") plus a card."""

    kind: Literal["roleplay"] = "roleplay"
    template: str = "profile/roleplay"
    handle: str
    card: str | None = None
    speech_style: str | None = None
