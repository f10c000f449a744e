"""Does a worded turn say what it was meant to say? The goal-state user decides the content of a
turn (slot values of its goal) and a small model puts it into words; the model sometimes drops a
value ("hotel | day: thursday" worded as "yes, please.") or swaps it for the topic's opposite.
:func:`values_to_say` lists what a plan's dialogue acts commit the turn to, :func:`unsaid`
which of those a text leaves out. The validity gate's ``drops_content`` detector reads them.

Matching is lenient, as people word values freely: numbers as digits or words, times with or
without a leading zero or with "am"/"pm", names by most of their distinctive words, yes/no
slots (``parking=yes``) by the slot's own word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "COPIED_KEY",
    "NUMBER_WORDS",
    "PHRASE",
    "REQUEST_WORDS",
    "SAYS_KEY",
    "content_words",
    "unsaid",
    "values_to_say",
]

SAYS_KEY = "content.says"
"""Turn metadata key: the values the turn is meant to say, joined by `` | ``."""

COPIED_KEY = "content.copied"
"""Turn metadata key: details the wording took from another user's style example ("huntingdon
marriott"); the gate's ``invented_constraint`` rejects them."""

REQUEST_WORDS: dict[str, str] = {
    "ref": r"reference|\bref\b|confirmation",
    "train id": r"train (id|number)|\btr\s?\d",
    "leave at": r"leav|depart",
    "arrive by": r"arriv",
    "postcode": r"post ?code|zip",
    "duration": r"duration|how long|travel time",
    "entrance fee": r"entrance|fee|cost|how much|price|charge",
    "price": r"price|cost|how much|fare",
    "car type": r"\bcar\b|type|kind|make|model",
    "phone": r"phone|number|contact",
    "type": r"type|kind|sort",
    "open hours": r"open|hours",
    "address": r"address|where|located|location",
    "area": r"area|where|part of (town|the city)|side of town",
    "internet": r"internet|wi-?fi|wireless",
    "parking": r"park",
    "price range": r"price|cost|expensive|cheap",
    "food": r"food|cuisine|serve",
    "stars": r"star|rating",
    "name": r"name|called",
}
"""How a user asks for a requestable slot (else: the slot's own name)."""

_ASK = "ask "
"""Prefix of a ``says`` entry that is a request ("ask ref"): the wording must ask for it."""

PHRASE = "phrase "
"""Prefix of a ``says`` entry that is a free-text checklist item ("phrase for two nights"): the
wording conveys it when it has half of its content words, as the checklist judges it."""

FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "to",
        "for",
        "of",
        "in",
        "on",
        "at",
        "and",
        "or",
        "with",
        "i",
        "me",
        "my",
        "you",
        "your",
        "it",
        "is",
        "be",
        "please",
        "would",
        "like",
        "that",
        "this",
    ]
)
"""Words that carry no content of a request (shared by the phrase check and style retrieval)."""

_PHRASE_STOP = FUNCTION_WORDS | {"want", "need", "some", "any"}


def content_words(text: str) -> set[str]:
    """The words of a free-text phrase that carry its content (function words left out)."""
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _PHRASE_STOP}


ACT = re.compile(r"(\w+)\(([^)]*)\)")
"""One act of the compact form: ``intent(domain-slot=value)`` → (intent, argument)."""
_SKIP = frozenset({"", "?", "dontcare", "don't care", "none", "not mentioned", "any", "given"})
_YES_NO_WORDS = {
    "parking": ("parking", "park"),
    "internet": ("internet", "wifi", "wi-fi", "wireless"),
    "booking": ("book", "reserv"),
}
NUMBER_WORDS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
    "twenty",
]
_STOP = frozenset(
    [
        "the",
        "a",
        "an",
        "of",
        "and",
        "at",
        "in",
        "on",
        "to",
        "for",
        "restaurant",
        "hotel",
        "guesthouse",
        "guest",
        "house",
        "college",
        "museum",
        "church",
        "street",
        "road",
        "cambridge",
    ]
)
_WORD = re.compile(r"[a-z0-9']+")


def values_to_say(acts: str) -> list[str]:
    """The values a turn of dialogue acts (``inform(hotel-area=east);request(hotel-phone)``)
    must state: informed values (``east``), for a yes/no slot its name (``parking``), for a
    request ``ask <slot>`` (``ask phone``: the wording must ask for it, :data:`REQUEST_WORDS`).
    "Don't care" values commit the wording to nothing checkable."""
    out: list[str] = []
    for intent, arg in ACT.findall(acts):
        _, _, slot_value = arg.partition("-")
        slot, _, value = slot_value.partition("=")
        slot = slot.removeprefix("book ").strip()
        if intent == "request" and slot:
            out.append(_ASK + slot)
        if intent != "inform":
            continue
        value = value.strip().lower()
        if value in _SKIP:
            continue
        if value in ("yes", "no", "free"):
            if slot in _YES_NO_WORDS:
                out.append(slot)
            continue
        out.append(value)
    return list(dict.fromkeys(out))


def _times(value: str) -> list[str]:
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", value)
    if not m:
        return []
    hour, minute = int(m.group(1)), m.group(2)
    forms = {f"{hour}:{minute}", f"{hour:02d}:{minute}"}
    if hour > 12:
        forms.add(f"{hour - 12}:{minute}")
    if minute == "00":
        forms |= {f"{hour % 12 or 12}", f"{hour % 12 or 12}pm", f"{hour % 12 or 12} pm"}
    return sorted(forms)


def _mentions(text: str, value: str) -> bool:
    lowered = text.lower()
    if value.startswith(PHRASE):
        words = content_words(value.removeprefix(PHRASE))
        return not words or len(words & content_words(text)) / len(words) >= 0.5
    if value.startswith(_ASK):
        slot = value.removeprefix(_ASK)
        return re.search(REQUEST_WORDS.get(slot, re.escape(slot)), lowered) is not None
    if value in _YES_NO_WORDS:
        return any(w in lowered for w in _YES_NO_WORDS[value])
    times = _times(value)
    if times:
        return any(re.search(rf"(?<![\d:]){re.escape(t)}(?![\d])", lowered) for t in times)
    words = set(_WORD.findall(lowered))
    if value.isdigit():
        number = int(value)
        return value in words or (number < len(NUMBER_WORDS) and NUMBER_WORDS[number] in words)
    if value in lowered:
        return True
    wanted = [w for w in _WORD.findall(value) if w not in _STOP] or _WORD.findall(value)
    if not wanted:
        return True
    found = sum(1 for w in wanted if w in words or (len(w) > 4 and w[:-1] in lowered))
    return found / len(wanted) >= 0.6


def unsaid(text: str, values: Sequence[str]) -> list[str]:
    """The ``values`` that ``text`` does not mention."""
    return [v for v in values if not _mentions(text, v)]
