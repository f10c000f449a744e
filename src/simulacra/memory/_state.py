"""A structured goal/preference memory (CSHI-style, survey §5.2): slots the user holds, what it
has already said, what it still wants to learn; updated from each turn and queried by the
user's current sub-goal."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulacra.memory._base import Hit

if TYPE_CHECKING:
    from simulacra.participants import TaskGoal

__all__ = ["PreferenceState", "SlotMemory"]

# How people (and MultiWOZ systems) refer to each slot.
_CUES: dict[str, tuple[str, ...]] = {
    "area": ("area", "part of town", "side of town", "location", "where in"),
    "price range": ("price", "expensive", "cheap", "budget", "moderate", "cost"),
    "food": ("food", "cuisine", "type of restaurant", "kind of restaurant"),
    "stars": ("star",),
    "type": ("type", "kind of", "sort of"),
    "parking": ("parking",),
    "internet": ("internet", "wifi", "wi-fi"),
    "name": ("name", "which one", "particular"),
    "department": ("department",),
    "book people": ("how many people", "how many guests", "people", "party", "guests"),
    "book day": ("what day", "which day", "day", "when"),
    "book stay": ("night", "how long", "stay"),
    "book time": ("what time", "time"),
    "departure": ("depart", "leaving from", "where from", "from where", "departure"),
    "destination": ("destination", "going to", "where to", "heading", "travel to"),
    "leave at": ("leave", "departure time", "when would you like to leave"),
    "arrive by": ("arrive", "arrival", "get there by"),
    "day": ("what day", "which day", "day", "when"),
    "address": ("address",),
    "phone": ("phone", "number"),
    "postcode": ("postcode", "post code", "postal"),
    "ref": ("reference", "ref", "confirmation"),
    "entrance fee": ("entrance", "fee", "admission"),
    "train id": ("train id", "tr"),
    "price": ("price", "cost", "gbp", "pounds"),
    "duration": ("minutes", "duration", "travel time"),
    "car type": ("car", "vehicle"),
    "open hours": ("open", "hours"),
}
_QUESTION = re.compile(r"\?|\b(what|which|when|where|how many|do you|would you|any preference)\b")


@dataclass
class SlotMemory:
    """What the user holds and still wants in one domain (one sub-goal)."""

    domain: str
    constraints: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    told: set[str] = field(default_factory=set)
    received: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        """Every constraint said and every request answered."""
        return set(self.constraints) <= self.told and set(self.requests) <= self.received


def _mentions(text: str, slot: str) -> bool:
    return any(re.search(rf"\b{re.escape(c)}", text) for c in _CUES.get(slot, (slot,)))


class PreferenceState:
    """The user's preferences and open requests, per sub-goal, kept up to date from the turns.

    Built from a structured task goal (:meth:`from_task`) or a flat ``{slot: value}`` mapping.
    :meth:`update` reads each turn (the user's own: values said; the other side's: requested
    slots answered); :meth:`query` answers the other side's latest message from the state —
    the slots it asks about, else what the current sub-goal still needs.

    Args:
        sub_goals: The sub-goals in order.
    """

    def __init__(self, sub_goals: list[SlotMemory]) -> None:
        self.sub_goals = sub_goals

    @classmethod
    def from_task(cls, task: TaskGoal) -> PreferenceState:
        """One sub-goal per domain of a task goal (constraints = inform + book slots)."""
        return cls(
            [
                SlotMemory(
                    domain=d.domain,
                    constraints={**d.inform, **d.book},
                    requests=list(d.requests) + (["ref"] if d.book else []),
                )
                for d in task.domains
            ]
        )

    @classmethod
    def from_preferences(cls, preferences: Mapping[str, str]) -> PreferenceState:
        """One sub-goal holding the given preferences."""
        return cls([SlotMemory(domain="general", constraints=dict(preferences))])

    @property
    def current(self) -> SlotMemory | None:
        """The first sub-goal not done yet."""
        return next((g for g in self.sub_goals if not g.done), None)

    def update(self, text: str, *, own: bool) -> None:
        """Read one turn: ``own`` for the user's message (values it said are marked told), else
        the other side's (requested slots it mentions outside a question are received)."""
        low = text.lower()
        for goal in self.sub_goals:
            if own:
                for slot, value in goal.constraints.items():
                    if value and value.lower() in low:
                        goal.told.add(slot)
            elif not _QUESTION.search(low) or re.search(r"\d", low):
                for slot in goal.requests:
                    if _mentions(low, slot):
                        goal.received.add(slot)

    def query(self, message: str) -> list[Hit]:
        """What the state says about the other side's ``message``: the user's values for the
        slots it asks about (rank first), then the current sub-goal's open items."""
        low = message.lower()
        lines: list[tuple[str, str]] = []
        current = self.current
        if _QUESTION.search(low):
            for goal in [current, *self.sub_goals] if current else self.sub_goals:
                if goal is None:
                    continue
                for slot, value in goal.constraints.items():
                    key = f"state:{goal.domain}.{slot}"
                    if _mentions(low, slot) and key not in dict(lines):
                        lines.append(
                            (key, f"You were asked about {slot} ({goal.domain}): say {value}.")
                        )
        if current is not None:
            untold = {s: v for s, v in current.constraints.items() if s not in current.told}
            if untold:
                said = ", ".join(f"{s} = {v}" for s, v in untold.items())
                lines.append((f"state:{current.domain}.untold", f"Not yet said: {said}."))
            wanted = [s for s in current.requests if s not in current.received]
            if wanted:
                lines.append(
                    (f"state:{current.domain}.wanted", f"Still to find out: {', '.join(wanted)}.")
                )
        return [Hit(id=i, text=t, score=1.0, rank=n) for n, (i, t) in enumerate(lines)]
