"""Taskmaster (Google; CC BY 4.0) → conversations.

Reads the dialogue files as distributed: TM-1/TM-2/TM-3/TM-4 ``data`` files (a JSON list of
``{conversation_id, instruction_id | vertical/scenario/instructions, utterances}``) and
``sample.json`` (one dialogue). Speakers ``USER``/``user`` → ``user``, ``ASSISTANT``/``assistant``
→ ``system``. TM-4's ``instructions`` (the scenario the worker was given) become
``metadata.instructions`` and its ``scenario`` the goal; TM-1's ``instruction_id`` names the
scenario. ``metadata.service`` is TM-4's vertical (``coffee``) or TM-1's task
(``restaurant-table``). Taskmaster-4 dialogues are *self-dialogues*: one crowd worker wrote both
sides (``metadata.collection``). API calls annotated on a turn are kept as its ``api_calls`` count.
The reward files (context/generation/reward rows) are not dialogues: pointing at one is an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import CorpusInfo, RealTurn, build_conversation, field, read_json
from simulacra.errors import ConfigError

__all__ = ["TASKMASTER", "read_taskmaster"]

TASKMASTER = CorpusInfo(
    name="taskmaster",
    source="Taskmaster (google-research-datasets/Taskmaster)",
    licence="CC BY 4.0",
    citation=(
        "Byrne et al., 2019, Taskmaster-1, EMNLP; TM-4: 'PERL: Parameter Efficient "
        "Reinforcement Learning from Human Feedback', arXiv:2403.10704"
    ),
)

_SIDES = {"user": "user", "assistant": "system"}


def _turns(dialogue: Mapping[str, Any], file: Path, where: str) -> list[RealTurn]:
    turns = []
    for i, u in enumerate(field(dialogue, "utterances", file, where)):
        speaker = str(field(u, "speaker", file, f"{where}, utterance {i}")).lower()
        if speaker not in _SIDES:
            raise ConfigError(f"{file}: {where}, utterance {i}: unknown speaker {speaker!r}")
        text = str(field(u, "text", file, f"{where}, utterance {i}"))
        calls = sum(1 for a in u.get("annotations") or [] if a.get("name") == "api_call")
        turns.append(RealTurn(_SIDES[speaker], text, {"api_calls": calls} if calls else None))
    return turns


def read_taskmaster(path: str | Path, *, limit: int | None = None) -> Iterator[Conversation]:
    """The dialogues of one Taskmaster data file (or ``sample.json``)."""
    file = Path(path)
    data = read_json(file)
    dialogues = [data] if isinstance(data, Mapping) else data
    if not isinstance(dialogues, list):
        raise ConfigError(f"{file}: expected Taskmaster dialogues (a JSON list)")
    for index, d in enumerate(dialogues):
        if limit is not None and index >= limit:
            return
        where = f"dialogue {index}"
        if isinstance(d, Mapping) and "generation" in d and "utterances" not in d:
            raise ConfigError(f"{file}: {where}: a reward row, not a dialogue (use a data file)")
        cid = str(field(d, "conversation_id", file, where))
        scenario = d.get("scenario") or d.get("instruction_id")
        meta: dict[str, str | None] = {
            "goal": str(scenario) if scenario else None,
            "instructions": d.get("instructions"),
            "vertical": d.get("vertical"),
            # the service, for scenarios_from's services filter (TM-4 vertical, TM-1 task)
            "service": str(d.get("vertical") or "").lower()
            or (str(d["instruction_id"]).rsplit("-", 1)[0] if d.get("instruction_id") else None),
            "collection": "self-dialogue" if d.get("instructions") else "Taskmaster",
        }
        yield build_conversation(
            info=TASKMASTER,
            file=file,
            id=cid,
            turns=_turns(d, file, where),
            user_name="Customer",
            system_name="Assistant",
            system_kind=ParticipantKind.AI_SYSTEM,
            user_role="USER",
            system_role="ASSISTANT",
            scenario_id=f"taskmaster:{scenario}" if scenario else None,
            metadata={k: v for k, v in meta.items() if v is not None},
        )
