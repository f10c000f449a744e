"""A goal as an explicit checklist: constraints to state, information to request, actions to get
done — what the goal-state user tracks, what the validity gate's ``premature_stop`` reads, and
what "goal coverage" counts.

Three sources, recorded as :attr:`Checklist.source`:

- ``structured``: a MultiWOZ-shaped :class:`~simulacra.participants.TaskGoal` (constraint and
  booking values, requested slots, the wish to book);
- ``rules``: a free-text goal cut into clauses ("Book a double room | for two nights | from 12
  to 14 March | for less than 150 EUR a night"); the first clause with an action verb is the
  action;
- ``llm``: a schema-constrained model call (:func:`extract_checklist`), whose items must reuse
  the goal's own words (else the rules are used and the source says ``rules``);
- ``none``: nothing could be extracted; the user runs on the free-text goal alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.participants._agenda_nlu import (
    clean_text,
    detect_slot_values,
    plain_text,
    value_pattern,
)
from simulacra.participants._content import REQUEST_WORDS, content_words
from simulacra.scenarios import DONTCARE, TaskGoal

__all__ = [
    "REQUEST_WORDS",
    "Checklist",
    "ChecklistItem",
    "ChecklistSource",
    "extract_checklist",
    "rule_checklist",
]

ItemKind = Literal["inform", "request", "action"]
ChecklistSource = Literal["structured", "rules", "llm", "none"]


_LABELS: dict[str, str] = {
    "phone": r"phone|telephone|contact( number)?|tel",
    "car type": r"car( type)?|vehicle( type)?|type|make",
    "address": r"address|location",
    "postcode": r"post ?code",
    "ref": r"reference( number)?|confirmation( number)?|booking (ref\w*|number)",
    "train id": r"train (id|number)|id",
    "price": r"price|cost|fare|total",
    "duration": r"duration|travel time|journey time",
    "entrance fee": r"entrance( fee)?|admission( fee)?|fee|price",
    "open hours": r"open(ing)? hours|hours",
    "leave at": r"depart\w*|leaves|leaving|pick-?up( time)?",
    "arrive by": r"arriv\w*",
}
"""The label a chat model puts before a value in a list ("Car Type: Sedan")."""

GIVEN_CUES: dict[str, str] = {
    slot: f"{cue}|^({_LABELS[slot]})\\s*:\\s*\\w"
    for slot, cue in {
        "phone": r"\b(phone|contact|telephone)( number)?\b[^.]*\d{3}",
        "car type": r"\b(car( type)?|vehicle|cab|taxi)\b[^.?]*\b(is|will be)\b",
        "address": r"\b(address is|located (at|on|in)|is at \d)",
        "postcode": r"\bpost ?code\b",
        "ref": r"\b(reference|confirmation)( number)?\b[^.]*\w*\d",
        "train id": r"\btrain (id|number)\b[^.]*\d",
        "price": r"(£|\$|€|\beur\b|\bgbp\b|\bpounds?\b|\bcosts?\b)",
        "duration": r"\b(\d+ ?(minutes?|mins?|hours?)|duration)\b",
        "entrance fee": r"\b(entrance|admission|fee|free of charge|is free)\b",
        "open hours": r"\b(open|opening hours)\b",
        "leave at": r"\b(leaves|departs|departure)\b[^.]*\d",
        "arrive by": r"\b(arrives|arrival)\b[^.]*\d",
    }.items()
}
"""How the other side states a requested slot, in a sentence that is not a question: the
keyword NLU knows Cambridge's formats (phone numbers, postcodes), a system under test may invent
others ("The car type is a sedan")."""
_BOOKED = re.compile(
    r"\b(booked|reserved|confirmed|reference number|confirmation number|booking is)\b"
)


def _statements(text: str) -> list[str]:
    """The sentences and list lines of a text that are not questions, lower-case, markdown
    taken out."""
    lines = re.split(r"(?<=[.!?])\s+|\n", plain_text(text).lower())
    return [s.strip() for s in lines if s.strip() and "?" not in s]


_ACTION = re.compile(
    r"^\s*(please\s+)?(book|reserve|find|get|order|cancel|change|buy|rent|schedule|arrange|"
    r"return|refund|upgrade|renew|pay|check|ask|report|update|transfer|open|close|set up|sign up)"
    r"\b",
    re.IGNORECASE,
)
_SPLIT = re.compile(
    r"\s*[,;]\s*|\.\s+|\s+(?=(?:for|from|on|with|without|under|near|before|after|by|in|at|"
    r"within|including|but)\s)|\s+and\s+(?=(?:then\s+)?(?:book|reserve|ask|get|find|also|"
    r"make|check|request|order)\b)",
    re.IGNORECASE,
)
_LEAD = re.compile(
    r"^\s*(and\s+|then\s+|also\s+)*((you|i)\s+(want|need|would like|'d like|wish|have)\s+to\s+)?",
    re.IGNORECASE,
)
_BARE_VERB = re.compile(r"^(ask|request|find out|get|check)$", re.IGNORECASE)
_REQUEST = re.compile(
    r"^(ask|request|get|find out|check)\s+(for\s+|about\s+|what\s+)?(the|their|its|his|her)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One thing the user must get across or get done.

    Attributes:
        id: Stable id (``hotel-area``, ``hotel-phone?``, ``hotel-booking``, ``c2``).
        kind: ``inform`` (a constraint to state), ``request`` (information to obtain) or
            ``action`` (something the other side must do).
        text: The item in words ("in the north", "the phone number", "book a double room").
        domain: The domain of a structured goal.
        slot: The slot of a structured goal.
        values: The values that count as stating it (a fallback value too).
    """

    id: str
    kind: ItemKind
    text: str
    domain: str | None = None
    slot: str | None = None
    values: tuple[str, ...] = ()

    def conveyed(self, user_text: str) -> bool:
        """Whether the user's text (its turns joined) states or asks for this item."""
        said = clean_text(user_text)
        if self.slot is None:
            words = content_words(self.text)
            if not words:
                return True
            return len(words & content_words(said)) / len(words) >= 0.5
        if self.kind == "request":
            return re.search(REQUEST_WORDS.get(self.slot, re.escape(self.slot)), said) is not None
        if self.kind == "action":  # asking for the reference number is asking for the booking
            return re.search(r"\b(book|reserv|reference|ticket)", said) is not None
        if self.slot in ("parking", "internet"):
            return self.slot in said or (self.slot == "internet" and "wifi" in said)
        return any(value_pattern(self.slot, v).search(said) for v in self.values)

    def obtained(self, other_text: str) -> bool:
        """Whether the other side's text gave what this request asks for, or made the booking
        (a statement, not a question); constraints are never obtained, only stated."""
        if self.kind == "action" and self.slot == "booking":
            return any(_BOOKED.search(s) for s in _statements(other_text))
        if self.kind != "request" or self.slot is None:
            return False
        statements = _statements(other_text)
        cue = GIVEN_CUES.get(self.slot)
        if cue is not None and any(re.search(cue, s) for s in statements):
            return True
        # what the agenda user's keyword NLU reads in a statement ("it serves indian food")
        domain = self.domain or ""
        return any(
            slot == self.slot and value
            for s in statements
            for slot, value in detect_slot_values(s, domain)
        )


@dataclass(frozen=True)
class Checklist:
    """A goal's checklist and where it came from."""

    items: tuple[ChecklistItem, ...]
    source: ChecklistSource
    goal: str = ""
    notes: tuple[str, ...] = field(default=())

    @classmethod
    def from_task(cls, task: TaskGoal) -> Checklist:
        """The checklist of a structured goal: each constraint and booking value (the value
        tried first and its fallback both count), each requested slot, each booking."""
        items: list[ChecklistItem] = []
        for d in task.domains:
            for slot, value in {**d.inform, **d.book}.items():
                if value == DONTCARE:
                    continue
                first = d.fail_inform.get(slot) or d.fail_book.get(slot)
                values = (first, value) if first and first != value else (value,)
                label = slot.removeprefix("book ")
                items.append(
                    ChecklistItem(
                        f"{d.domain}-{slot}",
                        "inform",
                        f"{label} {values[0]}",
                        d.domain,
                        slot,
                        values,
                    )
                )
            for slot in d.requests:
                items.append(
                    ChecklistItem(f"{d.domain}-{slot}?", "request", f"the {slot}", d.domain, slot)
                )
            if d.wants_booking:
                items.append(
                    ChecklistItem(
                        f"{d.domain}-booking", "action", f"book the {d.domain}", d.domain, "booking"
                    )
                )
        return cls(tuple(items), "structured", task.description)

    def coverage(
        self, user_turns: Sequence[str], other_turns: Sequence[str] = ()
    ) -> tuple[int, int]:
        """``(covered, total)``: items the user's turns state or ask for, or that the other
        side's turns gave (requests answered unasked, a booking made)."""
        return len(self.items) - len(self.pending(user_turns, other_turns)), len(self.items)

    def covered(self, user_turns: Sequence[str], other_turns: Sequence[str] = ()) -> bool:
        """Whether every item is covered (an empty checklist is)."""
        return not self.pending(user_turns, other_turns)

    def pending(
        self, user_turns: Sequence[str], other_turns: Sequence[str] = ()
    ) -> list[ChecklistItem]:
        """The items neither conveyed by the user nor obtained from the other side, in order."""
        text = "\n".join(user_turns)
        other = "\n".join(other_turns)
        return [i for i in self.items if not i.conveyed(text) and not i.obtained(other)]

    def to_metadata(self) -> dict[str, str | int | float | bool | None]:
        """The checklist as turn metadata (``checklist``, ``checklist.source``)."""
        return {
            "checklist": "; ".join(f"{i.kind}:{i.text}" for i in self.items),
            "checklist.source": self.source,
            **({"checklist.notes": "; ".join(self.notes)} if self.notes else {}),
        }


def rule_checklist(goal: str) -> Checklist:
    """A free-text goal cut into clauses: the first clause with an action verb is an ``action``
    item, the others ``inform`` items; a clause that asks for something ("ask for the address",
    "get the phone number") is a ``request``. Source ``none`` when nothing was found."""
    text = _LEAD.sub("", " ".join(goal.split()))
    if not text:
        return Checklist((), "none", goal, ("empty goal",))
    parts = [p.strip(" .!?") for p in _SPLIT.split(text) if p and p.strip(" .!?")]
    merged: list[str] = []
    for part in (_LEAD.sub("", p) for p in parts):
        if merged and (not content_words(part) or _BARE_VERB.match(merged[-1])):
            merged[-1] = f"{merged[-1]} {part}"
        elif part:
            merged.append(part)
    items: list[ChecklistItem] = []
    for i, part in enumerate(merged):
        kind: ItemKind
        if _REQUEST.match(part):
            kind = "request"
        elif _ACTION.match(part):
            kind = "action"
        else:
            kind = "inform"
        if content_words(part):
            items.append(ChecklistItem(f"c{i + 1}", kind, part))
    if not items:
        return Checklist((), "none", goal, ("no clause with content words",))
    return Checklist(tuple(items), "rules", goal)


_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "constraints": {"type": "array", "items": {"type": "string"}},
        "requests": {"type": "array", "items": {"type": "string"}},
        "actions": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["constraints", "requests", "actions"],
}
_PROMPT = (
    "Split this customer goal into a checklist. constraints: each detail the customer must "
    "state (dates, sizes, prices, places); requests: information the customer must ask for; "
    "actions: what the customer wants done. Use the goal's own words, short phrases.\n\n"
    "Goal: {goal}"
)


async def extract_checklist(goal: str, model: Model) -> Checklist:
    """A checklist from a schema-constrained model call; items that do not reuse the goal's own
    words are dropped, and with none left the rules decide (:func:`rule_checklist`, with a
    note saying why)."""
    output = await model.generate(
        [ChatMessage(role="user", content=_PROMPT.format(goal=goal))],
        config=GenerateConfig(json_schema=_SCHEMA, temperature=0.0, max_tokens=200),
    )
    try:
        data = json.loads(output.text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        fallback = rule_checklist(goal)
        return Checklist(fallback.items, fallback.source, goal, ("llm output was not JSON",))
    goal_words = content_words(goal)
    items: list[ChecklistItem] = []
    for key, kind in (("actions", "action"), ("constraints", "inform"), ("requests", "request")):
        values = data.get(key)
        for value in values if isinstance(values, list) else []:
            phrase = str(value).strip()
            words = content_words(phrase)
            if words and len(words & goal_words) / len(words) >= 0.6:
                items.append(ChecklistItem(f"c{len(items) + 1}", kind, phrase))  # type: ignore[arg-type]
    if not items:
        fallback = rule_checklist(goal)
        return Checklist(
            fallback.items, fallback.source, goal, ("llm items not grounded in the goal",)
        )
    return Checklist(tuple(items), "llm", goal)
