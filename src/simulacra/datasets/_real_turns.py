"""Real conversations from any corpus, for exemplars and retrieval: a run directory (an imported
corpus or a played run), a JSONL file of conversation records, or a corpus file read with an
adapter (``abcd``, ``taskmaster``...) or the generic adapter's mapping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError

__all__ = ["conversation_services", "real_conversations", "real_user_turns"]


def real_conversations(
    path: str | Path,
    *,
    adapter: str | None = None,
    mapping: str | Mapping[str, Any] | None = None,
) -> list[Conversation]:
    """The conversations at ``path``.

    Raises:
        ConfigError: One line naming the path and what to give instead.
    """
    from simulacra.datasets._adapters import import_corpus
    from simulacra.datasets._source import load_source

    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: not found")
    if p.is_dir():
        if adapter is not None or mapping is not None:
            raise ConfigError(f"{p}: a folder; 'adapter'/'mapping' read a corpus file")
        return load_source(p).conversations
    if mapping is not None:
        return list(import_corpus("generic", p, mapping=mapping))
    if adapter is not None:
        return list(import_corpus(adapter, p))
    if p.suffix.lower() != ".jsonl":
        raise ConfigError(
            f"{p}: give 'adapter' (abcd, taskmaster, ...) or 'mapping' for a corpus file, "
            "or a run directory (simulacra data import)"
        )
    try:
        return load_source(p).conversations
    except ConfigError as exc:
        if "not a Simulacra conversation record" not in str(exc):
            raise
        raise ConfigError(
            f"{p}: not Simulacra conversation records; give 'mapping' (generic adapter) "
            "or import it first (simulacra data import)"
        ) from None


def conversation_services(c: Conversation) -> frozenset[str]:
    """The services (domains) of a conversation's goal: ``metadata.service`` (comma-separated)
    and the services of ``metadata["goal.task"]``, lower case."""
    names: set[str] = set()
    raw = c.metadata.get("service")
    if isinstance(raw, str):
        names |= {s.strip().lower() for s in raw.split(",") if s.strip()}
    task = c.metadata.get("goal.task")
    if isinstance(task, str):
        try:
            data = json.loads(task)
        except ValueError:
            data = None
        frames = data.get("domains", [data]) if isinstance(data, Mapping) else data
        for frame in frames if isinstance(frames, list) else []:
            if isinstance(frame, Mapping):
                name = frame.get("service") or frame.get("domain")
                if name:
                    names.add(str(name).strip().lower())
    return frozenset(names)


def real_user_turns(
    conversations: list[Conversation],
) -> list[tuple[frozenset[str], tuple[str, ...]]]:
    """Per conversation: its services and its user's turns (the declared ``user_participant``,
    else the participant ``user``)."""
    out = []
    for c in conversations:
        user = c.metadata.get("user_participant") or "user"
        turns = tuple(t.utterance for t in c.turns if t.speaker == user and t.utterance.strip())
        if turns:
            out.append((conversation_services(c), turns))
    return out
