"""Real-user style examples: turns real users wrote, retrieved for the situation at hand.

The bank (``participants/data/user_style.json``, built by ``scripts/build_user_style.py``) holds
real user turns from MultiWOZ 2.1 *val* (MIT), Taskmaster-1/4 (CC BY 4.0) and ABCD (MIT), each
with its position in its dialogue (``first``, ``middle``, ``last``). :meth:`StyleBank.examples`
returns the ``k`` turns of the same position that share the most (IDF-weighted) words with the
query — the other side's last message and what the user is about to say — so a simulated user
sees how real people phrase that kind of message: short, informal, to the point. Pure Python.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
import zlib
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from simulacra.participants._content import ACT, FUNCTION_WORDS

__all__ = ["Position", "StyleBank", "StyleTurn", "acts_to_notes"]

Position = Literal["first", "middle", "last"]
_WORD = re.compile(r"[a-z']+")
_STOP = FUNCTION_WORDS | frozenset(
    [
        "can",
        "could",
        "will",
        "do",
        "does",
        "did",
        "have",
        "has",
        "are",
        "was",
        "were",
        "yes",
        "no",
        "ok",
        "okay",
    ]
)


def _terms(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.lower()) if w not in _STOP and len(w) > 1}


_DOMAINS = frozenset({"attraction", "hospital", "hotel", "police", "restaurant", "taxi", "train"})
_INTENT_NOTES = {
    "thank": "thanks",
    "bye": "bye",
    "greet": "hello",
    "reqmore": "ask if there is more",
    "reqalts": "ask for another option",
    "giveup": "give up",
}


_NOTE_NAMES = {
    "ref": "reference number",
    "phone": "phone number",
    "train id": "train ID",
    "leave at": "leaving at",
    "arrive by": "arriving by",
    "stay": "nights",
    "open hours": "opening hours",
}


def acts_to_notes(acts: str) -> str:
    """Dialogue acts (``inform(hotel-area=east);request(hotel-phone)``) as short notes
    (``hotel | area: east | ask: phone``): what a turn gets across, without its wording."""
    notes: list[str] = []
    domains: list[str] = []
    for intent, arg in ACT.findall(acts):
        domain, _, slot_value = arg.partition("-")
        slot, _, value = slot_value.partition("=")
        if domain and domain not in domains and domain not in ("general", "booking"):
            domains.append(domain)
        slot = _NOTE_NAMES.get(slot.removeprefix("book "), slot.removeprefix("book "))
        if intent == "inform" and slot:
            notes.append(f"{slot}: {value}" if value not in ("", "?") else slot)
        elif intent == "request" and slot:
            notes.append(f"ask: {slot}")
        elif intent in _INTENT_NOTES:
            notes.append(_INTENT_NOTES[intent])
        elif intent == "book":
            notes.append("book it")
    return " | ".join([*domains, *dict.fromkeys(notes)])


_WORD_RE = re.compile(r"[a-z0-9&']+")
_PAIR_STOP = frozenset(
    re.findall(
        r"\S+",
        "a an the i i'm i'd i'll you your we my me it it's is are was be to of in on at for from "
        "with and or but so that this there please thanks thank yes no ok okay can could would "
        "will do does need want like just also",
    )
)


def _pairs(text: str) -> list[tuple[str, str]]:
    """Adjacent word pairs of ``text`` with no function word in them."""
    words = _WORD_RE.findall(text.lower())
    return [
        (a, b) for a, b in itertools.pairwise(words) if a not in _PAIR_STOP and b not in _PAIR_STOP
    ]


@dataclass(frozen=True, slots=True)
class StyleTurn:
    """One real user turn: its text, corpus, position in its dialogue and, where the corpus
    annotates dialogue acts, ``notes``: what it gets across (:func:`acts_to_notes`)."""

    text: str
    corpus: str
    position: Position
    notes: str | None = None


class StyleBank:
    """Real user turns to retrieve style examples from.

    Args:
        turns: The turns.
    """

    def __init__(self, turns: Sequence[StyleTurn]) -> None:
        self._pair_counts: Counter[tuple[str, str]] | None = None
        self.turns = list(turns)
        self._terms = [_terms(f"{t.text} {t.notes or ''}") for t in self.turns]
        self._index: dict[str, list[int]] = defaultdict(list)
        for i, terms in enumerate(self._terms):
            for term in terms:
                self._index[term].append(i)
        n = max(len(self.turns), 1)
        self._idf = {t: math.log(n / len(ids)) for t, ids in self._index.items()}
        self._by_position: dict[str, list[int]] = defaultdict(list)
        for i, turn in enumerate(self.turns):
            self._by_position[turn.position].append(i)

    def copied(self, text: str, examples: Sequence[str], allowed: str) -> list[str]:
        """Rare word pairs (names: "huntingdon marriott") that ``text`` took from the style
        ``examples`` and that ``allowed`` (the notes, goal, profile and conversation) does not
        contain: another user's details, not this user's. A pair is rare when at most two turns
        of the bank use it ("sounds great" is common, a hotel's name is not)."""
        if self._pair_counts is None:
            counts: Counter[tuple[str, str]] = Counter()
            for turn in self.turns:
                counts.update(set(_pairs(turn.text)))
            self._pair_counts = counts
        from_examples = {p for e in examples for p in _pairs(e)}
        ok = set(_pairs(allowed)) | {(w, w) for w in _WORD_RE.findall(allowed.lower())}
        found = [
            " ".join(p)
            for p in dict.fromkeys(_pairs(text))
            if p in from_examples
            and p not in ok
            and not ((p[0], p[0]) in ok or (p[1], p[1]) in ok)
            and self._pair_counts[p] <= 2
        ]
        return found

    @classmethod
    def load(cls, path: str | Path) -> StyleBank:
        """Read a bank written by ``scripts/build_user_style.py``."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls._from(data)

    @classmethod
    def _from(cls, data: dict[str, object]) -> StyleBank:
        rows = data.get("turns")
        turns = [
            StyleTurn(
                str(r["text"]),
                str(r["corpus"]),
                r["position"],
                str(r["notes"]) if r.get("notes") else None,
            )
            for r in (rows if isinstance(rows, list) else [])
            if isinstance(r, dict) and r.get("position") in ("first", "middle", "last")
        ]
        return cls(turns)

    @classmethod
    @functools.cache
    def default(cls) -> StyleBank:
        """The bank shipped with Simulacra (read once)."""
        text = resources.files("simulacra.participants").joinpath("data/user_style.json")
        return cls._from(json.loads(text.read_text(encoding="utf-8")))

    def examples(self, query: str, *, position: Position, k: int = 3, seed: int = 0) -> list[str]:
        """The texts of :meth:`demonstrations` (any turn, annotated or not)."""
        return [t.text for t in self.demonstrations(query, position=position, k=k, seed=seed)]

    def demonstrations(
        self,
        query: str,
        *,
        position: Position,
        k: int = 3,
        seed: int = 0,
        with_notes: bool = False,
    ) -> list[StyleTurn]:
        """The ``k`` turns of ``position`` that best match ``query`` (ties broken by ``seed``,
        so different users see different examples); ``with_notes``: only annotated turns."""
        if k <= 0:
            return []
        allowed = set(self._by_position.get(position, ()))
        if with_notes:
            allowed = {i for i in allowed if self.turns[i].notes}
        scores: dict[int, float] = defaultdict(float)
        for term in _terms(query):
            for i in self._index.get(term, ()):
                if i in allowed:
                    scores[i] += self._idf[term]

        def tiebreak(i: int) -> int:
            return zlib.crc32(f"{seed}:{i}".encode())

        size = query.count("|")
        topics = {p.strip() for p in query.split("|")}

        def score(i: int) -> float:
            notes = self.turns[i].notes
            if not (with_notes and notes):
                return scores.get(i, 0.0)
            parts = [p.strip() for p in notes.split("|")]
            # a demonstration about another domain invites copying its details
            foreign = sum(1 for p in parts if p in _DOMAINS and p not in topics)
            return scores.get(i, 0.0) - 0.5 * abs(len(parts) - 1 - size) - 3.0 * foreign

        ranked = sorted(allowed, key=lambda i: (-score(i), tiebreak(i)))
        return [self.turns[i] for i in ranked[:k]]
