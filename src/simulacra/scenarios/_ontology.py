"""Dialogue acts and the MultiWOZ ontology shared by the agenda-based user, its NLU, its
templates and the task-success check.

Slot names follow the ConvLab-3 unified format (lower case, spaces: ``price range``,
``arrive by``, ``book people``); the original MultiWOZ / ConvLab-2 spellings (``pricerange``,
``arriveBy``, ``trainID``, act slots such as ``Addr`` or ``Ref``) are mapped onto them.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "BOOK_SLOTS",
    "DOMAINS",
    "REQUESTABLE",
    "DialogueAct",
    "did_you_mean",
    "format_acts",
    "normalise_slot",
    "parse_acts",
]

DOMAINS: dict[str, frozenset[str]] = {
    "attraction": frozenset({"area", "name", "type"}),
    "hospital": frozenset({"department"}),
    "hotel": frozenset({"area", "internet", "name", "parking", "price range", "stars", "type"}),
    "police": frozenset({"name"}),
    "restaurant": frozenset({"area", "food", "name", "price range"}),
    "taxi": frozenset({"arrive by", "departure", "destination", "leave at"}),
    "train": frozenset({"arrive by", "day", "departure", "destination", "leave at"}),
}
"""Informable (constraint) slots per domain."""

BOOK_SLOTS: dict[str, frozenset[str]] = {
    "hotel": frozenset({"book day", "book people", "book stay"}),
    "restaurant": frozenset({"book day", "book people", "book time"}),
    "train": frozenset({"book people"}),
}
"""Booking slots per domain (a booking goal ends with a reference number)."""

_EXTRA_REQUESTABLE: dict[str, frozenset[str]] = {
    "attraction": frozenset({"address", "entrance fee", "phone", "postcode", "open hours"}),
    "hospital": frozenset({"address", "phone", "postcode"}),
    "hotel": frozenset({"address", "phone", "postcode", "ref"}),
    "police": frozenset({"address", "phone", "postcode"}),
    "restaurant": frozenset({"address", "phone", "postcode", "ref"}),
    "taxi": frozenset({"car type", "phone"}),
    "train": frozenset({"duration", "price", "train id", "ref"}),
}

REQUESTABLE: dict[str, frozenset[str]] = {d: DOMAINS[d] | _EXTRA_REQUESTABLE[d] for d in DOMAINS}
"""Slots a user may ask for, per domain."""

_ALIASES = {
    "pricerange": "price range",
    "price_range": "price range",
    "arriveby": "arrive by",
    "arrive_by": "arrive by",
    "leaveat": "leave at",
    "leave_at": "leave at",
    "trainid": "train id",
    "train_id": "train id",
    "id": "train id",
    "entrance_fee": "entrance fee",
    "fee": "entrance fee",
    "car_type": "car type",
    "car": "car type",
    "addr": "address",
    "post": "postcode",
    "dest": "destination",
    "depart": "departure",
    "arrive": "arrive by",
    "leave": "leave at",
    "ticket": "price",
    "reference": "ref",
    "open": "open hours",
}

_BOOK_SHORT = {"people": "book people", "day": "book day", "stay": "book stay", "time": "book time"}


def normalise_slot(domain: str, slot: str, *, book: bool = False) -> str:
    """The unified name of a slot spelled the MultiWOZ / ConvLab-2 way (``pricerange`` →
    ``price range``); with ``book``, short booking names get their prefix (``people`` →
    ``book people``). Unknown names are returned lower-cased, for the caller to reject."""
    name = slot.strip().lower()
    name = _ALIASES.get(name, _ALIASES.get(name.replace(" ", ""), name))
    if book and name in _BOOK_SHORT:
        return _BOOK_SHORT[name]
    if domain == "train" and name == "time":
        return "duration"
    return name


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or an empty string."""
    options = sorted(known)
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


@dataclass(frozen=True, slots=True)
class DialogueAct:
    """One dialogue act ``intent(domain-slot=value)``.

    User intents: ``inform``, ``request``, ``thank``, ``bye``. System intents (unified format):
    ``inform``, ``recommend``, ``select``, ``request``, ``nooffer``, ``nobook``, ``book``
    (a booking made; value = the reference), ``offerbook``, ``reqmore``, ``welcome``,
    ``greet``, ``bye``.

    Attributes:
        intent: What the act does.
        domain: ``hotel``, ``train``, ... or ``general``.
        slot: The slot (unified name), or ``""``.
        value: The value, or ``""`` (requests carry none).
    """

    intent: str
    domain: str = "general"
    slot: str = ""
    value: str = ""

    def __str__(self) -> str:
        if not self.slot:
            return f"{self.intent}({'' if self.domain == 'general' else self.domain})"
        target = f"{self.domain}-{self.slot}"
        return f"{self.intent}({target}={self.value})" if self.value else f"{self.intent}({target})"


def format_acts(acts: list[DialogueAct] | tuple[DialogueAct, ...]) -> str:
    """The compact form of acts: ``inform(hotel-area=north);request(hotel-phone)``."""
    return ";".join(str(a) for a in acts)


_ACT = re.compile(r"^\s*(\w+)\(\s*([^)=]*?)\s*(?:=\s*([^)]*?)\s*)?\)\s*$")


def parse_acts(text: str) -> list[DialogueAct]:
    """Read the compact form written by :func:`format_acts`.

    Raises:
        ValueError: If a part is not ``intent(...)``.
    """
    acts = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        match = _ACT.match(part)
        if match is None:
            raise ValueError(f"not a dialogue act: {part!r} (expected intent(domain-slot=value))")
        intent, target, value = match.group(1), match.group(2), match.group(3) or ""
        domain, _, slot = target.partition("-")
        acts.append(DialogueAct(intent.lower(), domain or "general", slot, value))
    return acts
