"""The one reader of CaSiNo's JSON files (Chawla et al., 2021; CC BY 4.0), for every consumer:
the corpus adapter (:func:`~simulacra.datasets.read_casino`), the personas
(:func:`~simulacra.datasets.casino_personas`) and the negotiation paradigm's real setups."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from simulacra.datasets._corpus import as_list, field, read_json
from simulacra.errors import ConfigError

__all__ = ["casino_files", "casino_records"]


def casino_files(path: str | Path) -> list[Path]:
    """``path`` itself, or every ``casino*.json`` in it when it is a folder (sorted).

    Raises:
        ConfigError: A folder without any.
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("casino*.json"))
        if not files:
            raise ConfigError(f"{path}: no casino*.json files")
        return files
    return [path]


def casino_records(path: str | Path) -> list[dict[str, Any]]:
    """The dialogues of a CaSiNo JSON file (``casino_valid.json``...) or folder, as the corpus
    has them (each file read once and cached until it changes; do not modify the records).

    Raises:
        ConfigError: A missing or unreadable file, or one that is not a list of dialogues with
            ``dialogue_id`` and ``participant_info`` (one line naming the file and
            the dialogue).
    """
    out: list[dict[str, Any]] = []
    for file in casino_files(path):
        try:
            stamp = file.stat().st_mtime_ns
        except OSError:
            stamp = -1  # read_json says why
        out.extend(_read(str(file), stamp))
    return out


@functools.lru_cache(maxsize=8)
def _read(file: str, stamp: int) -> tuple[dict[str, Any], ...]:
    path = Path(file)
    dialogues = as_list(read_json(path), path, "CaSiNo dialogues")
    for index, d in enumerate(dialogues):
        where = f"dialogue {index}"
        for name in ("dialogue_id", "participant_info"):
            field(d, name, path, where)
    return tuple(dialogues)
