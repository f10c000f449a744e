"""A generic ratings file read once for the problems that have a place in the file before
:func:`~simulacra.evaluation.read_ratings` checks its rows (issue #21): a folder, text that is
not UTF-8 (byte offset), a JSON line that is malformed, nested too deeply or holds an integer
over 4,300 digits (line and column), a CSV record that breaks the CSV rules (line)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from simulacra._validation import parse_json, read_text
from simulacra.errors import ConfigError

__all__ = ["check_ratings_file"]


def check_ratings_file(path: Path) -> None:
    """Raise a one-line :class:`~simulacra.errors.ConfigError` naming ``path`` and where in it,
    for a file :func:`~simulacra.evaluation.read_ratings` cannot parse; silent otherwise."""
    if not path.exists():
        raise ConfigError(f"{path}: ratings file not found")
    text = read_text(path, what="ratings file")
    if path.suffix == ".jsonl":
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                parse_json(line, path, line=number)
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for _ in reader:
            pass
    except csv.Error as exc:
        # line_num counts the lines read before the failing record
        raise ConfigError(f"{path}: line {reader.line_num + 1}: malformed CSV: {exc}") from None
