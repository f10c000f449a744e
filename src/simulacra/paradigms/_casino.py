"""Real CaSiNo dialogues (../shared/data/casino, CC BY 4.0) as negotiation setups, with what
really happened replayed through :func:`~simulacra.paradigms._negotiation.analyse_negotiation`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulacra.conversation import Turn
from simulacra.datasets import casino_records
from simulacra.errors import ConfigError
from simulacra.paradigms._negotiation import (
    WALK_AWAY,
    NegotiationOutcome,
    PartyBrief,
    _describe,
    analyse_negotiation,
)
from simulacra.profiles import Persona

__all__ = ["CasinoDialogue", "casino_dialogue", "load_casino"]


@dataclass(frozen=True)
class CasinoDialogue:
    """One real CaSiNo dialogue as a negotiation setup, with what really happened.

    Attributes:
        dialogue_id: CaSiNo's ``dialogue_id``.
        briefs: Both participants' priorities and reasons, the first speaker first.
        personas: Their questionnaire answers as personas (demographics, Big Five, SVO).
        turns: The real chat, ``(participant id, text)``, deal actions as ``Submit-Deal`` etc.
        real: What really happened, replayed with :func:`analyse_negotiation` (status,
            allocation, points by the CaSiNo rules).
        recorded_points: The points CaSiNo recorded for each participant.
    """

    dialogue_id: int
    briefs: tuple[PartyBrief, PartyBrief]
    personas: dict[str, Persona]
    turns: list[tuple[str, str]]
    real: NegotiationOutcome = field(compare=False)
    recorded_points: dict[str, int] = field(default_factory=dict)


def load_casino(path: str | Path) -> list[dict[str, object]]:
    """The dialogues of a CaSiNo JSON file (``casino_valid.json``...) or of every
    ``casino*.json`` in a folder, in the original format (read once per file and cached:
    :func:`simulacra.datasets.casino_records`).

    Raises:
        ValueError: The file is missing or not in the CaSiNo format (one line).
    """
    path = Path(path)
    if not path.exists():
        raise ValueError(f"file not found: {path}")
    try:
        return casino_records(path)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None


def casino_dialogue(raw: Mapping[str, object]) -> CasinoDialogue:
    """A CaSiNo dialogue (one entry of :func:`load_casino`) as a negotiation setup.

    Raises:
        ValueError: A field is missing or malformed.
    """
    from simulacra.datasets._personas import _casino_persona

    d: Any = raw
    try:
        dialogue_id = int(d["dialogue_id"])
        info: dict[str, Any] = dict(d["participant_info"])
        logs: list[dict[str, Any]] = list(d["chat_logs"])
        speakers = [str(m["id"]) for m in logs]
        order = sorted(info, key=lambda a: speakers.index(a) if a in speakers else len(logs))
        briefs = [_casino_brief(agent, info[agent]) for agent in order]
        personas = {a: _casino_persona(f"casino:{dialogue_id}:{a}", info[a]) for a in order}
        turns = [(str(m["id"]), str(m["text"])) for m in logs]
        real = analyse_negotiation(_real_turns(logs), briefs)
        recorded = {a: int(info[a]["outcomes"]["points_scored"]) for a in order}
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"CaSiNo dialogue: missing or bad field {exc}") from None
    if len(briefs) != 2:
        raise ValueError(f"CaSiNo dialogue {dialogue_id}: expected two participants")
    return CasinoDialogue(
        dialogue_id, (briefs[0], briefs[1]), personas, turns, real, recorded_points=recorded
    )


def _casino_brief(agent: str, info: Mapping[str, Any]) -> PartyBrief:
    value2issue: dict[str, str] = dict(info["value2issue"])
    value2reason: dict[str, str] = dict(info.get("value2reason") or {})
    return PartyBrief(
        id=agent,
        priorities={item.lower(): level.lower() for level, item in value2issue.items()},
        reasons={
            value2issue[level].lower(): str(reason).strip()
            for level, reason in value2reason.items()
            if level in value2issue
        },
    )


def _real_turns(logs: Sequence[Mapping[str, Any]]) -> list[Turn]:
    """CaSiNo's deal actions as this module's moves; chat lines can never parse as moves."""
    turns = []
    for m in logs:
        text, data = str(m["text"]), m.get("task_data") or {}
        if text == "Submit-Deal":
            you = {k.lower(): int(v) for k, v in data["issue2youget"].items()}
            them = {k.lower(): int(v) for k, v in data["issue2theyget"].items()}
            text = f"DEAL: I get {_describe(you)}; you get {_describe(them)}"
        elif text in _CASINO_ACTIONS:
            text = _CASINO_ACTIONS[text]
        else:
            text = "said: " + text.replace("\n", " ")
        turns.append(Turn(speaker=str(m["id"]), utterance=text))
    return turns


_CASINO_ACTIONS = {"Accept-Deal": "ACCEPT", "Reject-Deal": "REJECT", "Walk-Away": WALK_AWAY}
