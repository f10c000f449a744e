"""Individuals grounded in their own history (survey §3.4): facts, style exemplars, memories."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulacra.profiles._kinds import ProfileBase

__all__ = ["Individual", "Memory", "MemoryKind", "Retrieval"]

MemoryKind = Literal["fact", "preference", "event", "note"]
Retrieval = Literal["bm25", "embedding", "none"]


class Memory(BaseModel):
    """One thing the individual remembers, kept by cross-session consolidation.

    Attributes:
        id: Stable id within the individual (``m1``, ``m2`` ...), recorded on turns that used it.
        text: The memory in the person's own words (after PII redaction).
        kind: ``fact`` (who they are), ``preference`` (likes, dislikes), ``event`` (something
            that happened) or ``note`` (a paragraph from their documents).
        key: The subject the memory is about (``"lives_in"``, ``"likes:jazz"``); memories with
            the same key supersede each other during consolidation. ``None`` for free text.
        value: The value for ``key`` (``"Porto"``), when the extractor found one.
        session: The session the memory came from.
        timestamp: When it was said, as written in the source (ISO 8601 sorts correctly).
        importance: In [0, 1]; the capacity limit forgets the least important first.
        superseded: Earlier values of this key, oldest first (kept by UPDATE operations).
        source: Where it came from (``file:line``), never the original unredacted text.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    text: str
    kind: MemoryKind = "fact"
    key: str | None = None
    value: str | None = None
    session: str | None = None
    timestamp: str | None = None
    importance: float = Field(default=0.5, ge=0.0, le=1.0)
    superseded: list[str] = Field(default_factory=list)
    source: str | None = None


class Individual(ProfileBase):
    """A real individual, grounded in their own facts, past messages and memories.

    Attributes:
        facts: Short statements about the person, shown in every prompt.
        history: Excerpts of the person's own past messages, oldest first (style exemplars).
        memories: Consolidated memories; the ones relevant to the current turn are retrieved
            and shown in the prompt (see ``retrieval``).
        retrieval: How memories are retrieved each turn: ``"bm25"`` (needs the ``memory``
            extra), ``"embedding"`` (needs the ``embeddings`` extra) or ``"none"``.
        memory_k: How many memories are retrieved per turn.
    """

    kind: Literal["individual"] = "individual"
    template: str = "profile/individual"
    facts: list[str] = Field(default_factory=list)
    history: list[str] = Field(default_factory=list)
    """Excerpts of the person's own past messages, oldest first."""
    memories: list[Memory] = Field(default_factory=list)
    retrieval: Retrieval = "bm25"
    memory_k: int = Field(default=3, ge=1, le=50)

    @model_validator(mode="after")
    def _unique_memory_ids(self) -> Individual:
        seen: set[str] = set()
        for memory in self.memories:
            if memory.id in seen:
                raise ValueError(f"memories: duplicate id {memory.id!r}")
            seen.add(memory.id)
        return self
