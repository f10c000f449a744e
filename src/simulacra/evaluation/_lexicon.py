"""The words a role-play character cannot use: anachronism families (package data) and each
character's lexicon (unknown topics, families after its cutoff, catchphrases)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources

import yaml

from simulacra.profiles import RolePlay
from simulacra.profiles._roleplay import name_from_handle, topic_key

__all__ = ["AnachronismFamily", "Lexicon", "anachronism_families", "lexicon"]


@dataclass(frozen=True)
class AnachronismFamily:
    """A family of things unknown before a year (e.g. ``computers``, 1946).

    Attributes:
        name: Family name.
        year: Earliest year it was publicly known.
        probe: A noun phrase to ask about it ("electronic computers").
        terms: The words that name it.
    """

    name: str
    year: int
    probe: str
    terms: tuple[str, ...]


@functools.cache
def anachronism_families() -> tuple[AnachronismFamily, ...]:
    """The shipped anachronism families, oldest first."""
    text = resources.files("simulacra.evaluation").joinpath("data/anachronisms.yaml").read_text()
    data = yaml.safe_load(text)
    families = [
        AnachronismFamily(f["name"], int(f["year"]), f["probe"], tuple(f["terms"]))
        for f in data["families"]
    ]
    return tuple(sorted(families, key=lambda f: f.year))


def _term_pattern(terms: Iterable[str]) -> re.Pattern[str]:
    alternatives = []
    for term in sorted(set(terms), key=len, reverse=True):
        words = term.lower().split()
        if words:
            alternatives.append(r"[\s\-]+".join(re.escape(w) for w in words))
    return re.compile(rf"\b(?:{'|'.join(alternatives)})(?:s|es|'s|’s)?\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Topic:
    name: str
    why: str
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class Lexicon:
    topics: tuple[_Topic, ...]
    cutoff: int | None
    catchphrases: tuple[tuple[str, re.Pattern[str]], ...]
    self_reference: re.Pattern[str]


def _user_topic_terms(topic: str) -> list[str]:
    text = re.sub(r"^(the|a|an)\s+", "", " ".join(topic.lower().split()))
    key = topic_key(topic)
    return [text, key] if key != text else [text]


def _family_for(topic: str) -> AnachronismFamily | None:
    key = topic_key(topic)
    for family in anachronism_families():
        if key == topic_key(family.name) or key in {topic_key(t) for t in family.terms}:
            return family
    return None


@functools.lru_cache(maxsize=256)
def _lexicon_for(profile_json: str) -> Lexicon:
    profile = RolePlay.model_validate_json(profile_json)
    boundary = profile.boundary_or_empty()
    year = boundary.cutoff_year
    known = {topic_key(t) for t in boundary.known_topics}
    topics: list[_Topic] = []
    used: set[str] = set()

    def add(key: str, name: str, why: str, terms: Iterable[str]) -> None:
        kept = [t for t in terms if topic_key(t) not in known]
        if kept and key not in used:
            used.add(key)
            topics.append(_Topic(name, why, _term_pattern(kept)))

    for topic in boundary.unknown_topics:
        family = _family_for(topic)
        # A topic brings its family's synonyms only when the whole family is unknown: "jet
        # engines" must not make a 1924 captain's "aircraft" an anachronism.
        if family is not None and (year is None or family.year > year):
            terms = [*family.terms, *_user_topic_terms(topic)]
            add(family.name, topic, f"unknown topic {topic!r}", terms)
        else:
            add(topic_key(topic), topic, f"unknown topic {topic!r}", _user_topic_terms(topic))
    if year is not None:
        for family in anachronism_families():
            if family.year > year:
                why = f"{family.name} ({family.year}) is after the cutoff {year}"
                add(family.name, family.name, why, family.terms)
    phrases = tuple(
        (c, re.compile(r"[\s\W]+".join(re.escape(w) for w in c.lower().split()), re.IGNORECASE))
        for c in (profile.card.catchphrases if profile.card else [])
    )
    return Lexicon(tuple(topics), year, phrases, _self_reference(profile))


def _self_reference(profile: RolePlay) -> re.Pattern[str]:
    """ "As Ada Lovelace, I..." / "as I'm Mozart, I...": the speaker sets itself apart from the
    character it plays (a fourth-wall break typical of chat models asked to role-play)."""
    names = {profile.name.strip(), name_from_handle(profile.handle)}
    names |= {n.split()[-1] for n in list(names) if len(n.split()) > 1}
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True) if n)
    return re.compile(rf"\bas (?:i'm |i am )?(?:{alternatives}),", re.IGNORECASE)


def lexicon(profile: RolePlay) -> Lexicon:
    return _lexicon_for(profile.model_dump_json())
