"""Reading one conversation record (a line of ``conversations.jsonl`` or of an exported JSONL
file) with a one-line error naming the file, the line and the field (issue #21)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from simulacra._validation import check_regular_file, summarise
from simulacra.conversation import Conversation
from simulacra.errors import ConfigError

__all__ = ["parse_record", "read_records"]


def parse_record(raw: bytes, path: Path, number: int) -> Conversation:
    """The conversation on line ``number`` of ``path``.

    Raises:
        ConfigError: The line is not UTF-8 (byte offset in the line), not a valid record (the
            field), or a turn's speaker is not one of the participants.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path}:{number}: not UTF-8 text (byte {exc.start} of the line: {exc.reason})"
        ) from None
    try:
        conversation = Conversation.model_validate_json(text)
    except ValidationError as exc:
        raise ConfigError(
            f"{path}:{number}: not a Simulacra conversation record:"
            f" {summarise(exc, model=Conversation)}"
        ) from None
    ids = [p.id for p in conversation.participants]
    for i, turn in enumerate(conversation.turns):
        if turn.speaker not in ids:
            known = ", ".join(ids)[:60] or "none"
            raise ConfigError(
                f"{path}:{number}: turns.{i}.speaker: {turn.speaker[:40]!r} is not a"
                f" participant ({known})"
            )
    return conversation


def read_records(path: Path, *, skip_torn: bool) -> Iterator[Conversation]:
    """Stream the records of a JSONL file (blank lines skipped); with ``skip_torn`` a last line
    without its newline (a crash mid-write) is skipped.

    Raises:
        ConfigError: The file cannot be read, or a line is not a record (see
            :func:`parse_record`).
    """
    check_regular_file(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if skip_torn and not line.endswith(b"\n"):
                return
            if line.strip():
                yield parse_record(line, path, number)
