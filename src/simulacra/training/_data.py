"""Reading training JSONL: chat rows for SFT, preference pairs for DPO.

The formats are the contract with :mod:`simulacra.datasets` exporters:

- SFT: ``{"messages": [...], "meta": {...}}`` from the simulated user's side: the user's turns
  are ``assistant`` (the loss targets), the system's turns ``user``, and a first ``system``
  message holds profile, goal and instructions;
- DPO (TRL's conversational preference format): ``{"prompt": [...], "chosen":
  [{"role": "assistant", ...}], "rejected": [...]}``.

Every problem is one line naming the file and line number.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from simulacra._validation import read_jsonl
from simulacra.errors import ConfigError

__all__ = ["check_enough", "file_digest", "read_dpo_jsonl", "read_sft_jsonl"]

_ROLES = ("system", "user", "assistant")
Message = dict[str, str]


def _messages(value: Any, where: str, field: str) -> list[Message]:
    if not isinstance(value, list) or not value:
        raise ConfigError(f"{where}: '{field}' must be a non-empty list of messages")
    out: list[Message] = []
    for i, m in enumerate(value):
        if not isinstance(m, dict) or m.get("role") not in _ROLES:
            raise ConfigError(
                f"{where}: {field}[{i}]: expected {{'role': system|user|assistant, 'content': ...}}"
            )
        if not isinstance(m.get("content"), str):
            raise ConfigError(f"{where}: {field}[{i}].content must be a string")
        out.append({"role": m["role"], "content": m["content"]})
    return out


def _rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    if not path.is_file():
        raise ConfigError(f"{path}: data file not found")
    rows: list[tuple[str, dict[str, Any]]] = []
    for n, row in read_jsonl(path, what="data file"):
        rows.append((f"{path}: line {n}", row))
    if not rows:
        raise ConfigError(f"{path}: no training rows")
    return rows


def read_sft_jsonl(path: Path, *, limit: int | None = None) -> list[list[Message]]:
    """Conversations (lists of messages) with at least one ``assistant`` turn to learn from.

    Raises:
        ConfigError: Missing file, bad JSON, a row that is not SFT chat format (line N).
    """
    out: list[list[Message]] = []
    for where, row in _rows(path):
        if "messages" not in row:
            keys = ", ".join(sorted(row)) or "nothing"
            raise ConfigError(f"{where}: expected an SFT row with 'messages' (found {keys})")
        messages = _messages(row["messages"], where, "messages")
        if not any(m["role"] == "assistant" for m in messages):
            raise ConfigError(f"{where}: no 'assistant' message (the simulated user's turns)")
        out.append(messages)
        if limit is not None and len(out) >= limit:
            break
    return out


def read_dpo_jsonl(path: Path, *, limit: int | None = None) -> list[dict[str, list[Message]]]:
    """Preference pairs in TRL's conversational format.

    Raises:
        ConfigError: Missing file, bad JSON, a row that is not a preference pair (line N).
    """
    out: list[dict[str, list[Message]]] = []
    for where, row in _rows(path):
        missing = [k for k in ("prompt", "chosen", "rejected") if k not in row]
        if missing:
            raise ConfigError(f"{where}: expected a DPO row, missing {', '.join(missing)}")
        pair = {k: _messages(row[k], where, k) for k in ("prompt", "chosen", "rejected")}
        for k in ("chosen", "rejected"):
            if any(m["role"] != "assistant" for m in pair[k]):
                raise ConfigError(f"{where}: '{k}' must hold only 'assistant' messages")
        out.append(pair)
        if limit is not None and len(out) >= limit:
            break
    return out


def check_enough(path: Path, n: int, batch_size: int, grad_accum: int) -> None:
    """Refuse data too small for one optimizer step."""
    need = batch_size * grad_accum
    if n < need:
        raise ConfigError(
            f"{path}: {n} training rows, fewer than one step needs (batch_size {batch_size} x "
            f"grad_accum {grad_accum} = {need})"
        )


def file_digest(path: Path) -> str:
    """sha256 of a data file (recorded in provenance)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()
