"""The typed persona schema (survey §3.2, Appendix B.2): demographics, psychometrics, values and
the behaviour knobs that change how a simulated user talks."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Behaviour",
    "BigFive",
    "Demographics",
    "Hexaco",
    "describe_behaviour",
    "terse_word_budget",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Demographics(_Strict):
    """Who the persona is, demographically. Every field is optional."""

    age: int | None = Field(default=None, ge=0, le=120)
    gender: str | None = None
    location: str | None = None
    occupation: str | None = None
    education: str | None = None
    language: str | None = None


_Score = Field(default=None, ge=1.0, le=5.0)


class BigFive(_Strict):
    """Big Five trait scores on the 1–5 scale of IPIP inventories (mean item score)."""

    openness: float | None = _Score
    conscientiousness: float | None = _Score
    extraversion: float | None = _Score
    agreeableness: float | None = _Score
    neuroticism: float | None = _Score


class Hexaco(_Strict):
    """HEXACO trait scores on the 1–5 scale."""

    honesty_humility: float | None = _Score
    emotionality: float | None = _Score
    extraversion: float | None = _Score
    agreeableness: float | None = _Score
    conscientiousness: float | None = _Score
    openness: float | None = _Score


_Knob = Field(default=None, ge=0.0, le=1.0)


class Behaviour(_Strict):
    """Knobs that change how the simulated user talks, each in [0, 1] (``None``: unspecified).

    ``typo_rate`` and ``dropout`` are also applied mechanically by
    :class:`~simulacra.participants.PromptedUser` (seeded), so they take effect even on models
    that ignore the instruction.
    """

    verbosity: float | None = _Knob
    politeness: float | None = _Knob
    patience: float | None = _Knob
    cooperativeness: float | None = _Knob
    expertise: float | None = _Knob
    typo_rate: float | None = _Knob
    slang_rate: float | None = _Knob
    dropout: float | None = _Knob
    """Probability of leaving the conversation after each of the user's turns."""
    emotional_state: (
        Literal["calm", "happy", "anxious", "frustrated", "angry", "sad", "confused"] | None
    ) = None


def _level(value: float, low: str, mid: str, high: str) -> str:
    return low if value < 0.34 else (mid if value < 0.67 else high)


def terse_word_budget(verbosity: float) -> int:
    """The most words a user of this ``verbosity`` writes when it is terse (below 1/3): the
    number the persona's instructions state and the simulated users enforce."""
    return round(6 + verbosity * 30)


def describe_behaviour(b: Behaviour) -> list[str]:
    """Plain-language instructions for the knobs that are set."""
    out: list[str] = []
    if b.verbosity is not None:
        budget = terse_word_budget(b.verbosity)
        out.append(
            _level(
                b.verbosity,
                f"You write very short messages: at most {budget} words, one sentence, "
                "no greeting.",
                "You write messages of one or two sentences.",
                "You write long, detailed messages: at least four full sentences, explaining your "
                "situation and background even when a short answer would do.",
            )
        )
    if b.politeness is not None:
        out.append(
            _level(
                b.politeness,
                "You are blunt and never say please or thank you.",
                "You are ordinarily polite.",
                "You are very polite and courteous.",
            )
        )
    if b.patience is not None:
        out.append(
            _level(
                b.patience,
                "You are impatient: you complain quickly when things take long.",
                "You are reasonably patient.",
                "You are very patient.",
            )
        )
    if b.cooperativeness is not None:
        out.append(
            _level(
                b.cooperativeness,
                "You are unhelpful: you answer questions only partly and change your mind.",
                "You answer the assistant's questions when asked.",
                "You volunteer every detail the assistant may need.",
            )
        )
    if b.expertise is not None:
        out.append(
            _level(
                b.expertise,
                "You know little about the topic and use no technical terms.",
                "You know the basics of the topic.",
                "You are an expert on the topic and use its technical terms.",
            )
        )
    if b.typo_rate is not None and b.typo_rate > 0.05:
        out.append("You type quickly and make typos.")
    if b.slang_rate is not None:
        out.append(
            _level(
                b.slang_rate,
                "You write in standard language.",
                "You sometimes use informal words and abbreviations.",
                "You write in heavy slang and text-speak (u, pls, tbh).",
            )
        )
    if b.emotional_state is not None:
        out.append(f"Right now you feel {b.emotional_state}.")
    return out
