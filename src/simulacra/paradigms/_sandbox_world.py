"""The sandbox's pure parts: who meets whom, parsing model replies, splitting the record."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence

from simulacra._json import parse_json_object
from simulacra.conversation import Conversation, TerminationReason
from simulacra.paradigms._sandbox_options import PlanItem

__all__ = [
    "INSIGHT_SCHEMA",
    "RATING_SCHEMA",
    "choose_encounters",
    "parse_json",
    "parse_plan",
    "short",
    "split_encounters",
]

RATING_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {"rating": {"type": "integer", "minimum": 1, "maximum": 10}},
    "required": ["rating"],
}
INSIGHT_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "insight": {"type": "string", "maxLength": 200},
        "because_of": {"type": "array", "items": {"type": "integer"}},
    },
    "required": ["insight", "because_of"],
}
_MEMORY_CHARS = 400


def choose_encounters(
    positions: Mapping[str, str],
    *,
    rng: random.Random,
    chance: float,
    scheduled: Sequence[tuple[Sequence[str], str]] = (),
) -> list[tuple[list[str], str, str]]:
    """Who meets whom this step: ``(agent ids in speaking order, location, kind)``.

    Scheduled encounters come first (kind ``scheduled``); an agent meets at most once per step.
    Then, at each location (in sorted order) where at least two agents are still free, two of
    them meet with probability ``chance`` (kind ``chance``; ``rng`` picks them and who speaks
    first), so the same seed and positions give the same encounters.
    """
    busy: set[str] = set()
    out: list[tuple[list[str], str, str]] = []
    for agents, location in scheduled:
        if busy.isdisjoint(agents):
            out.append((list(agents), location, "scheduled"))
            busy.update(agents)
    by_location: dict[str, list[str]] = {}
    for agent, location in positions.items():
        by_location.setdefault(location, []).append(agent)
    for location in sorted(by_location):
        free = [a for a in by_location[location] if a not in busy]
        if len(free) >= 2 and rng.random() < chance:
            pair = rng.sample(free, 2)
            out.append((pair, location, "chance"))
            busy.update(pair)
    return out


parse_json = parse_json_object


def short(text: str, limit: int = _MEMORY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


_PLAN_LINE = re.compile(r"^\W*(\d{1,2})(?::\d{2})?\s*([ap]\.?m\.?)?(.*)$", re.IGNORECASE)


def parse_plan(
    text: str, *, locations: Sequence[str], first_hour: int, last_hour: int
) -> list[PlanItem]:
    """The valid lines of a model's plan (``10:00 cafe - coffee with Bob``, one per hour or
    separated by ``;``): an
    hour in range (``2pm`` is 14) and a known location (the first one the line names, any
    case); the activity is what follows it. The first line for an hour wins."""
    plan: dict[int, PlanItem] = {}
    for line in re.split(r"[\n;]", text):  # small models put several hours on a line
        match = _PLAN_LINE.match(line)
        if match is None:
            continue
        hour, suffix, rest = int(match[1]), (match[2] or "").lower(), match[3]
        if suffix.startswith("p") and hour < 12:
            hour += 12
        found = [
            (m.start(), m.end(), place)
            for place in locations
            if (m := re.search(rf"\b{re.escape(place)}\b", rest, re.IGNORECASE)) is not None
        ]
        if not found or not first_hour <= hour <= last_hour or hour in plan:
            continue
        _, end, place = min(found)
        activity = rest[end:].strip(" -–—:,.;")
        plan[hour] = PlanItem(hour=hour, location=place, activity=short(activity, 80))
    return [plan[h] for h in sorted(plan)]


def _str(value: object, default: str = "") -> str:
    return value if isinstance(value, str) else default


def split_encounters(conversation: Conversation) -> list[Conversation]:
    """Cut a sandbox record into one conversation per encounter, in order.

    Each has the encounter's participants (in speaking order), its turns, the model calls its
    turns reference, its termination, and metadata ``parent_id``, ``encounter``, ``step``,
    ``location`` and ``encounter_kind``; its id is ``<parent id>:<encounter>``. A record without
    encounters (or not from the sandbox) gives an empty list.
    """
    ends = {e.get("encounter"): e for e in conversation.events if e.get("type") == "encounter_end"}
    by_id = {p.id: p for p in conversation.participants}
    out: list[Conversation] = []
    for start in conversation.events:
        if start.get("type") != "encounter_start":
            continue
        index = start.get("encounter")
        agents = start.get("agents")
        ids = (
            [a for a in agents if isinstance(a, str) and a in by_id]
            if isinstance(agents, list)
            else []
        )
        turns = [
            t.model_copy(deep=True)
            for t in conversation.turns
            if t.metadata.get("encounter") == index
        ]
        call_ids = {ref.call_id for t in turns for ref in t.model_calls}
        end = ends.get(index, {})
        termination = _str(end.get("termination"))
        usage = end.get("usage")
        out.append(
            Conversation(
                id=f"{conversation.id}:{index}",
                participants=[by_id[a].model_copy(deep=True) for a in ids],
                turns=turns,
                scenario_id=conversation.scenario_id,
                termination=TerminationReason(termination)
                if termination in TerminationReason.__members__.values()
                else None,
                error=_str(end.get("error")) or None,
                ended_by=_str(end.get("ended_by")) or None,
                model_calls=[c for c in conversation.model_calls if c.get("call_id") in call_ids],
                usage={k: v for k, v in usage.items() if isinstance(v, int)}
                if isinstance(usage, dict)
                else {},
                metadata={
                    "paradigm": "sandbox",
                    "parent_id": conversation.id,
                    "encounter": index if isinstance(index, int) else None,
                    "step": start.get("step") if isinstance(start.get("step"), int) else None,
                    "location": _str(start.get("location")),
                    "encounter_kind": _str(start.get("kind")),
                },
            )
        )
    return out
