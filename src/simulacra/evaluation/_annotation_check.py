"""Reading an annotation tasks (or key) file: JSON Lines whose first line is a header, every
problem one line naming the file, the line and the field (issue #21)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeGuard

from simulacra._validation import read_jsonl as _read_jsonl
from simulacra.errors import ConfigError

__all__ = ["check_header", "check_task", "read_jsonl"]


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def read_jsonl(path: Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` for each non-blank line of ``path``, read by the package's one
    JSON Lines reader (:func:`simulacra._validation.read_jsonl`).

    Raises:
        ConfigError: Missing, a folder, not UTF-8 (byte offset), malformed JSON (line and
            column) or a line that is not an object (line).
    """
    if not path.exists():
        raise ConfigError(f"{path}: {what} not found")
    return list(_read_jsonl(path, what=what))


def _integer(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def check_header(path: Path, header: dict[str, Any]) -> None:
    """Refuse a study header whose kind, dimensions, scale, roster or id is malformed."""
    where = f"{path}: line 1"
    kind = header.get("kind")
    if kind not in ("likert", "pairwise"):
        raise ConfigError(f"{where}: kind: expected 'likert' or 'pairwise', got {kind!r:.40}")
    if not isinstance(header.get("study"), str) or not header["study"]:
        raise ConfigError(f"{where}: study: expected the study id (a string)")
    if kind == "likert":
        dims = header.get("dimensions")
        if not isinstance(dims, list) or not dims:
            raise ConfigError(f"{where}: dimensions: expected a non-empty list")
        for i, d in enumerate(dims):
            if not isinstance(d, dict) or not isinstance(d.get("name"), str) or not d["name"]:
                raise ConfigError(f"{where}: dimensions.{i}: expected an object with a 'name'")
        scale = header.get("scale")
        if scale is not None:
            low, high = (scale.get("min"), scale.get("max")) if isinstance(scale, dict) else (0, 0)
            if not (_integer(low) and _integer(high) and low < high):
                raise ConfigError(f"{where}: scale: expected {{min, max}}, integers with min < max")
    roster = header.get("annotators")
    if roster is not None and not _strings(roster):
        raise ConfigError(f"{where}: annotators: expected a list of strings or null")


def check_task(path: Path, n: int, row: dict[str, Any]) -> None:
    """Refuse a task whose shown fields are not text (a string or a list of strings)."""
    for key in ("goal", "context", "response", "a", "b"):
        value = row.get(key)
        if value is not None and not isinstance(value, str) and not _strings(value):
            raise ConfigError(
                f"{path}: line {n}: {key}: expected a string or a list of strings,"
                f" got {_kind(value)}"
            )
