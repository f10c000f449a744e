"""Build an :class:`Individual` from a person's own history (survey §3.4).

Pipeline: read (chat logs and notes) → redact personal data (on by default) → keep a sample of the
person's own messages as style exemplars → extract memory candidates from the person's messages
and the notes → consolidate them session by session, in time order → facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from simulacra.errors import ConfigError
from simulacra.profiles._consolidate import ConsolidationOp, consolidate
from simulacra.profiles._extract import MemoryCandidate, extract_candidates
from simulacra.profiles._history import (
    FieldMapping,
    HistoryFormat,
    HistoryMessage,
    read_history,
)
from simulacra.profiles._individual import Individual, Memory, Retrieval
from simulacra.profiles._pii import RedactionReport, Redactor

__all__ = ["HistoryImport", "import_history"]


class HistoryImport(BaseModel):
    """What :func:`import_history` produced.

    Attributes:
        individual: The profile.
        redactions: The redaction report (counts only, never the values).
        consolidation: Every consolidation operation, in order.
        messages: How many of the person's own messages were read.
        notes: How many note paragraphs were read.
    """

    model_config = ConfigDict(extra="forbid")

    individual: Individual
    redactions: RedactionReport
    consolidation: list[ConsolidationOp] = Field(default_factory=list)
    messages: int = 0
    notes: int = 0


def _pick_person(files: list[tuple[Path, HistoryFormat, list[HistoryMessage]]]) -> str | None:
    speakers: dict[str, int] = {}
    for _, _, messages in files:
        for m in messages:
            if m.speaker is not None:
                speakers[m.speaker] = speakers.get(m.speaker, 0) + 1
    if not speakers:
        return None
    if len(speakers) == 1:
        return next(iter(speakers))
    names = ", ".join(sorted(speakers))
    first = files[0][0]
    raise ConfigError(f"{first}: several speakers ({names}): name the person with --person")


def _sample(texts: list[str], n: int) -> list[str]:
    """Up to ``n`` messages spread evenly over time, preferring ones of three words or more."""
    pool = [t for t in texts if len(t.split()) >= 3] or texts
    if len(pool) <= n:
        return pool
    step = len(pool) / n
    return [pool[int(i * step)] for i in range(n)]


def _sessions(messages: list[HistoryMessage]) -> list[list[HistoryMessage]]:
    groups: dict[str, list[HistoryMessage]] = {}
    for m in messages:
        groups.setdefault(m.session, []).append(m)
    ordered = list(groups.values())
    # Sessions without timestamps first, in input order; then by their earliest timestamp.
    return sorted(ordered, key=lambda g: min((m.timestamp or "" for m in g), default=""))


def import_history(
    paths: Sequence[Path],
    *,
    format: HistoryFormat | None = None,
    person: str | None = None,
    fields: FieldMapping | None = None,
    redact: bool = True,
    names: Sequence[str] = (),
    name: str | None = None,
    id: str | None = None,
    max_history: int = 12,
    max_facts: int = 15,
    capacity: int | None = None,
    retrieval: Retrieval = "bm25",
    memory_k: int = 3,
) -> HistoryImport:
    """Read a person's chat logs and notes into an :class:`Individual` with memories.

    Args:
        paths: Chat logs (``.jsonl``, ``.csv``) and notes (``.txt``, ``.md``; one memory
            candidate per paragraph).
        format: Read every file in this format instead of guessing from the suffix.
        person: The speaker who is the person (needed when a log has several speakers).
        fields: Which record fields hold speaker, text, timestamp and session.
        redact: Replace personal data with placeholders (see :class:`Redactor`).
        names: More names to redact.
        name: Display name of the profile (default: the person's speaker label, or "User").
        id: Profile id.
        max_history: How many of the person's messages to keep as style exemplars.
        max_facts: How many keyed facts and preferences to show in every prompt.
        capacity: Keep at most this many memories (forget the least important).
        retrieval: How memories are retrieved at generation time.
        memory_k: How many memories are retrieved per turn.

    Raises:
        ConfigError: On malformed input (one line naming file, line and field), or a person
            who never speaks in one of the chat logs.
    """
    files = read_history(paths, format=format, fields=fields)
    if person is None:
        person = _pick_person(files)
    for path, kind, messages in files:
        if kind == "text":
            continue
        if not messages:
            raise ConfigError(f"{path}: no messages")
        if person is not None and not any(m.speaker == person for m in messages):
            speakers = ", ".join(sorted({m.speaker or "" for m in messages}))
            raise ConfigError(f"{path}: speaker {person!r} never speaks (speakers: {speakers})")
    everything = [m for _, _, messages in files for m in messages]
    own = [m for m in everything if m.speaker is None or m.speaker == person]
    if not own:
        raise ConfigError(f"{paths[0] if paths else '(no files)'}: nothing to import")

    if redact:
        redactor = Redactor(names=names, keep=[k for k in (person, name) if k])
        for m in everything:
            if m.speaker is not None and m.speaker != person:
                redactor.add_speaker(m.speaker)
        for m in everything:
            redactor.learn(m.text)
        own = [m.model_copy(update={"text": redactor.redact(m.text, source=m.source)}) for m in own]
        report = redactor.report()
    else:
        report = RedactionReport(enabled=False)

    candidates: list[MemoryCandidate] = []
    for session in _sessions(own):
        for m in session:
            where = {"session": m.session, "timestamp": m.timestamp, "source": m.source}
            if m.speaker is None:
                candidates.append(
                    MemoryCandidate(text=m.text, kind="note", importance=0.3, **where)
                )
            else:
                candidates.extend(extract_candidates(m.text, **where))
    memories, log = consolidate(candidates, capacity=capacity)

    chats = [m for session in _sessions(own) for m in session if m.speaker is not None]
    keyed = [m for m in memories if m.key is not None and m.kind in ("fact", "preference")]
    keyed.sort(key=lambda m: -m.importance)
    facts = _dedupe([m.text for m in keyed[:max_facts]])
    individual = Individual(
        id=id,
        name=name or person or "User",
        facts=facts,
        history=_sample([m.text for m in chats], max_history),
        memories=_renumber(memories),
        retrieval=retrieval,
        memory_k=memory_k,
    )
    return HistoryImport(
        individual=individual,
        redactions=report,
        consolidation=log,
        messages=len(chats),
        notes=sum(1 for m in own if m.speaker is None),
    )


def _dedupe(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _renumber(memories: list[Memory]) -> list[Memory]:
    # Ids stay as consolidation assigned them (the log refers to them): only order by id number.
    return sorted(memories, key=lambda m: int(m.id[1:]) if m.id[1:].isdigit() else 0)
