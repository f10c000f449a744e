"""The run directory: ``run.json`` (what was run) and ``conversations.jsonl`` (what happened).

``conversations.jsonl`` is append-only, one schema-versioned :class:`~simulacra.Conversation` per
line, flushed and fsync'd after each conversation. ``run.json`` is replaced atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError

__all__ = ["RUN_SCHEMA_VERSION", "RunWriter", "read_conversations", "read_run"]

RUN_SCHEMA_VERSION = 1


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, default=str)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class RunWriter:
    """Writes one run directory."""

    def __init__(self, directory: Path, manifest: dict[str, Any]) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=False)
        self.manifest = {"schema_version": RUN_SCHEMA_VERSION, **manifest}
        _write_json_atomic(directory / "run.json", self.manifest)
        self._out: TextIO = (directory / "conversations.jsonl").open("a", encoding="utf-8")

    def write(self, conversation: Conversation) -> None:
        """Append one finished conversation, durably."""
        self._out.write(conversation.model_dump_json() + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())

    def update(self, **fields: Any) -> None:
        """Merge fields into ``run.json`` and rewrite it atomically."""
        self.manifest.update(fields)
        _write_json_atomic(self.directory / "run.json", self.manifest)

    def close(self) -> None:
        self._out.close()


def read_run(directory: str | Path) -> dict[str, Any]:
    """Read ``run.json`` of a run directory.

    Raises:
        ConfigError: If it is not a run directory.
    """
    path = Path(directory) / "run.json"
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
    path = Path(directory) / "conversations.jsonl"
    if not path.is_file():
        raise ConfigError(f"{directory}: not a run directory (no conversations.jsonl)")
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if not line.endswith("\n"):
                return  # torn final write
            if not line.strip():
                continue
            try:
                yield Conversation.model_validate_json(line)
            except ValueError as exc:
                first = str(exc).splitlines()[0]
                raise ConfigError(
                    f"{path}:{number}: invalid conversation record ({first})"
                ) from None
