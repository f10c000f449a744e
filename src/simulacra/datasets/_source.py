"""Where exported conversations come from: a run directory or a ``conversations.jsonl`` file,
and what each conversation was conditioned on (the user, its goal, the run's provenance).

Exports, stats and the dataset card all read through here, so a real corpus imported with
``simulacra data import`` and a simulated run are handled alike. A real corpus records its
provenance in the conversation metadata (``provenance.source``, ``provenance.licence``,
``provenance.citation``, ``provenance.real``: the metadata holds scalars only, so the record is
flattened with dotted keys); a simulated conversation takes it from its run's ``run.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.errors import ConfigError
from simulacra.log import model_calls, read_conversations, read_records, read_run

__all__ = [
    "ConversationSource",
    "Provenance",
    "conversation_goal",
    "conversation_provenance",
    "load_source",
    "manifest_summary",
    "read_conversation_file",
    "stamp_provenance",
    "user_participant",
]

_HUMAN_KINDS = (ParticipantKind.SIMULATED_HUMAN, ParticipantKind.HUMAN)


@dataclass(frozen=True)
class Provenance:
    """Where a conversation comes from (the survey's ethics section: disclose synthetic data).

    Attributes:
        source: The corpus (``MultiWOZ 2.1 (...)``) or ``simulacra run <name>``.
        licence: The corpus licence; ``None`` for synthetic data (the run owner decides).
        citation: How to cite the corpus.
        real: Whether the conversation happened between real people (``False``: simulated).
        model: The simulated user's model (synthetic data only).
    """

    source: str
    licence: str | None
    citation: str | None
    real: bool
    model: str | None = None


@dataclass
class ConversationSource:
    """Conversations read from a run directory or a JSONL file, with the run manifest if any."""

    path: Path
    conversations: list[Conversation]
    manifest: dict[str, Any] | None = None
    scenarios: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def is_run(self) -> bool:
        return self.manifest is not None


def read_conversation_file(path: Path) -> Iterator[Conversation]:
    """Stream the conversations of a JSONL file (one record a line; blank lines skipped).

    Raises:
        ConfigError: ``file:line`` of the first line that is not a conversation record.
    """
    yield from read_records(path, skip_torn=False)


def load_source(path: str | Path) -> ConversationSource:
    """Read a run directory (``run.json`` + ``conversations.jsonl``) or a JSONL file.

    Raises:
        ConfigError: If the path does not exist, is not a run directory, or holds a bad record.
    """
    p = Path(path)
    if p.is_dir():
        if (p / "run.json").is_file():
            manifest = read_run(p)
            convs = list(read_conversations(p))
            scenarios = {
                str(s["id"]): dict(s)
                for s in (manifest.get("config") or {}).get("scenarios") or []
                if isinstance(s, Mapping) and s.get("id") is not None
            }
            return ConversationSource(p, convs, manifest, scenarios)
        if (p / "conversations.jsonl").is_file():
            return ConversationSource(p, list(read_conversation_file(p / "conversations.jsonl")))
        raise ConfigError(f"{p}: not a run directory (no run.json or conversations.jsonl)")
    if not p.exists():
        raise ConfigError(f"{p}: file not found")
    return ConversationSource(p, list(read_conversation_file(p)))


def user_participant(conversation: Conversation, user: str | None = None) -> str:
    """The id of the participant whose turns are the simulated user's.

    In order: ``user`` if given, the conversation's ``user_participant`` metadata (set by every
    corpus adapter), a participant with id ``user``, the only (simulated) human.

    Raises:
        ConfigError: If it cannot be told which participant is the user.
    """
    ids = [p.id for p in conversation.participants]
    for candidate in (user, conversation.metadata.get("user_participant")):
        if candidate is not None:
            if str(candidate) not in ids:
                raise ConfigError(
                    f"conversation {conversation.id}: no participant {candidate!r} "
                    f"(participants: {', '.join(ids)})"
                )
            return str(candidate)
    if "user" in ids:
        return "user"
    humans = [p.id for p in conversation.participants if p.kind in _HUMAN_KINDS]
    if len(humans) == 1:
        return humans[0]
    raise ConfigError(
        f"conversation {conversation.id}: cannot tell which participant is the user "
        f"(participants: {', '.join(ids)}); name it with --user"
    )


def conversation_goal(
    conversation: Conversation, scenarios: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[str | None, str | None]:
    """``(goal, instructions)`` the user was given: from the conversation's metadata (imported
    corpora) or from its run's scenario config (simulated runs)."""
    meta = conversation.metadata
    goal = meta.get("goal")
    instructions = meta.get("instructions")
    scenario = (scenarios or {}).get(conversation.scenario_id or "")
    if scenario is not None:
        goal = goal if goal is not None else scenario.get("goal")
        instructions = instructions if instructions is not None else scenario.get("instructions")
    return (
        None if goal is None else str(goal),
        None if instructions is None else str(instructions),
    )


def conversation_provenance(
    conversation: Conversation, manifest: Mapping[str, Any] | None = None
) -> Provenance:
    """The provenance of one conversation: recorded by its corpus adapter, or its run's."""
    meta = conversation.metadata
    if "provenance.source" in meta:
        licence = meta.get("provenance.licence")
        citation = meta.get("provenance.citation")
        return Provenance(
            source=str(meta["provenance.source"]),
            licence=None if licence is None else str(licence),
            citation=None if citation is None else str(citation),
            real=bool(meta.get("provenance.real", True)),
            model=None if meta.get("provenance.model") is None else str(meta["provenance.model"]),
        )
    model = None
    name = "unknown run"
    if manifest is not None:
        name = str(manifest.get("name", name))
        models = manifest.get("models") or {}
        user = models.get("user") if isinstance(models, Mapping) else None
        if isinstance(user, Mapping):
            model = str(user.get("name")) if user.get("name") is not None else None
    if model is None:
        calls = {c.model for c in model_calls(conversation) if c.role == "user"}
        model = ", ".join(sorted(calls)) or None
    return Provenance(
        source=f"simulacra run {name}", licence=None, citation=None, real=False, model=model
    )


def stamp_provenance(source: ConversationSource) -> None:
    """Record each conversation's provenance in its metadata (in memory), so conversations of
    several runs can be mixed and still say where each one comes from."""
    for c in source.conversations:
        if "provenance.source" in c.metadata:
            continue
        p = conversation_provenance(c, source.manifest)
        c.metadata.update(
            {
                "provenance.source": p.source,
                "provenance.licence": p.licence,
                "provenance.citation": p.citation,
                "provenance.real": p.real,
                "provenance.model": p.model,
            }
        )


def manifest_summary(manifest: Mapping[str, Any] | None) -> dict[str, Any]:
    """What a dataset card says about a run: name, seed, models, prompt templates, versions."""
    if manifest is None:
        return {}
    models = manifest.get("models") or {}
    return {
        "run": manifest.get("name"),
        "seed": manifest.get("seed"),
        "config_sha256": manifest.get("config_sha256"),
        "models": {
            role: (m.get("name") if isinstance(m, Mapping) else m) for role, m in models.items()
        }
        if isinstance(models, Mapping)
        else {},
        "model_sha256": {
            role: m.get("sha256")
            for role, m in models.items()
            if isinstance(m, Mapping) and m.get("sha256")
        }
        if isinstance(models, Mapping)
        else {},
        "templates": list(manifest.get("templates") or []),
        "versions": dict(manifest.get("versions") or {}),
    }


def dumps(record: object) -> str:
    """One JSON line (UTF-8 kept readable)."""
    return json.dumps(record, ensure_ascii=False)
