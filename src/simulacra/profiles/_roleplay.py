"""Role-play characters (survey §3.3): an identity handle, a character card, a knowledge boundary.

A role-play profile conditions the model on an identity handle ``h`` ("Ada Lovelace in 1843") and
relies on what the model already knows about it. The optional :class:`CharacterCard` adds explicit
facts in the style of CharacterLLM / RoleLLM profiles and ChatHaruhi dialogue exemplars; the
optional :class:`KnowledgeBoundary` says what the character cannot know (everything after a
``cutoff``, named ``unknown_topics``) and how it reacts when asked (``on_unknown``). The boundary is
rendered into the prompt by ``profile/roleplay`` and checked afterwards by
:func:`simulacra.evaluation.check_consistency`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulacra.profiles._kinds import ProfileBase

__all__ = [
    "CharacterCard",
    "ExampleLine",
    "KnowledgeBoundary",
    "RolePlay",
    "name_from_handle",
    "topic_key",
]

_ARTICLE = re.compile(r"^(the|a|an)\s+", re.IGNORECASE)


def topic_key(topic: str) -> str:
    """A topic normalised for comparison: lower case, no leading article, no plural ``s``.

    >>> topic_key("The Computers")
    'computer'
    """
    key = _ARTICLE.sub("", " ".join(topic.lower().split()))
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ExampleLine(_Strict):
    """A dialogue exemplar (ChatHaruhi style): something the character says, optionally in reply
    to a line of someone else. A plain string is accepted as ``{line: ...}``.

    Attributes:
        line: What the character says, in its own voice.
        prompt: What it answers (another speaker's line), if any.
    """

    line: str = Field(min_length=1)
    prompt: str | None = None


class CharacterCard(_Strict):
    """Explicit facts about a character (every field optional). A plain string is accepted as
    the ``biography`` (the free-text card of earlier versions).

    Attributes:
        biography: Who the character is: life, situation, what they are known for.
        personality: Short personality notes ("curious", "proud of her father's fame").
        catchphrases: Phrases the character uses often (their use is measured, not enforced).
        relationships: Other people, by name, and what they are to the character.
        example_lines: Dialogue exemplars of the character's voice.
    """

    biography: str | None = None
    personality: list[str] = Field(default_factory=list)
    catchphrases: list[str] = Field(default_factory=list)
    relationships: dict[str, str] = Field(default_factory=dict)
    example_lines: list[ExampleLine] = Field(default_factory=list)

    @field_validator("example_lines", mode="before")
    @classmethod
    def _plain_lines(cls, value: object) -> object:
        if isinstance(value, list):
            return [{"line": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("personality", "catchphrases")
    @classmethod
    def _no_blank_items(cls, value: list[str]) -> list[str]:
        if any(not v.strip() for v in value):
            raise ValueError("items must not be empty")
        return value


class KnowledgeBoundary(_Strict):
    """What the character cannot know, and how it reacts when asked.

    Attributes:
        cutoff: A year (``1843``) or date (``1843-07-01``): the character knows nothing after it.
        unknown_topics: Things the character cannot know ("computers", "the internet"). Common
            anachronism families after the cutoff are added by the checker on its own.
        known_topics: Words the character does know, even if they look modern: the checker never
            flags them (e.g. "computer" for a 19th-century character, for whom a computer was a
            person who computes) and the probes skip their families.
        on_unknown: ``decline`` (say plainly, in character, that it does not know) or ``deflect``
            (show puzzlement in character and steer back to its own world).
    """

    cutoff: int | dt.date | None = None
    unknown_topics: list[str] = Field(default_factory=list)
    known_topics: list[str] = Field(default_factory=list)
    on_unknown: Literal["decline", "deflect"] = "decline"

    @field_validator("cutoff")
    @classmethod
    def _not_in_the_future(cls, value: int | dt.date | None) -> int | dt.date | None:
        if value is None:
            return value
        year = value if isinstance(value, int) else value.year
        now = dt.date.today().year
        if year > now:
            raise ValueError(
                f"{value} is in the future: nothing after it exists yet to be unknown; "
                "leave cutoff out and list unknown_topics instead"
            )
        return value

    @field_validator("unknown_topics", "known_topics")
    @classmethod
    def _no_blank_topics(cls, value: list[str]) -> list[str]:
        if any(not topic_key(v) for v in value):
            raise ValueError("topics must not be empty")
        return value

    @model_validator(mode="after")
    def _disjoint(self) -> KnowledgeBoundary:
        unknown = {topic_key(t) for t in self.unknown_topics}
        for topic in self.known_topics:
            if topic_key(topic) in unknown:
                raise ValueError(
                    f"known_topics: {topic!r} is also in unknown_topics; keep it in one of them"
                )
        return self

    @property
    def cutoff_year(self) -> int | None:
        """The cutoff as a year (a date's year), or ``None``."""
        if self.cutoff is None:
            return None
        return self.cutoff if isinstance(self.cutoff, int) else self.cutoff.year

    def is_empty(self) -> bool:
        """Whether the boundary says nothing (no cutoff and no topics)."""
        return self.cutoff is None and not self.unknown_topics and not self.known_topics


_NAME_CUT = re.compile(r"\s+(?:in|at|during)\s+|,|\s\(")


def name_from_handle(handle: str) -> str:
    """The person in an identity handle: the handle up to " in ", " at ", " during ", a comma or a
    bracket ("Ada Lovelace in 1843" → "Ada Lovelace"; "Captain Hollis, master of..." → "Captain
    Hollis")."""
    return _NAME_CUT.split(handle, maxsplit=1)[0].strip() or handle


class RolePlay(ProfileBase):
    """A role-play character: an identity handle (e.g. "Ada Lovelace in 1843") plus an optional
    character card and knowledge boundary.

    Attributes:
        handle: The identity handle the model conditions on.
        card: Explicit facts (a :class:`CharacterCard`; a string is taken as its biography).
        speech_style: How the character speaks.
        boundary: What the character cannot know, and how it reacts when asked.
        name: Display name; defaults to the handle up to " in ", " at ", " during ", a comma or a
            bracket ("Ada Lovelace in 1843" → "Ada Lovelace").
    """

    kind: Literal["roleplay"] = "roleplay"
    template: str = "profile/roleplay"
    handle: str
    card: CharacterCard | None = None
    speech_style: str | None = None
    boundary: KnowledgeBoundary | None = None

    @field_validator("handle")
    @classmethod
    def _handle_not_empty(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            raise ValueError("must not be empty: name who is played, e.g. 'Ada Lovelace in 1843'")
        return value

    @field_validator("card", mode="before")
    @classmethod
    def _free_text_card(cls, value: object) -> object:
        if isinstance(value, str):
            return {"biography": value} if value.strip() else None
        return value

    @model_validator(mode="after")
    def _default_name(self) -> RolePlay:
        if "name" not in self.model_fields_set:
            self.name = name_from_handle(self.handle)
        return self

    def boundary_or_empty(self) -> KnowledgeBoundary:
        """The knowledge boundary, or an empty one."""
        return self.boundary or KnowledgeBoundary()
