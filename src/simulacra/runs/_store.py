"""The run directory: ``run.json`` (what was run) and ``conversations.jsonl`` (what happened).

``conversations.jsonl`` is append-only, one schema-versioned :class:`~simulacra.Conversation` per
line, flushed and fsync'd after each conversation. ``run.json`` is replaced atomically.

One process at a time writes a run directory: its writer holds an exclusive OS lock
(``flock``) on ``.lock`` inside it from the resume scan (or the directory's creation) until it is
closed. The lock dies with the process, so a SIGKILL never leaves a stale one.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import os
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, one writer is on the user
    fcntl = None  # type: ignore[assignment]

from simulacra._atomic import atomic_file
from simulacra._secrets import redact_json, redact_text
from simulacra.conversation import Conversation
from simulacra.errors import ConfigError, OutputError
from simulacra.log import RUN_SCHEMA_VERSION, read_conversations, read_run
from simulacra.runs._engine import RunStats

__all__ = [
    "LOCK_FILE",
    "RUN_SCHEMA_VERSION",
    "ExistingRun",
    "RunWriter",
    "current_run_directory",
    "read_conversations",
    "read_run",
    "scan_run",
]


LOCK_FILE = ".lock"
"""The lock file inside a run directory; its content is the writer's pid (for the message)."""


class _DirLock:
    """An exclusive ``flock`` on a run directory's lock file, held by this process.

    Taken by :func:`scan_run` (pending) and claimed by the :class:`RunWriter` that then opens the
    directory, or taken by the writer itself; released when the writer closes (or, for a scan that
    never got a writer, when its :class:`ExistingRun` is garbage-collected).
    """

    def __init__(self, key: str, fd: int | None) -> None:
        self.key = key
        self.fd = fd
        self.claimed = False

    def release(self) -> None:
        if _HELD.get(self.key) is self:
            del _HELD[self.key]
        fd, self.fd = self.fd, None
        if fd is None:
            return
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        os.close(fd)  # closing the only descriptor drops the flock

    def release_unless_claimed(self) -> None:
        if not self.claimed:
            self.release()


_HELD: dict[str, _DirLock] = {}
"""Run directories this process holds the lock of, by real path."""


def _busy_pid(fd: int) -> str:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        text = ""
    return f"pid {text}" if text.isdigit() else "pid unknown"


def _lock_directory(directory: Path) -> _DirLock:
    """Take the exclusive lock of a run directory (or the pending one this process holds).

    Raises:
        ConfigError: Another process (or an open writer of this one) writes the directory, or the
            lock file cannot be created.
    """
    key = os.path.realpath(directory)
    held = _HELD.get(key)
    if held is not None:
        if held.claimed:
            raise ConfigError(
                f"run directory {directory} is already open for writing in this process"
            )
        return held
    if fcntl is None:  # pragma: no cover - Windows
        lock = _DirLock(key, None)
        _HELD[key] = lock
        return lock
    try:
        fd = os.open(Path(directory) / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise ConfigError(
            f"{directory}: cannot create the run directory's lock file ({exc.strerror})"
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _busy_pid(fd)
        os.close(fd)
        raise ConfigError(
            f"run directory {directory} is being written by another simulacra process ({pid}); "
            "wait for it or resume later"
        ) from None
    except OSError as exc:
        os.close(fd)
        raise ConfigError(f"{directory}: cannot lock the run directory ({exc.strerror})") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    lock = _DirLock(key, fd)
    _HELD[key] = lock
    return lock


_current_run: contextvars.ContextVar[Path | None] = contextvars.ContextVar(
    "simulacra_current_run", default=None
)


def current_run_directory() -> Path | None:
    """The run directory a :class:`RunWriter` last opened in this context (task), if any: how a
    caller whose run was cancelled learns which directory to resume."""
    return _current_run.get()


def _write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``run.json`` durably, credentials in URLs and secret header values masked.

    Raises:
        OutputError: It cannot be written (disk full...): the old ``run.json`` stays, no
            ``.tmp`` is left.
    """
    try:
        with atomic_file(path, durable=True) as f:
            json.dump(redact_json(data), f, indent=2, default=str)
            f.write("\n")
    except OSError as exc:
        raise OutputError(f"{path}: cannot write ({exc.strerror or exc})") from None


class RunWriter:
    """Writes one run directory (new, or reopened with :meth:`reopen` to resume).

    Holds the directory's exclusive lock until :meth:`close`: a second writer, in this process or
    another, gets a :class:`~simulacra.errors.ConfigError` and writes nothing.
    """

    def __init__(self, directory: Path, manifest: dict[str, Any], *, _create: bool = True) -> None:
        self.directory = directory
        if _create:
            try:
                directory.mkdir(parents=True, exist_ok=False)
            except FileExistsError:
                raise ConfigError(
                    f"{directory}: already exists; a new run needs a new directory"
                ) from None
        lock = _lock_directory(directory)
        lock.claimed = True
        self._release = weakref.finalize(self, lock.release)
        try:
            if _create:
                self.manifest = {"schema_version": RUN_SCHEMA_VERSION, **manifest}
                _write_json_atomic(directory / "run.json", self.manifest)
            else:
                self.manifest = manifest
            self._out: TextIO = (directory / "conversations.jsonl").open("a", encoding="utf-8")
        except BaseException:
            self._release()
            raise
        _current_run.set(directory)

    @classmethod
    def reopen(cls, directory: Path, manifest: dict[str, Any] | None = None) -> RunWriter:
        """Open an existing run directory for appending.

        ``manifest`` is what the resuming process would write for a new run; when its config
        differs from the stored one (``--force``), ``run.json`` takes the new config and keeps
        every config used, with the first record each produced, under ``configs``.
        """
        stored = read_run(directory)
        if manifest is not None and manifest.get("config_sha256") != stored.get("config_sha256"):
            _record_config_change(Path(directory), stored, manifest)
        return cls(directory, stored, _create=False)

    def write(self, conversation: Conversation, *, sync: bool = True) -> None:
        """Append one finished conversation as one line (credentials in URLs masked); with
        ``sync``, make it durable now."""
        try:
            self._out.write(redact_text(conversation.model_dump_json()) + "\n")
        except OSError as exc:
            raise self._cannot_write(exc) from None
        if sync:
            self.sync()

    def sync(self) -> None:
        """Flush and fsync what was written.

        Raises:
            OutputError: The disk is full (or another write error): what reached the file stays,
                a torn last line is dropped on resume.
        """
        try:
            self._out.flush()
            os.fsync(self._out.fileno())
        except OSError as exc:
            raise self._cannot_write(exc) from None

    def _cannot_write(self, exc: OSError) -> OutputError:
        return OutputError(
            f"{self.directory / 'conversations.jsonl'}: cannot write ({exc.strerror or exc})"
        )

    def update(self, **fields: Any) -> None:
        """Merge fields into ``run.json`` and rewrite it atomically."""
        self.manifest.update(fields)
        _write_json_atomic(self.directory / "run.json", self.manifest)

    def close(self) -> None:
        """Close the file and release the directory's lock."""
        try:
            with contextlib.suppress(OSError):  # a failed flush was reported by write/sync
                self._out.close()
        finally:
            self._release()


_CONFIG_FIELDS = ("config_path", "config_sha256", "config", "work_items", "models", "templates")


def _record_config_change(
    directory: Path, stored: dict[str, Any], manifest: dict[str, Any]
) -> None:
    """Switch ``stored`` (a run's ``run.json``) to the config of ``manifest`` and append it to
    ``configs``: records from line ``first_record`` on (until the next entry's) are its."""
    configs = stored.get("configs")
    if not isinstance(configs, list) or not configs:
        configs = [
            {
                "config_sha256": stored.get("config_sha256"),
                "config_path": stored.get("config_path"),
                "config": stored.get("config"),
                "started_at": stored.get("created_at"),
                "first_record": 1,
            }
        ]
    lines = 0
    with (directory / "conversations.jsonl").open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    configs.append(
        {
            "config_sha256": manifest.get("config_sha256"),
            "config_path": manifest.get("config_path"),
            "config": manifest.get("config"),
            "started_at": time.time(),
            "first_record": lines + 1,
        }
    )
    stored["configs"] = configs
    for key in _CONFIG_FIELDS:
        if key in manifest:
            stored[key] = manifest[key]


@dataclass
class ExistingRun:
    """What a resume found in a run directory.

    Attributes:
        duplicate_spans: ``(offset, length)`` of each record that repeats an earlier one byte
            for byte (two writers at once, before run directories were locked); :meth:`repair`
            drops them.
    """

    directory: Path
    done_ids: set[str]
    stats: RunStats
    torn_bytes: int
    valid_size: int
    duplicate_spans: list[tuple[int, int]] = field(default_factory=list)
    _lock: _DirLock | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self._lock is not None:
            weakref.finalize(self, self._lock.release_unless_claimed)

    def repair(self) -> None:
        """Cut a torn final line (a crash mid-write) so appends start on a fresh line, and drop
        identical duplicate records (noted in ``run.json`` under ``repairs``)."""
        path = self.directory / "conversations.jsonl"
        if self.duplicate_spans:
            _rewrite_without(path, self.duplicate_spans, self.valid_size)
            run_json = self.directory / "run.json"
            manifest = read_run(self.directory)
            manifest.setdefault("repairs", []).append(
                {
                    "at": time.time(),
                    "removed_identical_duplicates": len(self.duplicate_spans),
                    "removed_torn_bytes": self.torn_bytes,
                }
            )
            _write_json_atomic(run_json, manifest)
        elif self.torn_bytes:
            with path.open("r+b") as f:
                f.truncate(self.valid_size)
                f.flush()
                os.fsync(f.fileno())


def _rewrite_without(path: Path, spans: list[tuple[int, int]], size: int) -> None:
    """Replace ``path`` by its first ``size`` bytes less ``spans``, atomically and durably."""
    with path.open("rb") as src, atomic_file(path, binary=True, durable=True, sync_dir=True) as dst:
        position = 0
        for offset, length in [*sorted(spans), (size, 0)]:
            remaining = offset - position
            while remaining > 0:
                chunk = src.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                dst.write(chunk)
                remaining -= len(chunk)
            src.seek(offset + length)
            position = offset + length


def scan_run(directory: Path, *, config_sha: str, force: bool) -> ExistingRun:
    """Check that a run directory can be resumed with this config, and read what is done.

    Takes the directory's lock (held by the returned :class:`ExistingRun` until a
    :class:`RunWriter` reopens the directory) and otherwise only reads: the directory is changed
    later, by :meth:`ExistingRun.repair`, once everything else has been validated.

    Raises:
        ConfigError: Not a run directory, another process writing it, a different config
            (unless ``force``), a corrupted record, or one conversation recorded twice with
            different content.
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
    lock = _lock_directory(Path(directory))
    try:
        existing = _scan_records(Path(directory), path, lock)
        existing.stats.accounting.carry_over(manifest.get("summary"))
        return existing
    except BaseException:
        lock.release_unless_claimed()
        raise


def _scan_records(directory: Path, path: Path, lock: _DirLock) -> ExistingRun:
    first: dict[str, tuple[int, int]] = {}  # id -> (line number, offset) of its first record
    duplicates: list[tuple[int, int]] = []
    stats = RunStats()
    valid = 0
    torn = 0
    with path.open("rb") as f, path.open("rb") as lookup:
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
            seen = first.get(conversation.id)
            if seen is None:
                first[conversation.id] = (number, valid)
                stats.add(conversation)
            else:
                lookup.seek(seen[1])
                if lookup.readline() != line:
                    raise ConfigError(
                        f"{path}:{number}: duplicate conversation id {conversation.id} with "
                        f"content different from line {seen[0]} (two processes wrote this run "
                        "at once); keep one of the two lines, then resume"
                    )
                duplicates.append((valid, len(line)))
            valid += len(line)
    return ExistingRun(directory, set(first), stats, torn, valid, duplicates, lock)
