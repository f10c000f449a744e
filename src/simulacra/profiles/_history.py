"""Reading a person's own history: chat logs (JSONL, CSV) and notes (.txt, .md).

Every problem in the input is a :class:`~simulacra.errors.ConfigError` with one line naming the
file, the line and the field, e.g. ``person.jsonl:7: field 'text' missing``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra._validation import parse_json, read_text, summarise
from simulacra.errors import ConfigError

__all__ = [
    "FieldMapping",
    "HistoryFormat",
    "HistoryMessage",
    "parse_field_mapping",
    "read_history",
]

HistoryFormat = Literal["jsonl", "csv", "text"]
_BY_SUFFIX: dict[str, HistoryFormat] = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".csv": "csv",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
}


class FieldMapping(BaseModel):
    """Which field of a chat-log record holds what (dotted paths reach into JSON objects).

    ``speaker`` and ``text`` must be in every record. ``timestamp`` and ``session`` are optional
    unless set explicitly, in which case every record must have them.
    """

    model_config = ConfigDict(extra="forbid")

    speaker: str = "speaker"
    text: str = "text"
    timestamp: str = "timestamp"
    session: str = "session"

    def required(self) -> list[str]:
        """The logical fields every record must have."""
        explicit = [f for f in ("timestamp", "session") if f in self.model_fields_set]
        return ["speaker", "text", *explicit]


def parse_field_mapping(spec: str) -> FieldMapping:
    """``"speaker=from,text=body"`` → :class:`FieldMapping`.

    Raises:
        ConfigError: On a malformed item or an unknown logical field.
    """
    values: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, sep, value = item.partition("=")
        if not sep or not value.strip():
            raise ConfigError(f"--field: expected NAME=FIELD, got {item!r}")
        values[name.strip()] = value.strip()
    try:
        return FieldMapping.model_validate(values)
    except ValidationError as exc:
        known = ", ".join(FieldMapping.model_fields)
        raise ConfigError(f"--field: {summarise(exc)} (known: {known})") from None


class HistoryMessage(BaseModel):
    """One message of a chat log, or one paragraph of a note (``speaker`` is ``None``)."""

    model_config = ConfigDict(extra="forbid")

    speaker: str | None
    text: str
    session: str
    timestamp: str | None = None
    source: str
    """``file:line`` where it starts."""


def _lookup(record: Mapping[str, object], path: str) -> tuple[bool, object]:
    value: object = record
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False, None
        value = value[part]
    return True, value


def _scalar(value: object, *, where: str, field: str, name: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConfigError(f"{where}: field {name!r} ({field}) must be a string")
    return str(value)


def _message(
    record: Mapping[str, object],
    fields: FieldMapping,
    *,
    where: str,
    session: str,
) -> HistoryMessage | None:
    values: dict[str, str | None] = {}
    required = fields.required()
    for logical in ("speaker", "text", "timestamp", "session"):
        name = getattr(fields, logical)
        present, raw = _lookup(record, name)
        if not present or (raw is None and logical in required):
            if logical in required:
                raise ConfigError(f"{where}: field {name!r} missing")
            values[logical] = None
            continue
        values[logical] = _scalar(raw, where=where, field=logical, name=name)
    text = (values["text"] or "").strip()
    if not text:
        return None
    speaker = (values["speaker"] or "").strip()
    if not speaker:
        raise ConfigError(f"{where}: field {fields.speaker!r} is empty")
    return HistoryMessage(
        speaker=speaker,
        text=text,
        session=values["session"] or session,
        timestamp=values["timestamp"],
        source=where,
    )


def _read_text(path: Path) -> str:
    return read_text(path, what="chat log")


def _read_jsonl(path: Path, fields: FieldMapping) -> list[HistoryMessage]:
    out: list[HistoryMessage] = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        record = parse_json(line, path, line=number)  # FILE:LINE:COLUMN: malformed JSON: ...
        if not isinstance(record, dict):
            raise ConfigError(f"{where}: expected a JSON object, got {type(record).__name__}")
        message = _message(record, fields, where=where, session=path.stem)
        if message is not None:
            out.append(message)
    return out


def _read_csv(path: Path, fields: FieldMapping) -> list[HistoryMessage]:
    text = _read_text(path)
    reader = csv.DictReader(text.splitlines(keepends=True))
    header = reader.fieldnames or []
    for logical in fields.required():
        name = getattr(fields, logical)
        if name not in header:
            columns = ", ".join(header) or "none"
            raise ConfigError(f"{path}:1: field {name!r} missing (columns: {columns})")
    out: list[HistoryMessage] = []
    try:
        for row in reader:
            where = f"{path}:{reader.line_num}"
            if None in row:
                raise ConfigError(f"{where}: more cells than columns")
            record = {k: v for k, v in row.items() if v is not None}
            message = _message(record, fields, where=where, session=path.stem)
            if message is not None:
                out.append(message)
    except csv.Error as exc:
        raise ConfigError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    return out


_HEADING = re.compile(r"^\s{0,3}#{1,6}\s")


def _read_notes(path: Path) -> list[HistoryMessage]:
    out: list[HistoryMessage] = []
    paragraph: list[str] = []
    start = 0

    def flush() -> None:
        lines = [line for line in paragraph if not _HEADING.match(line)]
        text = " ".join(" ".join(lines).split())
        if text:
            out.append(
                HistoryMessage(speaker=None, text=text, session=path.stem, source=f"{path}:{start}")
            )
        paragraph.clear()

    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if line.strip():
            if not paragraph:
                start = number
            paragraph.append(line.strip())
        else:
            flush()
    flush()
    return out


def detect_format(path: Path, format: HistoryFormat | None = None) -> HistoryFormat:
    """The format to read ``path`` with: ``format`` if given, else by its suffix.

    Raises:
        ConfigError: For an unknown suffix.
    """
    if format is not None:
        return format
    found = _BY_SUFFIX.get(path.suffix.lower())
    if found is None:
        raise ConfigError(
            f"{path}: unknown file type {path.suffix or '(no suffix)'!r} "
            "(expected .jsonl, .csv, .txt or .md; or pass --format)"
        )
    return found


def read_history(
    paths: Sequence[Path],
    *,
    format: HistoryFormat | None = None,
    fields: FieldMapping | None = None,
) -> list[tuple[Path, HistoryFormat, list[HistoryMessage]]]:
    """Read every file: ``(path, format, messages)`` per file, in the order given.

    Raises:
        ConfigError: On the first problem, naming file, line and field.
    """
    fields = fields or FieldMapping()
    out: list[tuple[Path, HistoryFormat, list[HistoryMessage]]] = []
    for path in paths:
        kind = detect_format(path, format)
        if kind == "jsonl":
            messages = _read_jsonl(path, fields)
        elif kind == "csv":
            messages = _read_csv(path, fields)
        else:
            messages = _read_notes(path)
        out.append((path, kind, messages))
    return out
