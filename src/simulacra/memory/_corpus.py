"""Read a knowledge corpus for retrieval-augmented users."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulacra._validation import read_jsonl, read_text
from simulacra.errors import ConfigError
from simulacra.memory._base import Passage

__all__ = ["conversation_passages", "load_corpus", "multiwoz_reply_passages"]


def conversation_passages(
    path: str | Path,
    *,
    adapter: str | None = None,
    mapping: str | Mapping[str, Any] | None = None,
    limit: int | None = None,
) -> list[Passage]:
    """Real exchanges of any corpus as passages, like :func:`multiwoz_reply_passages`: a run
    directory (``simulacra data import``), a JSONL file of conversation records, or a corpus
    file read with ``adapter`` or the generic adapter's ``mapping``. Id ``<conversation>#<turn>``.

    Raises:
        ConfigError: One line naming the path.
    """
    from simulacra.datasets._real_turns import real_conversations

    out: list[Passage] = []
    for c in real_conversations(path, adapter=adapter, mapping=mapping):
        user = c.metadata.get("user_participant") or "user"
        for i in range(1, len(c.turns)):
            prev, turn = c.turns[i - 1], c.turns[i]
            if prev.speaker != user and turn.speaker == user and prev.utterance and turn.utterance:
                out.append(
                    Passage(
                        id=f"{c.id}#{i}",
                        text=f"Assistant: {prev.utterance} / User: {turn.utterance}",
                    )
                )
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def multiwoz_reply_passages(path: str | Path, *, limit: int | None = None) -> list[Passage]:
    """Real MultiWOZ exchanges as passages (SRAG-style: how real users answered similar system
    turns): ``"Assistant: ... / User: ..."``, id ``<dialogue id>#<turn>``.

    Raises:
        ConfigError: If the file cannot be read.
    """
    from simulacra.datasets import multiwoz_dialogues

    out: list[Passage] = []
    for dialogue in multiwoz_dialogues(path, with_turns=True, limit=limit):
        turns = dialogue.turns
        for i in range(1, len(turns)):
            prev, turn = turns[i - 1], turns[i]
            if prev.speaker == "system" and turn.speaker == "user" and prev.text and turn.text:
                out.append(
                    Passage(
                        id=f"{dialogue.id}#{i}",
                        text=f"Assistant: {prev.text} / User: {turn.text}",
                    )
                )
    return out


def load_corpus(
    path: str | Path,
    *,
    limit: int | None = None,
    adapter: str | None = None,
    mapping: str | Mapping[str, Any] | None = None,
) -> list[Passage]:
    """Passages from a file: ``.jsonl`` (``{"id", "text"}`` per line; ``id`` optional; or
    conversation records), ``.txt`` (one passage per non-empty line), a MultiWOZ
    ``.json``/``.zip`` (see :func:`multiwoz_reply_passages`), a run directory of real
    conversations, or any corpus file with ``adapter`` / ``mapping`` (see
    :func:`conversation_passages`).

    Raises:
        ConfigError: One line if the file is missing, unreadable, malformed or holds no passages.
    """
    file = Path(path)
    if file.is_dir() or adapter is not None or mapping is not None:
        passages = conversation_passages(file, adapter=adapter, mapping=mapping, limit=limit)
        return _checked(file, passages)
    if not file.is_file():
        raise ConfigError(f"{file}: corpus file not found")
    name = file.name.lower()
    if name.endswith(".jsonl") and _conversation_records(file):
        return _checked(file, conversation_passages(file, limit=limit))
    if name.endswith((".zip", ".json")):
        passages = multiwoz_reply_passages(file, limit=limit)[:limit]
    elif name.endswith(".jsonl"):
        passages = []
        for n, row in read_jsonl(file, what="corpus file"):
            if "text" not in row:
                raise ConfigError(
                    f'{file}:{n}: expected a JSON object with "text" (and "id"); '
                    "for dialogues give 'mapping' or 'adapter'"
                )
            passages.append(Passage(id=str(row.get("id", f"p{n}")), text=str(row["text"])))
            if limit is not None and len(passages) >= limit:
                break
    else:
        text = read_text(file, what="corpus file")
        passages = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            passages.append(Passage(id=f"p{n}", text=line.strip()))
            if limit is not None and len(passages) >= limit:
                break
    return _checked(file, passages)


def _conversation_records(file: Path) -> bool:
    """Whether a JSONL file's first record is a Simulacra conversation (``turns``)."""
    try:
        with file.open(encoding="utf-8") as f:
            first = next((line for line in f if line.strip()), "")
        row = json.loads(first)
    except (OSError, UnicodeDecodeError, ValueError):
        return False
    return isinstance(row, dict) and "turns" in row and "participants" in row


def _checked(file: Path, passages: list[Passage]) -> list[Passage]:
    if not passages:
        raise ConfigError(f"{file}: corpus holds no passages (empty index)")
    ids = [p.id for p in passages]
    if len(set(ids)) != len(ids):
        dupe = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"{file}: duplicate passage id {dupe!r}")
    return passages
