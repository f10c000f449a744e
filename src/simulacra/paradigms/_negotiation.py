"""Negotiation as data (CaSiNo-style, survey §4.2 and App. C): parties with private priorities,
structured moves parsed from what they say, and CaSiNo scoring (real CaSiNo dialogues as setups:
:mod:`simulacra.paradigms._casino`).

Everything here is pure (no model calls); :mod:`simulacra.paradigms._human_human` runs the
conversation. The moves a party can make, each on a line of its own, parsed leniently:

- ``DEAL: food=2 water=1 firewood=0`` — a proposal of what the *speaker* gets (the other party
  gets the rest). Also ``DEAL: 2 food, 1 water, 0 firewood``, ``**Deal:** Food: 2, ...``, number
  words, plurals and unique short names (``wood``), and both sides (``DEAL: I get food=2 ...;
  you get food=1 ...``, which must add up to what there is);
- ``ACCEPT`` (or ``I accept ...``, ``Accept-Deal``) — takes the other party's pending proposal;
- ``REJECT`` — turns it down (a DEAL line in the same message is a counter-proposal);
- ``WALK AWAY`` — ends the negotiation without a deal.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from simulacra.conversation import Turn

__all__ = [
    "CASINO_ITEMS",
    "CASINO_POINTS",
    "WALK_AWAY",
    "Move",
    "NegotiationOutcome",
    "PartyBrief",
    "ProposedDeal",
    "analyse_negotiation",
    "parse_deal",
    "parse_move",
    "score",
]

CASINO_ITEMS: dict[str, int] = {"food": 3, "water": 3, "firewood": 3}
"""The CaSiNo packages: three each of food, water and firewood."""
CASINO_POINTS: dict[str, int] = {"high": 5, "medium": 4, "low": 3}
"""CaSiNo points per package by the priority of its item."""
WALK_AWAY = "WALK AWAY"
"""The line with which a party leaves without a deal."""

_NUMBER_WORDS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]
    )
}
_NUM = r"-?\d+(?:\.\d+)?|" + "|".join(_NUMBER_WORDS)
_NAME_VALUE = re.compile(rf"([a-z]+)\s*(?:=|:|-)\s*({_NUM})\b")
_VALUE_NAME = re.compile(rf"\b({_NUM})\s*(?:x\s*)?([a-z]+)")
_DEAL_LINE = re.compile(r"(?im)^[^\w\n]*deal\b[^\w\n]*(.*)$")
_ACCEPT = re.compile(r"(?im)^[^\w\n]*(?:i\s+|we\s+)?accept(?:ed)?\b")
_REJECT = re.compile(r"(?im)^[^\w\n]*(?:i\s+|we\s+)?reject(?:ed)?\b")
_WALK = re.compile(r"(?im)^[^\w\n]*(?:i\s+|we\s+)?walk(?:ing)?[\s-]*away\b")
_THEIRS = re.compile(r"\b(?:you|your|yours|they|them|their|other|partner)\b")
_MINE = re.compile(r"\b(?:i|me|my|mine)\b")


@dataclass(frozen=True)
class ProposedDeal:
    """A parsed ``DEAL`` line.

    Attributes:
        mine: What the proposer gets, item by item (``None`` if unparseable).
        theirs: What the other party gets.
        valid: Every item is allocated, in whole units, and the two sides add up to what
            there is.
        error: Why it is not valid (one line), else ``None``.
        line: The line as written.
    """

    mine: dict[str, int] | None
    theirs: dict[str, int] | None
    valid: bool
    error: str | None
    line: str

    def describe(self) -> str:
        """``food=2 water=1 firewood=0`` (what the proposer gets), or the line if invalid."""
        return _describe(self.mine) if self.mine is not None else self.line


@dataclass(frozen=True)
class Move:
    """What one message does in the negotiation.

    Attributes:
        accept: It accepts the other party's pending proposal.
        reject: It rejects it.
        walk_away: The speaker leaves without a deal.
        deal: A proposal (or counter-proposal), if the message has a DEAL line.
    """

    accept: bool = False
    reject: bool = False
    walk_away: bool = False
    deal: ProposedDeal | None = None

    @property
    def kind(self) -> str:
        """``walk_away``, ``accept``, ``reject``, ``propose`` or ``talk``."""
        if self.walk_away:
            return "walk_away"
        if self.accept:
            return "accept"
        if self.reject:
            return "reject"
        return "propose" if self.deal is not None else "talk"


class PartyBrief(BaseModel):
    """One party's private side of a negotiation.

    Attributes:
        id: The participant id.
        priorities: Item → priority level (a key of the points table, e.g. ``high``).
        reasons: Item → why it matters (or not) to this party.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    priorities: dict[str, str]
    reasons: dict[str, str] = {}


def _describe(allocation: Mapping[str, int]) -> str:
    return " ".join(f"{item}={n}" for item, n in allocation.items())


def _item_for(word: str, items: Sequence[str]) -> str | None:
    word = word.lower()
    for item in items:
        if word in (item, item + "s", item + "es") or word.rstrip("s") == item:
            return item
    close = [i for i in items if len(word) >= 3 and (i.endswith(word) or i.startswith(word))]
    return close[0] if len(close) == 1 else None


def _number(text: str) -> float:
    return float(_NUMBER_WORDS[text]) if text in _NUMBER_WORDS else float(text)


def parse_deal(text: str, items: Mapping[str, int]) -> ProposedDeal | None:
    """The last ``DEAL`` line of a message, or ``None`` if it has none (with item counts).

    Args:
        text: The message.
        items: Item → how many units there are.
    """
    lines = [m.group(1) for m in _DEAL_LINE.finditer(text)]
    for raw in reversed(lines):
        line = raw.lower()
        pairs = [(m.start(), m.group(1), m.group(2)) for m in _NAME_VALUE.finditer(line)]
        if not pairs:
            pairs = [(m.start(), m.group(2), m.group(1)) for m in _VALUE_NAME.finditer(line)]
        if pairs:
            return _allocation(raw.strip(), line, pairs, items)
    return None


def _allocation(
    raw: str, line: str, pairs: list[tuple[int, str, str]], items: Mapping[str, int]
) -> ProposedDeal:
    def invalid(error: str) -> ProposedDeal:
        return ProposedDeal(mine=None, theirs=None, valid=False, error=error, line=raw)

    names = list(items)
    segments: list[tuple[int, dict[str, float]]] = [(0, {})]
    for start, word, value in pairs:
        item = _item_for(word, names)
        if item is None:
            return invalid(f"unknown item {word!r} (items: {', '.join(names)})")
        if item in segments[-1][1]:  # a repeated item starts the other side's allocation
            segments.append((start, {}))
        segments[-1][1][item] = _number(value)
    if len(segments) > 2:
        return invalid("more than two allocations in one DEAL line")
    owners: list[str] = []
    end = 0
    for k, (start, _) in enumerate(segments):
        first = start if k else pairs[0][0]
        before = line[end:first]
        last_theirs = max((m.start() for m in _THEIRS.finditer(before)), default=-1)
        last_mine = max((m.start() for m in _MINE.finditer(before)), default=-1)
        if last_theirs > last_mine:
            owners.append("theirs")
        elif last_mine > last_theirs:
            owners.append("mine")
        else:
            owners.append("mine" if k == 0 or owners[0] == "theirs" else "theirs")
        end = first
    if len(owners) == 2 and owners[0] == owners[1]:
        owners[1] = "theirs" if owners[0] == "mine" else "mine"
    sides = {owner: alloc for owner, (_, alloc) in zip(owners, segments, strict=True)}
    mine_f, theirs_f = sides.get("mine", {}), sides.get("theirs", {})
    mine: dict[str, int] = {}
    theirs_out: dict[str, int] = {}
    for item, total in items.items():
        a, b = mine_f.get(item), theirs_f.get(item)
        for v in (a, b):
            if v is not None and (v != int(v) or not 0 <= v <= total):
                return invalid(f"{item}={v:g}: not a whole number from 0 to {total}")
        if a is None and b is None:
            return invalid(f"{item} is missing")
        if a is not None and b is not None and a + b != total:
            return invalid(f"{item}: {a:g} + {b:g} is not the {total} there are")
        mine[item] = int(a) if a is not None else total - int(b or 0)
        theirs_out[item] = total - mine[item]
    return ProposedDeal(mine=mine, theirs=theirs_out, valid=True, error=None, line=raw)


def parse_move(text: str, items: Mapping[str, int]) -> Move:
    """What a message does: accept, reject, walk away, propose (see the module docstring)."""
    return Move(
        accept=_ACCEPT.search(text) is not None,
        reject=_REJECT.search(text) is not None,
        walk_away=_WALK.search(text) is not None,
        deal=parse_deal(text, items),
    )


def score(
    allocation: Mapping[str, int],
    priorities: Mapping[str, str],
    points: Mapping[str, int] = CASINO_POINTS,
) -> int:
    """Points of one party for what it gets: units × the points of the item's priority.

    CaSiNo: high 5, medium 4, low 3 points per package (e.g. food=2 high, water=1 low,
    firewood=0 → 2×5 + 1×3 = 13).
    """
    return sum(n * points[priorities[item].lower()] for item, n in allocation.items())


class NegotiationOutcome(BaseModel):
    """How a negotiation ended and what each party scored.

    Attributes:
        status: ``deal`` (a valid proposal was accepted), ``walk_away`` or ``no_deal``
            (the conversation ended otherwise, e.g. at max turns).
        allocation: Party id → what it gets (only with a deal).
        points: Party id → points (walk-away points each without a deal).
        joint_points: The sum of both parties' points.
        max_joint_points: The most the two could have scored together (each unit to the party
            that values it more).
        integrative_potential: How much trading can add over an even split:
            Σ units × |points of A − points of B| / 2; 0 when both have the same priorities.
        valid: Whether the deal's allocation adds up to what there is (``None`` without one).
        proposals: DEAL lines made; invalid_proposals: those that were not valid.
        accepted_turn: The index of the accepting turn; walked_away_by: who left.
        events: One event per move (``deal_proposed``, ``deal_accepted``, ``deal_rejected``,
            ``accept_without_offer``, ``walk_away``), with the index of its ``turn``.
    """

    model_config = ConfigDict(extra="forbid")

    status: Literal["deal", "walk_away", "no_deal"]
    allocation: dict[str, dict[str, int]] | None = None
    points: dict[str, int]
    joint_points: int
    max_joint_points: int
    integrative_potential: float
    valid: bool | None = None
    proposals: int = 0
    invalid_proposals: int = 0
    accepted_turn: int | None = None
    walked_away_by: str | None = None
    events: list[dict[str, object]] = []

    def metadata(self) -> dict[str, str | int | float | bool | None]:
        """Flat fields for ``conversation.metadata``."""
        out: dict[str, str | int | float | bool | None] = {
            "negotiation": self.status,
            "deal_reached": self.status == "deal",
            "deal_valid": self.valid,
            "joint_points": self.joint_points,
            "max_joint_points": self.max_joint_points,
            "integrative_potential": self.integrative_potential,
            "proposals": self.proposals,
        }
        for party, p in self.points.items():
            out[f"points.{party}"] = p
        if self.allocation is not None:
            for party, alloc in self.allocation.items():
                out[f"allocation.{party}"] = _describe(alloc)
        return out


def analyse_negotiation(
    turns: Sequence[Turn],
    parties: Sequence[PartyBrief],
    *,
    items: Mapping[str, int] = CASINO_ITEMS,
    points: Mapping[str, int] = CASINO_POINTS,
    walk_away_points: int = 5,
) -> NegotiationOutcome:
    """Replay the moves of a two-party negotiation and score the result.

    A proposal stays pending until the other party accepts it (a deal: the negotiation is
    over), rejects it, or a new proposal replaces it. An ACCEPT with no valid pending proposal
    from the other party is recorded (``accept_without_offer``) and changes nothing.
    """
    a, b = parties
    other = {a.id: b.id, b.id: a.id}
    values = {p.id: {i: points[p.priorities[i].lower()] for i in items} for p in parties}
    max_joint = sum(n * max(values[a.id][i], values[b.id][i]) for i, n in items.items())
    potential = sum(n * abs(values[a.id][i] - values[b.id][i]) for i, n in items.items()) / 2
    events: list[dict[str, object]] = []
    pending: tuple[str, ProposedDeal] | None = None
    proposals = invalid = 0
    status: Literal["deal", "walk_away", "no_deal"] = "no_deal"
    allocation: dict[str, dict[str, int]] | None = None
    accepted_turn: int | None = None
    walked: str | None = None
    for index, turn in enumerate(turns):
        if turn.speaker not in other:
            continue
        move = parse_move(turn.utterance, items)
        if move.walk_away:
            events.append({"type": "walk_away", "turn": index, "by": turn.speaker})
            status, walked = "walk_away", turn.speaker
            break
        if move.accept:
            if pending is not None and pending[0] == other[turn.speaker]:
                proposer, deal = pending
                assert deal.mine is not None and deal.theirs is not None
                allocation = {proposer: deal.mine, turn.speaker: deal.theirs}
                events.append({"type": "deal_accepted", "turn": index, "by": turn.speaker})
                status, accepted_turn = "deal", index
                break
            events.append({"type": "accept_without_offer", "turn": index, "by": turn.speaker})
            continue
        if move.reject:
            events.append({"type": "deal_rejected", "turn": index, "by": turn.speaker})
            pending = None
        if move.deal is not None:
            proposals += 1
            deal = move.deal
            event: dict[str, object] = {
                "type": "deal_proposed",
                "turn": index,
                "by": turn.speaker,
                "valid": deal.valid,
                "line": deal.line,
            }
            if deal.valid:
                event["gets"] = dict(deal.mine or {})
                pending = (turn.speaker, deal)
            else:
                invalid += 1
                event["error"] = deal.error
            events.append(event)
    if allocation is not None:
        scores = {pid: score(alloc, _brief(parties, pid).priorities, points)
                  for pid, alloc in allocation.items()}  # fmt: skip
        valid = all(sum(alloc[i] for alloc in allocation.values()) == n for i, n in items.items())
    else:
        scores = {p.id: walk_away_points for p in parties}
        valid = None
    return NegotiationOutcome(
        status=status,
        allocation=allocation,
        points=scores,
        joint_points=sum(scores.values()),
        max_joint_points=max_joint,
        integrative_potential=potential,
        valid=valid,
        proposals=proposals,
        invalid_proposals=invalid,
        accepted_turn=accepted_turn,
        walked_away_by=walked,
        events=events,
    )


def _brief(parties: Sequence[PartyBrief], pid: str) -> PartyBrief:
    return next(p for p in parties if p.id == pid)
