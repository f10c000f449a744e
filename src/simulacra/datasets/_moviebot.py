"""IAI MovieBot dialogues as shipped by UserSimCRS (Apache-2.0) → conversations.

Reads ``annotated_dialogues.json``: a list of ``{conversation_id, conversation: [{participant,
utterance, dialogue_acts}], agent, user}``. ``USER`` → ``user`` (a real person), ``AGENT`` →
``system`` (the MovieBot recommender, a real bot: kind ``ai_system``). Each turn keeps its
dialogue acts as ``metadata.acts`` (``intent(SLOT=value);...``, UserSimCRS' intents and slots).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import (
    CorpusInfo,
    RealTurn,
    as_list,
    build_conversation,
    field,
    read_json,
)
from simulacra.errors import ConfigError

__all__ = ["MOVIEBOT", "read_moviebot"]

MOVIEBOT = CorpusInfo(
    name="moviebot",
    source="IAI MovieBot v1 dialogues (iai-group/UserSimCRS data/datasets/moviebot)",
    licence="Apache-2.0",
    citation=(
        "Habib et al., 2020, IAI MovieBot: A Conversational Movie Recommender System, CIKM; "
        "Afzali et al., 2023, UserSimCRS, WSDM"
    ),
)

_SIDES = {"USER": "user", "AGENT": "system"}


def _acts(raw: Any) -> str:
    parts = []
    for act in raw or []:
        slots = [
            f"{s[0]}={s[1]}" if len(s) > 1 and s[1] is not None else str(s[0])
            for s in act.get("slot_values") or []
            if s
        ]
        parts.append(f"{act.get('intent', '')}({','.join(slots)})")
    return ";".join(parts)


def read_moviebot(path: str | Path, *, limit: int | None = None) -> Iterator[Conversation]:
    """The dialogues of a UserSimCRS ``annotated_dialogues.json``."""
    file = Path(path)
    for index, d in enumerate(as_list(read_json(file), file, "MovieBot dialogues")):
        if limit is not None and index >= limit:
            return
        where = f"dialogue {index}"
        cid = str(field(d, "conversation_id", file, where)).strip('"')
        turns = []
        for i, t in enumerate(field(d, "conversation", file, where)):
            who = field(t, "participant", file, f"{where}, turn {i}")
            if who not in _SIDES:
                raise ConfigError(f"{file}: {where}, turn {i}: unknown participant {who!r}")
            text = str(field(t, "utterance", file, f"{where}, turn {i}")).strip()
            turns.append(RealTurn(_SIDES[who], text, {"acts": _acts(t.get("dialogue_acts"))}))
        yield build_conversation(
            info=MOVIEBOT,
            file=file,
            id=cid,
            turns=turns,
            user_name="User",
            system_name="IAI MovieBot",
            system_kind=ParticipantKind.AI_SYSTEM,
            user_role="USER",
            system_role="AGENT",
            scenario_id="moviebot:recommendation",
            metadata={"goal": "Get a movie recommendation that suits your taste."},
        )
