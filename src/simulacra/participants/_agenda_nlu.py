"""A keyword/regex NLU for system utterances in the MultiWOZ domains.

It turns what a system under test said into dialogue acts the agenda can react to:

- ``request(d-s)``: a question about a constraint or booking slot ("What area?", "How many
  nights?"); only in sentences that are questions;
- ``inform(d-s=v)``: a value of the user's goal said lexically ("in the north", "4 stars"),
  or a slot recognised by its shape: phone numbers, postcodes, train ids, prices, durations,
  times, reference numbers, addresses ("12 Regent Street"), car types ("a white Toyota");
- ``nooffer(d[-s])`` / ``nobook(d)``: a negative sentence about matches or a booking (``s``: the
  goal constraint it names);
- ``book(d-ref=X)``: a booking confirmation (with the reference when one is given);
- ``reqmore()``, ``bye()``.

In a service outside MultiWOZ (a schema's, or the goal's own), slots are found by their names:
a question naming a slot the user may constrain ("Which pickup city?") is ``request(d-s)``, a
statement naming a slot the user asked for ("The car name is ...") is ``inform(d-s)``.

Limits (lexical): paraphrased values ("somewhere up north"), values outside the goal and the
ontology, implicit refusals, and questions without a question mark or a cue word are missed;
a sentence that mentions several domains is given the first one found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from simulacra.scenarios import (
    BOOK_SLOTS,
    DOMAINS,
    DONTCARE,
    DialogueAct,
    Schema,
    TaskGoal,
    slot_words,
)

__all__ = ["SystemNLU", "clean_text", "detect_slot_values", "domain_of", "value_pattern"]

_DOMAIN_WORDS: list[tuple[str, re.Pattern[str]]] = [
    ("train", re.compile(r"\btrains?\b|\btr\d{4}\b|\bticket")),
    ("taxi", re.compile(r"\b(taxi|cab|car)s?\b")),
    ("restaurant", re.compile(r"\b(restaurants?|food|cuisine|table|dine|dining|eat)\b")),
    (
        "hotel",
        re.compile(r"\b(hotels?|guest ?houses?|rooms?|stay|nights?|lodging|accommodations?)\b"),
    ),
    (
        "attraction",
        re.compile(r"\b(attractions?|museums?|colleges?|theatres?|parks?|churche?s?|entrance)\b"),
    ),
    ("hospital", re.compile(r"\b(hospital|department)\b")),
    ("police", re.compile(r"\bpolice\b")),
]

_QUESTION_START = re.compile(
    r"^(what|which|how|when|where|do|does|did|would|could|can|will|shall|should|is|are|any)\b"
)
_NEGATIVE = re.compile(
    r"n't\b|\b(no|not|unable|unfortunately|sorry|none|nothing|cannot|unavailable)\b|"
    r"\b(can|could|do|does|did|is|are|was|were|wo)nt\b"
)
_BOOKING = re.compile(r"\b(book\w*|reserv\w*|accommodate|table for|slot)\b")
_NO_MATCH = re.compile(
    r"\b(match\w*|results?|find|found|have|has|any|there (is|are|were)|available|nothing|none|"
    r"listings?|options?)\b"
)
_BOOKED = re.compile(
    r"\b(booked|reserved|booking (was|is) (successful|complete|confirmed)|"
    r"(reference|confirmation|ref)\s*(number|#|no)?)\b"
)
_REF = re.compile(
    r"\b(?:reference|confirmation|ref)\b[^.?!]*?(?:\bis\b|:|#|\bnumber\b)\s*:?\s*([a-z0-9]{8})\b"
)
_REQMORE = re.compile(r"\b(anything else|something else|help you with|else i can|can i help)\b")
_OFFER = re.compile(
    r"^(how about|what about|may i suggest|might i suggest|i recommend|i suggest)\b"
)
_NOT_A_REFUSAL = re.compile(r"\b(no problem|no (entrance )?fee|information|no worries)\b")
_BYE = re.compile(r"\b(goodbye|bye|have a (great|nice|good) (day|trip|stay|time))\b")

_REQUEST_CUES: list[tuple[str, re.Pattern[str]]] = [
    (
        "book people",
        re.compile(
            r"\bhow many (people|guests|persons|tickets|of you|in your)|"
            r"for how many|party size|number of (people|guests|tickets)"
        ),
    ),
    ("book stay", re.compile(r"\bhow many (nights|days)\b|\bhow long\b|number of nights")),
    (
        "departure",
        re.compile(
            r"\b(depart\w* from|leav\w* from|coming from|where from|"
            r"starting from|departure (site|point|station|location)|pick(ed)? ?up|"
            r"where (will|are|would) you (be )?(depart|leav)\w*)"
        ),
    ),
    (
        "destination",
        re.compile(
            r"\b(destination|where to|going to|heading|travel\w* to|"
            r"drop(ped)? ?off|where (will|are|would) you (be )?(going|"
            r"travel\w*|headed))"
        ),
    ),
    ("arrive by", re.compile(r"\barriv\w*")),
    ("leave at", re.compile(r"\b(leave|leaving|depart\w*|departure time)\b")),
    (
        "area",
        re.compile(
            r"\b(area|part of (town|the city)|side of town|location|"
            r"where in (town|the city))\b"
        ),
    ),
    ("price range", re.compile(r"\b(price|budget|expensive|cheap|moderate\w*|cost)\b")),
    ("food", re.compile(r"\b(food|cuisine)\b")),
    ("stars", re.compile(r"\bstars?\b")),
    ("parking", re.compile(r"\bparking\b")),
    ("internet", re.compile(r"\b(internet|wifi|wi-fi)\b")),
    ("type", re.compile(r"\b(type|kind|sort)\b|\bhotel or (a )?guest ?house|guest ?house or")),
    ("department", re.compile(r"\bdepartment\b")),
    ("day", re.compile(r"\b(what|which) (day|date|night)|\bday\b|\bdate\b|\bwhen\b")),
    ("time", re.compile(r"\b(what|which) time\b|\btime\b")),
    ("name", re.compile(r"\b(name|particular|specific|which one)\b")),
]

_PHONE = re.compile(r"\b0\d{3,4}[\s-]?\d{6,7}\b")
_POSTCODE = re.compile(r"\b[a-z]{1,2}\d[a-z\d]?\s?\d[a-z]{2}\b")
_TRAIN_ID = re.compile(r"\btr\s?\d{4}\b")
_DURATION = re.compile(r"\b\d+\s*min(ute)?s?\b")
_MONEY = re.compile(r"\b\d+(\.\d+)?\s*(gbp|pounds?)\b|£\s?\d+(\.\d+)?")
_FEE_FREE = re.compile(r"\b(free|no (entrance )?fee|entrance fee)\b")
_TIME = re.compile(r"\b([01]?\d|2[0-3]):[0-5]\d\b")
_STREET = re.compile(
    r"\b(?:\d+[a-z]?\s+)?[a-z']+(?:\s[a-z']+)?\s(?:street|road|rd|lane|avenue|way|parade|hill|"
    r"square|place|close|row|drive|walk|green|court)\b"
)
_CAR = re.compile(
    r"\b(black|white|red|blue|grey|gray|yellow|silver|green)\s+(toyota|ford|audi|bmw|honda|skoda|"
    r"lexus|tesla|volkswagen|volvo|kia|hyundai|mercedes|benz)\b"
)
_TYPES = {
    "hotel": re.compile(r"\b(hotel|guest ?house)s?\b"),
    "attraction": re.compile(
        r"\b(museum|college|park|theatre|church|architecture|nightclub|cinema|swimming ?pool|boat|"
        r"entertainment|multiple sports|concert ?hall)s?\b"
    ),
}
_NEVER = re.compile(r"(?!)")
_FOOD = re.compile(r"\b(serves?|serving|food|cuisine)\b")
_STARS = re.compile(r"\b([0-5]|zero|one|two|three|four|five)[- ]?stars?\b")
_NUMBERS = {"zero": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5"}
_AREAS = {
    "north": "north",
    "south": "south",
    "east": "east",
    "west": "west",
    "centre": "centre",
    "center": "centre",
    "central": "centre",
}
_AREA = re.compile(r"\b(north|south|east|west|centre|center|central)\b")
_PRICE = re.compile(r"\b(cheap|moderate|moderately|expensive)\b")
_DAY = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b")
_SENTENCE = re.compile(r"[^.?!\n]+[.?!]*")
_TOKEN_FIXES = [
    (re.compile(r"\s+n't\b"), "n't"),
    (re.compile(r"\s+'(s|d|ll|re|m|ve)\b"), r"'\1"),
    (re.compile(r"[ \t\r\f\v]+"), " "),
    (re.compile(r" ?\n[\s]*"), "\n"),
]


_MARKUP = re.compile(r"\*\*|__|`|^\s*(?:[-*•]|#+|\d+[.)])\s+", re.MULTILINE)


def plain_text(text: str) -> str:
    """Markdown a chat model writes taken out ("- **Car Type:** Sedan" → "Car Type: Sedan"),
    lines kept."""
    return _MARKUP.sub("", text)


def clean_text(text: str) -> str:
    """Lower-case, markdown and MultiWOZ tokenisation undone ("do n't" → "don't"), spaces
    collapsed (line breaks kept: they end a sentence)."""
    text = plain_text(text).lower()
    for pattern, repl in _TOKEN_FIXES:
        text = pattern.sub(repl, text)
    return text.strip()


def domain_of(sentence: str) -> str | None:
    """The first domain a sentence names by a keyword, if any."""
    return next((d for d, pattern in _DOMAIN_WORDS if pattern.search(sentence)), None)


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or _QUESTION_START.match(sentence) is not None


def detect_slot_values(sentence: str, domain: str) -> list[tuple[str, str]]:
    """Slots recognised by their shape in one (cleaned, lower-case) sentence of a system turn:
    ``[(slot, value)]``; the value is what was matched (``""`` where only a cue was seen)."""
    found: list[tuple[str, str]] = []
    question = _is_question(sentence)
    if m := _PHONE.search(sentence):
        found.append(("phone", m.group(0)))
    if m := _POSTCODE.search(sentence):
        found.append(("postcode", m.group(0)))
    elif "postcode" in sentence and not question:
        found.append(("postcode", ""))
    if m := _TRAIN_ID.search(sentence):
        found.append(("train id", m.group(0).replace(" ", "")))
    if m := _REF.search(sentence):
        found.append(("ref", m.group(1)))
    if domain == "train":
        if m := _DURATION.search(sentence):
            found.append(("duration", m.group(0)))
        if m := _MONEY.search(sentence):
            found.append(("price", m.group(0)))
    fee = _MONEY.search(sentence) or _FEE_FREE.search(sentence)
    if domain == "attraction" and not question and fee:
        found.append(("entrance fee", fee.group(0)))
    if m := _CAR.search(sentence):
        found.append(("car type", m.group(0)))
    if not question:
        if m := _STREET.search(sentence):
            found.append(("address", m.group(0)))
        elif re.search(r"\b(address|located at)\b", sentence):
            found.append(("address", ""))
    if domain in ("train", "taxi") and (m := _TIME.search(sentence)):
        if re.search(r"\b(leav|depart)", sentence):
            found.append(("leave at", m.group(0)))
        if re.search(r"\barriv", sentence):
            found.append(("arrive by", m.group(0)))
    if not question and (m := _TYPES.get(domain, _NEVER).search(sentence)):
        found.append(("type", m.group(1).replace(" ", "")))
    if domain == "restaurant" and not question and (m := _FOOD.search(sentence)):
        found.append(("food", m.group(0)))
    if m := _STARS.search(sentence):
        found.append(("stars", _NUMBERS.get(m.group(1), m.group(1))))
    if m := _AREA.search(sentence):
        found.append(("area", _AREAS[m.group(1)]))
    if m := _PRICE.search(sentence):
        found.append(("price range", "moderate" if m.group(1).startswith("moder") else m.group(1)))
    for slot, cue in (("parking", r"\bparking\b"), ("internet", r"\b(internet|wifi|wi-fi)\b")):
        if not question and re.search(cue, sentence):
            negated = re.search(r"(\b(no|not|without)\b|n't\b)[^.?!]*" + cue, sentence)
            found.append((slot, "no" if negated else "yes"))
    return found


def value_pattern(slot: str, value: str) -> re.Pattern[str]:
    """A pattern that finds a goal value in cleaned text (``4`` as "4 stars" or "four star")."""
    if slot == "stars":
        word = next((w for w, n in _NUMBERS.items() if n == value), value)
        return re.compile(rf"\b({re.escape(value)}|{word})[- ]?stars?\b")
    words = re.escape(clean_text(value)).replace(r"\ ", r"\s*")
    if slot == "type" and value in ("guesthouse", "guest house"):
        words = r"guest\s*houses?"
    if slot == "price range" and value == "moderate":
        words = r"moderate(ly)?"
    if slot == "area" and value == "centre":
        words = r"(centre|center|central)"
    return re.compile(rf"(?<![\w:]){words}(?![\w:])")


class SystemNLU:
    """Reads system utterances into dialogue acts, knowing the user's goal (its values are what
    the NLU looks for first).

    Args:
        goal: The user's goal (values to look for; default: only shapes and the ontology).
    """

    def __init__(self, goal: TaskGoal | None = None, *, schema: Schema | None = None) -> None:
        self.goal = goal
        self.schema = schema
        self._values: list[tuple[str, str, str, re.Pattern[str]]] = []
        for d in goal.domains if goal else ():
            seen: set[tuple[str, str]] = set()
            for values in (d.fail_inform, d.inform, d.fail_book, d.book):
                for slot, value in values.items():
                    if value == DONTCARE or slot in ("parking", "internet", "book people"):
                        continue
                    if (slot, value) not in seen:
                        seen.add((slot, value))
                        self._values.append((d.domain, slot, value, value_pattern(slot, value)))

    def understand(self, utterance: str, *, domain: str | None = None) -> list[DialogueAct]:
        """The acts of one system utterance.

        Args:
            utterance: What the system said.
            domain: The domain the conversation is in (used when a sentence names none).
        """
        text = clean_text(utterance)
        current = domain_of(text) if domain is None else domain
        acts: list[DialogueAct] = []
        for sentence in (s.strip() for s in _SENTENCE.findall(text)):
            if not sentence:
                continue
            d = domain_of(sentence) or current or "general"
            if self.goal is not None and d not in self.goal.domain_names and current:
                d = current
            acts.extend(self._sentence(sentence, d))
        with_ref = {a.domain for a in acts if a.intent == "book" and a.value}
        acts = [
            a for a in acts if not (a.intent == "book" and not a.value and a.domain in with_ref)
        ]
        return list(dict.fromkeys(acts))

    def _sentence(self, sentence: str, domain: str) -> Iterable[DialogueAct]:
        question = _is_question(sentence)
        negative = _NEGATIVE.search(sentence) is not None
        booking = _BOOKING.search(sentence) is not None
        goal_values = [(d, slot, value) for d, slot, value, p in self._values if p.search(sentence)]
        if negative and booking and not re.search(r"\bno problem\b", sentence):
            yield DialogueAct("nobook", domain)
        elif (
            negative
            and _NO_MATCH.search(sentence)
            and not _QUESTION_START.match(sentence)
            and not _NOT_A_REFUSAL.search(sentence)
        ):
            named = next((s for d, s, _ in goal_values if d == domain), "")
            yield DialogueAct("nooffer", domain, named)
        elif _BOOKED.search(sentence) and not question and not negative:
            ref = _REF.search(sentence)
            yield DialogueAct("book", domain, "ref" if ref else "", ref.group(1) if ref else "")
        if (
            question
            and not negative
            and not _REQMORE.search(sentence)
            and not _OFFER.match(sentence)
        ):
            yield from self._requests(sentence, domain, goal_values)
        for d, slot, value in goal_values:
            yield DialogueAct("inform", d, slot, value)
        if domain not in DOMAINS:
            yield from self._named_slots(sentence, domain, question and not negative)
            return
        for slot, value in detect_slot_values(sentence, domain):
            yield DialogueAct("inform", domain, slot, value)
        if _REQMORE.search(sentence):
            yield DialogueAct("reqmore")
        if _BYE.search(sentence):
            yield DialogueAct("bye")

    def _named_slots(self, sentence: str, domain: str, question: bool) -> Iterable[DialogueAct]:
        """Slots of a non-MultiWOZ service named in a sentence (see the module docstring)."""
        service = self.schema.service(domain) if self.schema is not None else None
        goal = self.goal.domain(domain) if self.goal is not None else None
        if question and service is not None and not _REQMORE.search(sentence):
            for slot in sorted(service.informable | service.book):
                if _names(sentence, slot):
                    yield DialogueAct("request", domain, slot)
        elif not question and goal is not None:
            for slot in goal.requests:
                if _names(sentence, slot):
                    yield DialogueAct("inform", domain, slot, "")
        if _REQMORE.search(sentence):
            yield DialogueAct("reqmore")
        if _BYE.search(sentence):
            yield DialogueAct("bye")

    def _requests(
        self, sentence: str, domain: str, goal_values: list[tuple[str, str, str]]
    ) -> Iterable[DialogueAct]:
        mentioned = {s for _, s, _ in goal_values}
        asked: list[str] = []
        for slot, cue in _REQUEST_CUES:
            if not cue.search(sentence) or slot in mentioned:
                continue
            resolved = _resolve(slot, domain, sentence)
            if resolved is not None and resolved not in asked:
                asked.append(resolved)
        if "departure" in asked or "destination" in asked:
            asked = [s for s in asked if s != "leave at" or re.search(r"\b(when|time)\b", sentence)]
        for slot in asked:
            yield DialogueAct("request", domain, slot)


def _names(sentence: str, slot: str) -> bool:
    """Whether a sentence names a slot: all its words (``pickup_city``: "pickup" and "city"),
    or its last word when that is specific (``car_name``: not "name" alone)."""
    words = slot_words(slot).split()
    present = [re.search(rf"\b{re.escape(w)}s?\b", sentence) is not None for w in words]
    return all(present) or (
        len(words) > 1 and present[-1] and words[-1] not in _VAGUE and len(words[-1]) > 3
    )


_VAGUE = frozenset({"name", "type", "time", "date", "number", "id", "city", "location", "count"})


def _resolve(slot: str, domain: str, sentence: str) -> str | None:
    """The slot a question cue stands for in this domain (``None``: not one there)."""
    if slot == "day":
        slot = "book day" if domain in ("hotel", "restaurant") else "day"
    elif slot == "time":
        if domain == "restaurant":
            slot = "book time"
        elif domain in ("train", "taxi"):
            slot = "arrive by" if re.search(r"\barriv", sentence) else "leave at"
        else:
            return None
    if slot in ("arrive by", "leave at") and domain not in ("train", "taxi"):
        return None
    if slot == "book people" and domain not in BOOK_SLOTS:
        return None
    known = DOMAINS.get(domain, frozenset()) | BOOK_SLOTS.get(domain, frozenset())
    return slot if slot in known else None
