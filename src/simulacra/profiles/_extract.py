"""Heuristic extraction of facts, preferences and events from a person's own messages.

Patterns (English, first person, one sentence at a time):

========================================  ==========  =======================
pattern                                   kind        key
========================================  ==========  =======================
I live in X / I'm living in X / I moved   fact        ``lives_in``
to X
I work as (a/an) X / my job is X          fact        ``occupation``
I work at/for X                           fact        ``works_at``
I am / I'm a(n) X                         fact        ``is:X``
I have a(n) X / I've got a(n) X           fact        ``has:X``
my X is Y                                 fact        ``my:X``
I like/love/enjoy/adore X                 preference  ``likes:X`` (value likes)
I hate/dislike/can't stand/don't like X   preference  ``likes:X`` (value dislikes)
I went/visited/bought/started/... X       event       none
========================================  ==========  =======================

Negations become *forget* candidates (consolidated as DELETE): "I no longer live in X", "I don't
live in X anymore", "I'm not a X anymore", "I no longer like X", "I stopped liking X", "I don't
have a X anymore", "I quit my job".

Limits, honestly: only these surface forms are recognised; third-person statements, irony,
hypotheticals ("if I lived in Porto") and quotations are taken at face value or missed; ``X`` is
cut at the first clause boundary (comma, "and", "but", "because"), so "I like cats and dogs" yields
"cats"; negation of preferences ("I don't like X") is a dislike, not a forget, unless it ends with
"anymore". Messages that match no pattern still serve as style exemplars (``history``).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.profiles._individual import MemoryKind

__all__ = ["MemoryCandidate", "extract_candidates", "split_sentences"]

_IMPORTANCE: dict[str, float] = {"fact": 0.8, "preference": 0.6, "event": 0.4, "note": 0.3}


class MemoryCandidate(BaseModel):
    """Something a message says about the person, before consolidation.

    Attributes:
        op: ``assert`` (it holds) or ``forget`` (it no longer holds).
        text: The sentence, as written (redacted).
        kind: The memory kind.
        key: The consolidation key, if any.
        value: The value for ``key``.
        session: Session id.
        timestamp: When it was said.
        source: ``file:line``.
        importance: In [0, 1].
    """

    model_config = ConfigDict(extra="forbid")

    op: Literal["assert", "forget"] = "assert"
    text: str
    kind: MemoryKind = "fact"
    key: str | None = None
    value: str | None = None
    session: str | None = None
    timestamp: str | None = None
    source: str | None = None
    importance: float = Field(default=0.5, ge=0.0, le=1.0)


_STOPS = (
    "and|but|because|since|so|which|who|that|with|now|these days|anymore|any more|last|this|"
    "next|yesterday|today|recently|ago|for|in|on|at|near|called|named|when|where|while|though"
)
_END = rf"(?=\s*(?:,|;|\.|!|\?|$|\s+(?:{_STOPS})\b))"
_X = r"(?P<x>[^,;.!?]+?)"
_A = r"(?:a|an)\s+"
_IM = r"(?:I am|I'm|Im|I`m)"
_ANYMORE = r"(?:\s+(?:anymore|any more))"

_FORGET: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\bI (?:no longer|don't|do not) live in {_X}{_END}", re.I), "lives_in"),
    (re.compile(rf"\bI moved (?:out of|away from) {_X}{_END}", re.I), "lives_in"),
    (
        re.compile(rf"\bI (?:no longer|don't|do not) work (?:as|at|for) (?:{_A})?{_X}{_END}", re.I),
        "job",
    ),
    (re.compile(r"\bI (?:quit|left|lost) my job\b", re.I), "job"),
    (re.compile(rf"\b{_IM} (?:no longer|not) {_A}{_X}{_END}", re.I), "is"),
    (re.compile(rf"\bI (?:no longer|don't|do not) (?:like|love|enjoy) {_X}{_END}", re.I), "likes"),
    (re.compile(rf"\bI stopped (?:liking|loving|enjoying) {_X}{_END}", re.I), "likes"),
    (re.compile(rf"\bI (?:no longer|don't|do not) have {_A}{_X}{_END}", re.I), "has"),
]
_ASSERT: list[tuple[re.Pattern[str], MemoryKind, str]] = [
    (
        re.compile(rf"\bI (?:live|am living|'m living|moved) (?:in|to) {_X}{_END}", re.I),
        "fact",
        "lives_in",
    ),
    (re.compile(rf"\bI work as (?:{_A})?{_X}{_END}", re.I), "fact", "occupation"),
    (re.compile(rf"\bmy job is (?:(?:being )?{_A})?{_X}{_END}", re.I), "fact", "occupation"),
    (re.compile(rf"\bI work (?:at|for) {_X}{_END}", re.I), "fact", "works_at"),
    (re.compile(rf"\b{_IM} {_A}{_X}{_END}", re.I), "fact", "is"),
    (re.compile(rf"\bI (?:have|'ve got|have got) {_A}{_X}{_END}", re.I), "fact", "has"),
    (re.compile(rf"\bmy (?P<k>[\w' ]{{2,30}}?) is {_X}{_END}", re.I), "fact", "my"),
    (
        re.compile(
            rf"\bI (?:really |also |absolutely )?(?:like|love|enjoy|adore) {_X}{_END}", re.I
        ),
        "preference",
        "likes",
    ),
    (
        re.compile(
            r"\bI (?:really )?(?:hate|dislike|can't stand|cannot stand|don't like|do not like"
            rf"|detest) {_X}{_END}",
            re.I,
        ),
        "preference",
        "dislikes",
    ),
    (
        re.compile(
            r"\bI (?:went|visited|bought|started|finished|met|got|moved|adopted|travelled"
            r"|traveled|graduated)\b",
            re.I,
        ),
        "event",
        "event",
    ),
]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(\[])|\n+")
_HYPOTHETICAL = re.compile(r"\b(?:if|would|wish|maybe|perhaps|might)\b", re.I)


def split_sentences(text: str) -> list[str]:
    """Split a message into sentences (on ``.!?`` followed by a capital, and on newlines)."""
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def _norm(value: str) -> str:
    value = re.sub(r"^(?:the|a|an|my)\s+", "", value.strip(), flags=re.I)
    return " ".join(value.split()).strip(" \"'")


def _slug(value: str) -> str:
    return re.sub(r"[^\w]+", "_", value.casefold()).strip("_")


def _forget(sentence: str, **where: str | None) -> MemoryCandidate | None:
    for pattern, family in _FORGET:
        match = pattern.search(sentence)
        if match is None:
            continue
        if (
            family == "likes"
            and "don" in match.group(0).lower()
            and not re.search(_ANYMORE, sentence, re.I)
        ):
            return None  # "I don't like X" is a dislike, not a forget
        x = _norm(match.group("x")) if "x" in pattern.groupindex else None
        key = {
            "lives_in": "lives_in",
            "job": "occupation",
            "is": f"is:{_slug(x or '')}",
            "likes": f"likes:{_slug(x or '')}",
            "has": f"has:{_slug(x or '')}",
        }[family]
        value = x if family in ("lives_in", "job") else None
        return MemoryCandidate(op="forget", text=sentence, key=key, value=value, **where)
    return None


def extract_candidates(
    text: str,
    *,
    session: str | None = None,
    timestamp: str | None = None,
    source: str | None = None,
) -> list[MemoryCandidate]:
    """The memory candidates in one of the person's messages (see the module docstring)."""
    where = {"session": session, "timestamp": timestamp, "source": source}
    out: list[MemoryCandidate] = []
    for sentence in split_sentences(text):
        if len(sentence) > 300 or "?" in sentence:
            continue  # questions and long rambles say little reliable about the speaker
        forgotten = _forget(sentence, **where)
        if forgotten is not None:
            out.append(forgotten)
            continue
        if _HYPOTHETICAL.search(sentence):
            continue
        found: list[MemoryCandidate] = []
        for pattern, kind, family in _ASSERT:
            match = pattern.search(sentence)
            if match is None:
                continue
            importance = _IMPORTANCE[kind]
            if family == "event":
                if not found:
                    found.append(
                        MemoryCandidate(text=sentence, kind="event", importance=importance, **where)
                    )
                continue
            x = _norm(match.group("x"))
            if not x or len(x.split()) > 8:
                continue
            if family in ("likes", "dislikes"):
                key, value = f"likes:{_slug(x)}", family
            elif family in ("is", "has"):
                key, value = f"{family}:{_slug(x)}", x
            elif family == "my":
                key, value = f"my:{_slug(match.group('k'))}", x
            else:
                key, value = family, x
            if all(c.key != key for c in found):
                found.append(
                    MemoryCandidate(
                        text=match.group(0),
                        kind=kind,
                        key=key,
                        value=value,
                        importance=importance,
                        **where,
                    )
                )
        if len(found) == 1:  # one statement: keep the whole sentence, it carries the nuance
            found[0] = found[0].model_copy(update={"text": sentence})
        out.extend(found)
    return out
