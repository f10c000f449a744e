"""Turn-level behaviour markers of a user, the same for real and simulated users: very short
turns, politeness, questions to the other side, clarification requests, the other side's errors
or refusals and the user's reaction to them, and when the items of a structured goal are first
said. Read by the behavioural fingerprint (:mod:`simulacra.evaluation._fingerprint`) and by
profile mining (:mod:`simulacra.profiles._mine`), so both measure one thing.

Every marker is an English word list or pattern: plain, inspectable and cheap, and blind to what
a list does not name (a polite turn without any of its words is not counted)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

__all__ = [
    "SHORT_WORDS",
    "first_mentions",
    "goal_items",
    "is_clarification",
    "is_polite",
    "is_question",
    "is_short",
    "is_system_trouble",
    "reaction",
    "surface_text",
    "words",
]

SHORT_WORDS = 3
"""A turn of at most this many words is "very short"."""

_WORD = re.compile(r"\w+(?:'\w+)?")
_SPACED_PUNCT = re.compile(r"\s+([.,!?;:%)])")
_SPACED_CLITIC = re.compile(r"\s+(n't|'s|'m|'re|'ll|'d|'ve)\b", re.IGNORECASE)
_POLITE = re.compile(
    r"\b(please|pls|plz|thank|thanks|thankyou|thx|ty|cheers|appreciate[ds]?|kindly|sorry|"
    r"excuse me|pardon me|would you mind|grateful|much obliged|you'?re welcome)\b"
)
_QUESTION_START = re.compile(
    r"^(?:and |so |ok(?:ay)?,? |also,? )?(what|which|where|when|how|who|whom|whose|why|is|are|"
    r"was|were|do|does|did|can|could|would|will|should|shall|may|have|has|any)\b"
)
_CLARIFY = re.compile(
    r"(what do you mean|what does that mean|do you mean|did you mean|you mean\b|"
    r"(?:could|can|would) you (?:please )?(?:repeat|clarify|explain|rephrase)|say that again|"
    r"come again|pardon\??$|sorry\?|i don'?t (?:understand|follow|get it)|not sure what you mean|"
    r"what are you (?:talking|referring)|which one\??$|^what\?+$|^huh\??$|meaning\?$)"
)
_TROUBLE = re.compile(
    r"\b(sorry|unfortunately|i'?m afraid|apolog\w*|no (?:results?|match(?:es)?|availability|"
    r"rooms?|tables?|trains?|such)|there (?:are|is|were|was) no|nothing (?:available|matches)|"
    r"not (?:available|able|possible|find)|unavailable|unable|can(?:no|')t|couldn'?t|"
    r"fully booked|booked up|unsuccessful|failed|error|don'?t have (?:any|that)|"
    r"do not have (?:any|that))\b"
)
_NEGATIVE = re.compile(
    r"\b(ugh|annoying|annoyed|frustrat\w*|ridiculous|useless|terrible|seriously|come on|"
    r"not helpful|doesn'?t help|that'?s not what|that is not what|wrong|waste|forget it|"
    r"never ?mind|nevermind|unacceptable)\b"
)
_RETRY = re.compile(
    r"\b(how about|what about|instead|another|other|different|else|try|change|any (?:other|"
    r"in)|alternatively|then (?:i'?ll|let'?s|can))\b"
)
_ACCEPT = re.compile(
    r"^(?:ok(?:ay)?|fine|sure|alright|all right|no problem|that'?s (?:ok|okay|fine)|"
    r"oh(?: well)?|i see|understood|thanks?|thank you)\b"
)


def surface_text(text: str) -> str:
    """``text`` as a person types it: a corpus tokeniser's spacing undone ("4 stars ." →
    "4 stars.", "i do n't" → "i don't"); case, spelling and words stay as written. 94% of
    MultiWOZ 2.1's user turns were tokenised by the dataset's makers: left in, "I 'm" counts as
    two words and a reader (classifier or judge) tells any simulator from people by the spacing.
    The dialogues the markers read (:func:`simulacra.profiles._mine.user_dialogue`) pass
    through it, real and simulated alike."""
    text = _SPACED_PUNCT.sub(r"\1", " ".join(text.split()))
    return _SPACED_CLITIC.sub(r"\1", text)


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters, digits, inner apostrophes)."""
    return _WORD.findall(text.lower())


def is_short(text: str) -> bool:
    """At most :data:`SHORT_WORDS` words (an empty turn counts as short)."""
    return len(words(text)) <= SHORT_WORDS


def is_polite(text: str) -> bool:
    """Holds a politeness marker (please, thanks, sorry, would you mind...)."""
    return _POLITE.search(text.lower()) is not None


def is_question(text: str) -> bool:
    """Asks the other side something: a question mark, or a sentence that opens like a question
    (wh-word or auxiliary first)."""
    low = text.lower().strip()
    if "?" in low:
        return True
    sentences = re.split(r"(?<=[.!])\s+", low)
    return any(_QUESTION_START.match(s) and len(words(s)) >= 3 for s in sentences)


def is_clarification(text: str) -> bool:
    """Asks the other side to clarify or repeat itself (what do you mean, sorry?, which one?)."""
    return _CLARIFY.search(text.lower().strip()) is not None


def is_system_trouble(text: str) -> bool:
    """The other side reports an error, a failure or a refusal (sorry, no match, unable...)."""
    return _TROUBLE.search(text.lower()) is not None


def reaction(next_user_turn: str | None) -> str:
    """How the user met the other side's error or refusal: ``ended`` (no further user turn),
    ``negative`` (complains), ``clarify`` (asks what it means), ``retry`` (changes or rephrases
    the request), ``question``, ``accept`` (ok, thanks) or ``other`` — the first that applies."""
    if next_user_turn is None:
        return "ended"
    low = next_user_turn.lower().strip()
    if _NEGATIVE.search(low):
        return "negative"
    if is_clarification(low):
        return "clarify"
    if _RETRY.search(low):
        return "retry"
    if is_question(low):
        return "question"
    if _ACCEPT.match(low):
        return "accept"
    return "other"


def _normalise(text: str) -> str:
    return " " + " ".join(words(text)) + " "


def first_mentions(
    user_turns: Sequence[str], items: Iterable[tuple[str, str]]
) -> list[tuple[str, int]]:
    """For each goal item ``(slot, value)`` whose value the user said, the slot and the index of
    the user turn that first said it (whole words, case-insensitive); unsaid items are left out.
    Values of one or two characters (``1``, ``no``) are skipped: they match too much."""
    turns = [_normalise(t) for t in user_turns]
    out: list[tuple[str, int]] = []
    for slot, value in items:
        v = _normalise(value).strip()
        if len(v) < 3 or v in ("dontcare", "yes", "none"):
            continue
        for i, t in enumerate(turns):
            if f" {v} " in t:
                out.append((slot, i))
                break
    return out


def goal_items(task: object) -> list[tuple[str, str]]:
    """The items a structured goal (:class:`~simulacra.participants.TaskGoal`) asks the user to
    disclose: each domain's constraints and booking details, as ``(slot, value)``
    (``book people`` for a booking detail)."""
    out: list[tuple[str, str]] = []
    for d in getattr(task, "domains", None) or ():
        out += [(str(k), str(v)) for k, v in getattr(d, "inform", {}).items()]
        book = getattr(d, "book", {}).items()
        out += [(k if k.startswith("book ") else f"book {k}", str(v)) for k, v in book]
    return out
