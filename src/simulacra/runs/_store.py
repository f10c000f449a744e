"""The run directory: ``run.json`` (what was run) and ``conversations.jsonl`` (what happened).

``conversations.jsonl`` is append-only, one schema-versioned :class:`~simulacra.Conversation` per
line, flushed and fsync'd after each conversation. ``run.json`` is replaced atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.runs._engine import RunStats

__all__ = [
    "RUN_SCHEMA_VERSION",
    "ExistingRun",
    "RunWriter",
    "read_conversations",
    "read_run",
    "scan_run",
]

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
    """Writes one run directory (new, or reopened with :meth:`reopen` to resume)."""

    def __init__(self, directory: Path, manifest: dict[str, Any], *, _create: bool = True) -> None:
        self.directory = directory
        if _create:
            directory.mkdir(parents=True, exist_ok=False)
            self.manifest = {"schema_version": RUN_SCHEMA_VERSION, **manifest}
            _write_json_atomic(directory / "run.json", self.manifest)
        else:
            self.manifest = manifest
        self._out: TextIO = (directory / "conversations.jsonl").open("a", encoding="utf-8")

    @classmethod
    def reopen(cls, directory: Path) -> RunWriter:
        """Open an existing run directory for appending."""
        return cls(directory, read_run(directory), _create=False)

    def write(self, conversation: Conversation, *, sync: bool = True) -> None:
        """Append one finished conversation as one line; with ``sync``, make it durable now."""
        self._out.write(conversation.model_dump_json() + "\n")
        if sync:
            self.sync()

    def sync(self) -> None:
        """Flush and fsync what was written."""
        self._out.flush()
        os.fsync(self._out.fileno())

    def update(self, **fields: Any) -> None:
        """Merge fields into ``run.json`` and rewrite it atomically."""
        self.manifest.update(fields)
        _write_json_atomic(self.directory / "run.json", self.manifest)

    def close(self) -> None:
        self._out.close()


@dataclass
class ExistingRun:
    """What a resume found in a run directory."""

    directory: Path
    done_ids: set[str]
    stats: RunStats
    torn_bytes: int
    valid_size: int

    def repair(self) -> None:
        """Cut a torn final line (a crash mid-write) so appends start on a fresh line."""
        if self.torn_bytes:
            with (self.directory / "conversations.jsonl").open("r+b") as f:
                f.truncate(self.valid_size)
                f.flush()
                os.fsync(f.fileno())


def scan_run(directory: Path, *, config_sha: str, force: bool) -> ExistingRun:
    """Check that a run directory can be resumed with this config, and read what is done.

    Reads only: the directory is changed later, by :meth:`ExistingRun.repair`, once everything
    else has been validated.

    Raises:
        ConfigError: Not a run directory, a different config (unless ``force``), or a
            corrupted record.
    """
    manifest = read_run(directory)
    if manifest.get("schema_version") != RUN_SCHEMA_VERSION:
        raise ConfigError(
            f"{directory}/run.json: schema_version {manifest.get('schema_version')!r} is not "
            f"{RUN_SCHEMA_VERSION}; cannot resume"
        )
    if manifest.get("config_sha256") != config_sha and not force:
        raise ConfigError(
            f"{directory}: the config changed since this run started; resume with the original "
            "config, or pass --force to resume anyway"
        )
    path = Path(directory) / "conversations.jsonl"
    if not path.is_file():
        raise ConfigError(f"{directory}: not a run directory (no conversations.jsonl)")
    done: set[str] = set()
    stats = RunStats()
    valid = 0
    torn = 0
    with path.open("rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.endswith(b"\n"):
                torn = len(line)
                break
            try:
                conversation = Conversation.model_validate_json(line)
            except ValueError:
                raise ConfigError(
                    f"{path}:{number}: corrupted record; the run cannot be resumed safely"
                ) from None
            if conversation.id in done:
                raise ConfigError(f"{path}:{number}: duplicate conversation id {conversation.id}")
            done.add(conversation.id)
            stats.add(conversation)
            valid += len(line)
    return ExistingRun(Path(directory), done, stats, torn, valid)


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
