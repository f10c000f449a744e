"""Reading a run directory: ``run.json`` (what was run) and ``conversations.jsonl`` (what
happened). The writer is :class:`simulacra.runs.RunWriter`; everything that only reads a run
(evaluation, the viewer, dataset export) reads it through here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.log._records import read_records

__all__ = ["CONVERSATIONS_FILE", "RUN_FILE", "RUN_SCHEMA_VERSION", "read_conversations", "read_run"]

RUN_SCHEMA_VERSION = 1
"""Version of the run directory format, recorded in ``run.json`` as ``schema_version``."""

RUN_FILE = "run.json"
CONVERSATIONS_FILE = "conversations.jsonl"


def read_run(directory: str | Path) -> dict[str, Any]:
    """Read ``run.json`` of a run directory.

    Raises:
        ConfigError: If it is not a run directory.
    """
    path = Path(directory) / RUN_FILE
    if path.exists() and not path.is_file():
        raise ConfigError(f"{path}: not a regular file")
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{directory}: not a run directory (no run.json)") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    return data


def read_conversations(directory: str | Path) -> Iterator[Conversation]:
    """Stream the conversations of a run. A truncated last line (a crash mid-write) is skipped.

    Raises:
        ConfigError: If a complete line is not a valid record.
    """
    path = Path(directory) / CONVERSATIONS_FILE
    if not path.is_file():
        raise ConfigError(f"{directory}: not a run directory (no conversations.jsonl)")
    yield from read_records(path, skip_torn=True)
