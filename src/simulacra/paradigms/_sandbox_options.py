"""The ``paradigm: {type: sandbox, ...}`` section of a run config."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from simulacra.paradigms._registry import ParadigmOptions
from simulacra.profiles import Profile

__all__ = ["PlanItem", "SandboxAgent", "SandboxOptions", "ScheduledEncounter"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PlanItem(_Strict):
    """One entry of an agent's plan for the day: at ``hour``, be at ``location`` doing
    ``activity``."""

    hour: int = Field(ge=0, le=47)
    location: str
    activity: str = ""


class SandboxAgent(_Strict):
    """One agent of the sandbox.

    Attributes:
        id: Unique among the agents (default: the profile name, lower-cased, spaces as ``_``).
        profile: Who the agent is (any profile kind; its ``name`` is the agent's name).
        location: Where the agent is at the first step (one of the sandbox's locations).
        memories: Seed facts of its memory stream ("I run the bakery on Main Street").
        plan: A plan for the day to start from instead of asking the model for one.
    """

    id: str | None = None
    profile: Profile
    location: str
    memories: list[str] = Field(default_factory=list)
    plan: list[PlanItem] | None = None

    @property
    def agent_id(self) -> str:
        """The id, or one derived from the profile name."""
        return self.id or re.sub(r"\W+", "_", self.profile.name.strip().lower()).strip("_")


class ScheduledEncounter(_Strict):
    """Agents who meet at a given step (they go to ``location`` — default: where the first of
    them is — and talk)."""

    step: int = Field(ge=0)
    agents: list[str] = Field(min_length=2)
    location: str | None = None


class SandboxOptions(ParadigmOptions):
    """A small Smallville-style sandbox (Generative Agents): agents with memory streams, plans
    and reflection move between locations step by step and talk when they meet.

    Attributes:
        agents: The agents (at least 2; 3-5 is typical).
        locations: The places of the map.
        steps: Simulated steps (each one hour of the day, starting at ``start_hour``).
        start_hour: The hour of the first step.
        model: The model role that plays the agents (dialogue, plans, importance, reflection).
        dialogue_turns: Turns of each encounter's dialogue.
        encounter_chance: Probability, per location and step, that two agents who are there
            meet by chance (seeded: the same work item meets the same way).
        encounters: Encounters that happen whatever the plans say.
        importance: ``heuristic`` (no model call) or ``model`` (a 1-10 rating, JSON-constrained).
        relevance: ``bm25`` (lexical) or ``embedding`` (MiniLM cosine).
        memory_k: Memories retrieved into each prompt.
        alpha: Weight of recency in the retrieval score.
        beta: Weight of importance.
        gamma: Weight of relevance.
        decay: Recency decay per step since a memory was last retrieved.
        reflection_threshold: Reflect once the importance of the memories made since the last
            reflection reaches this (``None``: never).
        reflection_questions: Salient questions per reflection (one insight each).
        reflection_recent: Recent memories the questions are asked about.
        plan_max_tokens: Token limit of plan calls (default: the model's ``max_tokens``).
        reflection_max_tokens: Token limit of reflection calls (default: the model's).
    """

    agents: list[SandboxAgent]
    locations: list[str] = Field(min_length=1)
    steps: int = Field(default=4, ge=1, le=1000)
    start_hour: int = Field(default=9, ge=0, le=23)
    model: str = "agent"
    dialogue_turns: int = Field(default=4, ge=1)
    encounter_chance: float = Field(default=0.5, ge=0.0, le=1.0)
    encounters: list[ScheduledEncounter] = Field(default_factory=list)
    importance: Literal["heuristic", "model"] = "heuristic"
    relevance: Literal["bm25", "embedding"] = "bm25"
    memory_k: int = Field(default=4, ge=1)
    alpha: float = Field(default=1.0, ge=0.0)
    beta: float = Field(default=1.0, ge=0.0)
    gamma: float = Field(default=1.0, ge=0.0)
    decay: float = Field(default=0.9, gt=0.0, le=1.0)
    reflection_threshold: int | None = Field(default=25, ge=1)
    reflection_questions: int = Field(default=2, ge=1, le=5)
    reflection_recent: int = Field(default=12, ge=1)
    plan_max_tokens: int | None = Field(default=None, ge=1)
    reflection_max_tokens: int | None = Field(default=None, ge=1)

    def model_roles(self) -> list[str]:
        """The model roles this paradigm calls."""
        return [self.model]

    def _location(self, field: str, name: str) -> None:
        if name not in self.locations:
            close = difflib.get_close_matches(name, self.locations, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            known = ", ".join(self.locations)
            raise ValueError(f"{field}: unknown location {name!r}{hint}; known: {known}")

    @model_validator(mode="after")
    def _consistent(self) -> SandboxOptions:
        if len(self.agents) < 2:
            raise ValueError(f"agents: a sandbox needs at least 2 agents, got {len(self.agents)}")
        dupes = sorted(i for i, n in Counter(self.locations).items() if n > 1)
        if dupes:
            raise ValueError(f"locations: duplicate location(s) {', '.join(dupes)}")
        ids = [a.agent_id for a in self.agents]
        dupes = sorted(i for i, n in Counter(ids).items() if n > 1)
        if dupes:
            raise ValueError(f"agents: duplicate agent id(s) {', '.join(dupes)}; give each an 'id'")
        for i, agent in enumerate(self.agents):
            self._location(f"agents.{i}.location", agent.location)
            for j, item in enumerate(agent.plan or []):
                self._location(f"agents.{i}.plan.{j}.location", item.location)
        for i, enc in enumerate(self.encounters):
            unknown = [a for a in enc.agents if a not in ids]
            if unknown:
                known = ", ".join(ids)
                raise ValueError(
                    f"encounters.{i}.agents: unknown agent {unknown[0]!r}; known: {known}"
                )
            if len(set(enc.agents)) != len(enc.agents):
                raise ValueError(f"encounters.{i}.agents: an agent is listed twice")
            if enc.step >= self.steps:
                raise ValueError(
                    f"encounters.{i}.step: {enc.step} is past the last step ({self.steps - 1})"
                )
            if enc.location is not None:
                self._location(f"encounters.{i}.location", enc.location)
            if any(
                e.step == enc.step and set(e.agents) & set(enc.agents) for e in self.encounters[:i]
            ):
                raise ValueError(
                    f"encounters.{i}.agents: an agent already meets someone else at step {enc.step}"
                )
        return self
