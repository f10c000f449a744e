"""CaSiNo campsite negotiations (Chawla et al., 2021; CC BY 4.0) → conversations.

Both sides are crowd workers negotiating over food, water and firewood. Convention: the
participant ``mturk_agent_1`` is the ``user`` (``user_agent="mturk_agent_2"`` swaps them), the
other is the ``system`` side, kind ``human``. The user's profile is their own questionnaire
(demographics, social value orientation, Big Five) as a :class:`Persona`, via
:func:`casino_personas`' reader; their priorities and reasons are the goal. Outcomes (points,
satisfaction) go into metadata (``outcome.*``) — never into the profile or goal, which a
simulator is prompted with. The deal moves (``Submit-Deal``, ``Accept-Deal``, ``Reject-Deal``,
``Walk-Away``) are not utterances: they become events with their task data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._casino_json import casino_files, casino_records
from simulacra.datasets._corpus import (
    CorpusInfo,
    RealTurn,
    build_conversation,
    field,
)
from simulacra.datasets._personas import _casino_persona
from simulacra.errors import ConfigError

__all__ = ["CASINO", "read_casino"]

CASINO = CorpusInfo(
    name="casino",
    source="CaSiNo (kushalchawla/CaSiNo)",
    licence="CC BY 4.0",
    citation="Chawla et al., 2021, CaSiNo: A Corpus of Campsite Negotiation Dialogues, NAACL",
)

DEAL_MOVES = frozenset({"Submit-Deal", "Accept-Deal", "Reject-Deal", "Walk-Away"})
_AGENTS = ("mturk_agent_1", "mturk_agent_2")


def _goal(info: Mapping[str, Any]) -> str:
    issues = info["value2issue"]
    reasons = info.get("value2reason") or {}
    parts = [
        f"{issues[level]} ({level.lower()} priority: {str(reasons.get(level, '')).strip()})"
        for level in ("High", "Medium", "Low")
    ]
    return "Negotiate for the camping supplies you need most: " + "; ".join(parts)


def read_casino(
    path: str | Path, *, limit: int | None = None, user_agent: str = "mturk_agent_1"
) -> Iterator[Conversation]:
    """The dialogues of a CaSiNo file (``casino_valid.json``, ``casino.json``) or folder."""
    if user_agent not in _AGENTS:
        raise ConfigError(f"user_agent: must be one of {', '.join(_AGENTS)}, got {user_agent!r}")
    other = _AGENTS[1 - _AGENTS.index(user_agent)]
    count = 0
    for file in casino_files(path):
        for index, d in enumerate(casino_records(file)):
            if limit is not None and count >= limit:
                return
            where = f"dialogue {index}"
            did = str(field(d, "dialogue_id", file, where))
            infos = field(d, "participant_info", file, where)
            turns: list[RealTurn] = []
            events: list[dict[str, object]] = []
            for i, t in enumerate(field(d, "chat_logs", file, where)):
                speaker = field(t, "id", file, f"{where}, turn {i}")
                text = str(field(t, "text", file, f"{where}, turn {i}"))
                if speaker not in _AGENTS:
                    raise ConfigError(f"{file}: {where}, turn {i}: unknown speaker {speaker!r}")
                side = "user" if speaker == user_agent else "system"
                if text in DEAL_MOVES:
                    events.append(
                        {
                            "type": "deal",
                            "turn": len(turns),
                            "by": side,
                            "move": text,
                            "task_data": t.get("task_data") or {},
                        }
                    )
                else:
                    turns.append(RealTurn(side, text))
            try:
                mine = infos[user_agent]
                profile = _casino_persona(f"casino:{did}:{user_agent}", mine)
                goal = _goal(mine)
                outcome = {
                    f"outcome.{k}": mine["outcomes"][k]
                    for k in ("points_scored", "satisfaction", "opponent_likeness")
                }
            except (KeyError, TypeError, ValueError) as exc:
                raise ConfigError(
                    f"{file}: {where}: missing or bad participant_info {exc}"
                ) from None
            count += 1
            yield build_conversation(
                info=CASINO,
                file=file,
                id=did,
                turns=turns,
                user_name="Camper",
                system_name="Other camper",
                system_kind=ParticipantKind.HUMAN,
                user_role=user_agent,
                system_role=other,
                scenario_id=f"casino:{did}",
                metadata={"goal": goal, **outcome},
                events=events,
                user_profile=profile,
            )
