"""Real users' wordings of dialogue acts: the goal-state user's fallback when the model's wording
keeps failing the validity gate.

The bank (``participants/data/user_wording.json``, built by ``scripts/build_user_wording.py``)
holds MultiWOZ 2.1 *val* user turns (MIT) with their annotated acts' values replaced by slot
markers ("I need a train to [destination] on [day]."), keyed by what the turn does (its acts'
intents, domains and slots; the value itself for yes/no/"don't care") and where it stands (the
dialogue's ``first`` user turn, a turn that brings up a ``new`` domain, or one that goes on with
the ``same`` one). Turns whose wording says more than their annotation (a number, a known value or
a word such as "same" or "instead" left after the markers) are not in it.

:meth:`RealWording.word` fills one such wording with the values at hand. When no real turn does
all the acts at once, it joins a wording of the informs and one of the requests; when that fails
too it returns ``None`` and the caller keeps its own template. Retrieval, not generation: what a
fallback turn says is exactly the acts, in words a real person used. Pure Python.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Literal

from simulacra.scenarios import DialogueAct

__all__ = [
    "Placement",
    "RealWording",
    "act_key",
    "clean_closing",
    "closing_key",
    "delexicalise",
    "wording_key",
]

Placement = Literal["first", "new", "same"]
_KEEP_VALUE = frozenset({"yes", "no", "dontcare", "free"})
_CONTEXT_WORDS = re.compile(
    r"\b(same|change|changed|instead|another|other|else|sorry|different|cancel|mistake|"
    r"earlier|later|actually|again|that one|those|these|matter|either|whichever|recommend\w*|"
    r"suggest\w*|choose|pick|then)\b",
    re.IGNORECASE,
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b(?!I\b|I'[a-z]+\b)[A-Z][a-z]*")
"""A capitalised word inside a sentence: most likely a name the annotation did not mark."""
_MARKER = re.compile(r"\[([a-z ]+)\]")
_DOMAIN_WORDS = {
    "restaurant": r"restaurants?|food|eat|eating|dine|diners?|dinner|lunch|breakfast|cuisine|table",
    "hotel": r"hotels?|guest ?house|rooms?|nights?|lodging|accommodations?|place to stay",
    "train": r"trains?|railway|station",
    "taxi": r"taxis?|cabs?",
    "attraction": r"attractions?|museums?|colleges?|entertainment|sights?|architecture|theatre",
    "hospital": r"hospital|department",
    "police": r"police",
}
"""Words that name a domain: a wording of one domain's acts must not bring up another."""
_NO = re.compile(r"^\s*(no|nope|not)\b", re.IGNORECASE)
_NO_MORE = re.compile(
    r"^\s*(no|nope|that'?s (all|it|everything)|that is (all|it|everything))\b", re.I
)
_GOODBYE = re.compile(r"\b(bye|goodbye|good ?night|have a (good|nice|great))\b", re.IGNORECASE)
_BOOK_WORD = re.compile(r"\b(book|booking|reserve|reservation|table)\b", re.IGNORECASE)
_ANSWER = re.compile(
    r"^(yes|yeah|yep|sure|ok|okay|great|perfect|(that|this) (would be|sounds) (great|good|fine)|"
    r"sounds (great|good))\b( please| thanks| thank you)?[,.!]*\s*",
    re.IGNORECASE,
)
_ARTICLE = re.compile(r"\b([Aa])n? (?=\[([a-z ]+)\])")


def act_key(act: DialogueAct) -> str:
    """What one act does, without its value (``inform:hotel:area``), except a value that is its
    meaning (``inform:hotel:parking=yes``, ``inform:hotel:area=dontcare``)."""
    key = f"{act.intent}:{act.domain}:{act.slot}"
    return f"{key}={act.value}" if act.value in _KEEP_VALUE else key


def wording_key(acts: Sequence[DialogueAct], placement: Placement) -> str:
    """The bank's key of a turn: its placement and its acts' keys, sorted."""
    return placement + "|" + ";".join(sorted({act_key(a) for a in acts}))


def _value_pattern(value: str) -> re.Pattern[str]:
    return re.compile(r"(?<![\w])" + re.escape(value) + r"(?![\w])", re.IGNORECASE)


def delexicalise(
    text: str, acts: Sequence[DialogueAct], known_values: frozenset[str]
) -> str | None:
    """``text`` with each informed value replaced by its slot marker (``[area]``), or ``None``
    when the turn cannot serve as a wording of exactly ``acts``: an informed value is not in the
    text once, two acts share a slot, or the text still holds a digit, a ``known_values`` entry
    or a word that points back at earlier context ("same", "instead", ...)."""
    if "[" in text or "]" in text or not acts:
        return None
    slots = [a.slot for a in acts if a.intent == "inform"]
    if len(slots) != len(set(slots)):
        return None
    out = text
    for act in acts:
        if act.intent not in ("inform", "request") or not act.slot:
            return None
        if act.intent == "request" or act.value in _KEEP_VALUE:
            continue
        if not act.value:
            return None
        pattern = _value_pattern(act.value)
        if len(pattern.findall(out)) != 1:
            return None
        out = pattern.sub(f"[{act.slot}]", out)
    bare = _MARKER.sub(" ", out)
    if _says_more(bare, known_values):
        return None
    own = {a.domain for a in acts}
    for domain, words in _DOMAIN_WORDS.items():
        if domain not in own and re.search(rf"\b({words})\b", bare, re.IGNORECASE):
            return None
    if _NO.match(bare) and not any(a.value == "dontcare" for a in acts):
        return None
    return out


def _says_more(bare: str, known_values: frozenset[str]) -> bool:
    """Whether a wording (markers removed) holds a digit, a name, a known value or a word that
    points back at earlier context."""
    if re.search(r"[\d&]", bare) or _CONTEXT_WORDS.search(bare) or _NAME.search(bare):
        return True
    text = " " + " ".join(re.findall(r"[a-z']+", bare.lower())) + " "
    return any(f" {value} " in text for value in known_values)


def closing_key(acts: Sequence[DialogueAct]) -> str | None:
    """The bank's key of a closing turn (only ``thank``/``bye`` acts): ``close|thank``,
    ``close|bye`` or ``close|bye;thank``; ``None`` for any other turn."""
    intents = {a.intent for a in acts}
    if not intents or not intents <= {"thank", "bye"}:
        return None
    return "close|" + ";".join(sorted(intents))


def clean_closing(text: str, acts: Sequence[DialogueAct], known_values: frozenset[str]) -> bool:
    """Whether a real closing turn can close any conversation: at most 15 words, nothing
    specific to its own dialogue, and no goodbye unless its acts say bye."""
    if not 1 <= len(text.split()) <= 15 or _says_more(text, known_values):
        return False
    if re.search(r"\b(too|as well|also)\b", text, re.IGNORECASE):  # "you too": an answer
        return False
    return any(a.intent == "bye" for a in acts) or not _GOODBYE.search(text)


class RealWording:
    """Delexicalised real user turns, looked up by what a turn does and where it stands.

    Args:
        wordings: ``{key: [delexicalised text, ...]}`` (keys from :func:`wording_key`).
        source: Where the bank came from (recorded on the turns that use it).
    """

    def __init__(self, wordings: dict[str, list[str]], source: str = "") -> None:
        self.wordings = wordings
        self.source = source

    @classmethod
    def load(cls, path: str | Path) -> RealWording:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["wordings"], str(data.get("version", "")))

    @classmethod
    @functools.cache
    def default(cls) -> RealWording:
        """The bank shipped with Simulacra (MultiWOZ 2.1 val)."""
        ref = resources.files("simulacra.participants").joinpath("data/user_wording.json")
        data = json.loads(ref.read_text(encoding="utf-8"))
        return cls(data["wordings"], f"user_wording/{data.get('version', '')}")

    def _one(
        self,
        acts: Sequence[DialogueAct],
        placement: Placement,
        rng: random.Random,
        book: bool,
        question: bool,
        avoid: frozenset[str],
    ) -> str | None:
        options = self.wordings.get(wording_key(acts, placement), [])
        if book:
            options = [o for o in options if _BOOK_WORD.search(_MARKER.sub(" ", o))]
        values = {a.slot: a.value for a in acts if a.intent == "inform"}
        filled = [_fill(o, values) for o in self._opening(options, question)]
        return _pick([f for f in filled if f.lower() not in avoid], rng)

    @staticmethod
    def _opening(options: list[str], question: bool) -> list[str]:
        if question:
            return options
        # "Yes, ..." answers nothing when nothing was asked
        kept = [o for o in options if not _ANSWER.match(o)] or [
            _ANSWER.sub("", o, count=1) for o in options
        ]
        return [o[:1].upper() + o[1:] for o in kept if o]

    def word(
        self,
        acts: Sequence[DialogueAct],
        placement: Placement,
        rng: random.Random,
        *,
        book: bool = False,
        question: bool = True,
        avoid: Sequence[str] = (),
    ) -> str | None:
        """A real user's wording of ``acts`` with their values filled in (``None``: none fits).

        Args:
            acts: The turn's acts (``inform``/``request``).
            placement: ``first`` user turn, a ``new`` domain, or the ``same`` one.
            rng: Seeded generator that picks among the fitting wordings.
            book: The wording must also say the user wants to book ("book", "reserve", "table").
            question: Whether the other side's last message asked something; if not, wordings
                that open with an answer ("Yes, ...") are avoided, or that opening is cut.
            avoid: Messages the user already sent (a wording is not used twice).
        """
        if not acts or any(a.intent not in ("inform", "request") for a in acts):
            return None
        seen = frozenset(m.strip().lower() for m in avoid)
        whole = self._one(acts, placement, rng, book, question, seen)
        if whole is not None:
            return whole
        # no real turn does it all: a wording per kind of act (constraints, booking details,
        # requests), a kind that has none split into its acts, at most three pieces
        kinds = [
            [a for a in acts if a.intent == "inform" and not a.slot.startswith("book ")],
            [a for a in acts if a.intent == "inform" and a.slot.startswith("book ")],
            [a for a in acts if a.intent == "request"],
        ]
        groups = [g for g in kinds if g]
        if len(groups) == 1 and len(groups[0]) > 1:
            groups = [[a] for a in groups[0]]
        pieces: list[str] = []
        for i, group in enumerate(groups):
            where: Placement = placement if i == 0 else "same"
            booking = book and any(a.slot.startswith("book ") for a in group)
            piece = self._one(group, where, rng, booking, question and i == 0, seen)
            if piece is None and len(group) > 1:
                parts = [
                    self._one([a], where if j == 0 else "same", rng, False, False, seen)
                    for j, a in enumerate(group)
                ]
                if booking or any(p is None for p in parts):
                    return None
                piece = " ".join(_sentence(p) for p in parts if p)
            if piece is None:
                return None
            pieces.append(piece)
        if len(pieces) > 3:
            return None
        return " ".join(_sentence(p) for p in pieces[:-1]) + " " + pieces[-1]

    def closing(self, content: str, rng: random.Random, *, avoid: Sequence[str] = ()) -> str | None:
        """A real user's closing for the goal-state user's closing notes (``thanks``,
        ``thanks | bye``, ``no, that's all | thanks``...); ``None`` for other notes (a give-up)
        or when none fits."""
        parts = [p.strip() for p in content.split("|")]
        if "thanks" not in parts or "thanks anyway" in parts:
            return None
        key = "close|bye;thank" if "bye" in parts else "close|thank"
        options = list(self.wordings.get(key, []))
        if "bye" in parts:
            options += self.wordings.get("close|bye", [])
        if any(p.startswith("no") for p in parts):
            options = [o for o in options if _NO_MORE.match(o)]
        else:  # nothing was asked
            options = [o for o in options if not _NO.match(o)]
        seen = {m.strip().lower() for m in avoid}
        return _pick([o for o in options if o.lower() not in seen], rng)


def _fill(text: str, values: dict[str, str]) -> str:
    def article(match: re.Match[str]) -> str:
        value = values.get(match.group(2), "")
        an = value[:1].lower() in tuple("aeiou") and not value.lower().startswith(("one", "uni"))
        return f"{match.group(1)}{'n' if an else ''} "

    text = _ARTICLE.sub(article, text)
    return _MARKER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _pick(options: list[str], rng: random.Random) -> str | None:
    return rng.choice(options) if options else None


def _sentence(text: str) -> str:
    text = text.rstrip()
    return text if text[-1:] in tuple(".!?") else text + "."
