"""An on-disk cache of model calls (SQLite, WAL mode: safe across tasks, threads and processes)."""

from __future__ import annotations

import contextvars
import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput

__all__ = ["CallCache", "rollout_index"]

rollout_index: contextvars.ContextVar[int] = contextvars.ContextVar("simulacra_rollout", default=0)
"""The rollout (repeat) index of the conversation being run: part of every cache key, so the N
repeats of one scenario get N different answers while a rerun of the same run hits the cache."""


class CallCache:
    """Model outputs keyed by the normalised request and the rollout index.

    Args:
        path: SQLite file (created with its parent directory).
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA busy_timeout=30000")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS calls (key TEXT PRIMARY KEY, model TEXT, output TEXT, "
            "created REAL)"
        )
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(
        model: str, messages: Sequence[ChatMessage], config: GenerateConfig, rollout: int
    ) -> str:
        """The cache key of a request."""
        payload = {
            "model": model,
            "messages": [m.model_dump(exclude_none=True) for m in messages],
            "config": config.model_dump(exclude_none=True),
            "rollout": rollout,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def get(self, key: str) -> ModelOutput | None:
        """The cached output, or ``None``."""
        with self._lock:
            row = self._db.execute("SELECT output FROM calls WHERE key = ?", (key,)).fetchone()
        if row is None:
            self.misses += 1
            return None
        self.hits += 1
        return ModelOutput.model_validate_json(row[0])

    def put(self, key: str, model: str, output: ModelOutput) -> None:
        """Store an output."""
        data = output.model_dump_json(exclude={"call_id", "latency_s", "attempts"})
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?)", (key, model, data, time.time())
            )

    def stats(self) -> dict[str, Any]:
        """Entries per model, file size, hits and misses of this process."""
        with self._lock:
            rows = self._db.execute("SELECT model, COUNT(*) FROM calls GROUP BY model").fetchall()
        size = sum(p.stat().st_size for p in self.path.parent.glob(self.path.name + "*"))
        return {
            "path": str(self.path),
            "entries": sum(n for _, n in rows),
            "by_model": dict(rows),
            "bytes": size,
            "hits": self.hits,
            "misses": self.misses,
        }

    def clear(self, model: str | None = None) -> int:
        """Delete entries (all, or one model's); returns how many."""
        with self._lock:
            if model is None:
                cur = self._db.execute("DELETE FROM calls")
            else:
                cur = self._db.execute("DELETE FROM calls WHERE model = ?", (model,))
            self._db.execute("VACUUM")
        return cur.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()
