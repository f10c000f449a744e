"""Read a knowledge corpus for retrieval-augmented users."""

from __future__ import annotations

import json
from pathlib import Path

from simulacra.errors import ConfigError
from simulacra.memory._base import Passage

__all__ = ["load_corpus", "multiwoz_reply_passages"]


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


def load_corpus(path: str | Path, *, limit: int | None = None) -> list[Passage]:
    """Passages from a file: ``.jsonl`` (``{"id", "text"}`` per line; ``id`` optional),
    ``.txt`` (one passage per non-empty line), or a MultiWOZ ``.json``/``.zip`` (see
    :func:`multiwoz_reply_passages`).

    Raises:
        ConfigError: One line if the file is missing, unreadable, malformed or holds no passages.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: corpus file not found")
    name = file.name.lower()
    if name.endswith((".zip", ".json")):
        passages = multiwoz_reply_passages(file, limit=limit)[:limit]
    else:
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{file}: cannot read corpus ({exc})") from None
        passages = []
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            if name.endswith(".jsonl"):
                try:
                    row = json.loads(line)
                    passages.append(Passage(id=str(row.get("id", f"p{n}")), text=str(row["text"])))
                except (ValueError, KeyError, TypeError, AttributeError):
                    raise ConfigError(
                        f'{file}:{n}: expected a JSON object with "text" (and "id")'
                    ) from None
            else:
                passages.append(Passage(id=f"p{n}", text=line.strip()))
            if limit is not None and len(passages) >= limit:
                break
    if not passages:
        raise ConfigError(f"{file}: corpus holds no passages (empty index)")
    ids = [p.id for p in passages]
    if len(set(ids)) != len(ids):
        dupe = next(i for i in ids if ids.count(i) > 1)
        raise ConfigError(f"{file}: duplicate passage id {dupe!r}")
    return passages
