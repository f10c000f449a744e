"""What every corpus adapter shares: reading original files (``.json``, ``.json.gz``, ``.zip``,
``.jsonl``), the provenance record, and building a :class:`Conversation` from real turns.

Conventions of an imported conversation (all adapters):

- participant ids are ``user`` and ``system`` — the simulated side is always ``user``, so
  ``simulacra fidelity --user user`` and the exports need no option — and the metadata says so
  explicitly (``user_participant: "user"``); the corpus' own speaker labels are kept in
  ``corpus.user_role`` / ``corpus.system_role``;
- the user is a ``human``; the other side is an ``ai_system`` where the corpus casts it as the
  system (a Wizard-of-Oz wizard, a customer-service agent, a bot) and a ``human`` where both
  sides are peers (negotiation, persuasion, chit-chat);
- provenance is flattened into the metadata (it holds scalars only): ``provenance.source``,
  ``provenance.licence``, ``provenance.citation``, ``provenance.real`` (``True``),
  ``provenance.file``;
- the corpora have no timestamps: every turn has ``time`` 0; the conversation ended with the
  corpus (``user_stop`` when the user spoke last, else ``target_stop``).
"""

from __future__ import annotations

import gzip
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra._validation import check_regular_file, parse_json
from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.errors import ConfigError
from simulacra.profiles import Profile

__all__ = ["CorpusInfo", "RealTurn", "build_conversation", "read_json"]

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True)
class CorpusInfo:
    """Source, licence and citation of a corpus (exported with every conversation)."""

    name: str
    source: str
    licence: str
    citation: str

    def metadata(self, file: Path) -> dict[str, Scalar]:
        return {
            "provenance.source": self.source,
            "provenance.licence": self.licence,
            "provenance.citation": self.citation,
            "provenance.real": True,
            "provenance.file": file.name,
        }


@dataclass(frozen=True, slots=True)
class RealTurn:
    """One turn of a corpus: ``user`` or ``system``, the text, turn-level annotations."""

    side: str
    text: str
    metadata: Mapping[str, Scalar] | None = None


def read_json(path: Path) -> Any:
    """Read a JSON file as distributed: plain, gzipped (``.gz``), or the one ``.json`` in a zip.

    Raises:
        ConfigError: One line naming the file and where in it: missing, a folder, not a
            zip/gzip, not UTF-8 (byte offset), or not JSON (line and column).
    """
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    if path.is_dir():
        raise ConfigError(f"{path}: is a folder; name the corpus file")
    check_regular_file(path)
    where = str(path)
    try:
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [n for n in archive.namelist() if n.endswith(".json")]
                if not members:
                    raise ConfigError(f"{path}: the zip file holds no .json file")
                where, raw = f"{path}!{members[0]}", archive.read(members[0])
        elif path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                raw = f.read()
        else:
            raw = path.read_bytes()
    except zipfile.BadZipFile:
        raise ConfigError(f"{path}: not a zip file") from None
    except gzip.BadGzipFile:
        raise ConfigError(f"{path}: not a gzip file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{where}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    return parse_json(text, where)


def build_conversation(
    *,
    info: CorpusInfo,
    file: Path,
    id: str,
    turns: Iterable[RealTurn],
    user_name: str,
    system_name: str,
    system_kind: ParticipantKind,
    user_role: str,
    system_role: str,
    scenario_id: str | None = None,
    metadata: Mapping[str, Scalar] | None = None,
    events: Iterable[dict[str, object]] = (),
    user_profile: Profile | None = None,
) -> Conversation:
    """A real conversation in Simulacra's schema, with the conventions of the module docstring.

    Raises:
        ConfigError: A metadata value (of the conversation or a turn) is not a scalar: one line
            naming the file, the conversation, the turn and the field.
    """
    turns = list(turns)
    for i, t in enumerate(turns):
        _scalars(t.metadata or {}, f"{file}: conversation {id}, turn {i}")
    _scalars(metadata or {}, f"{file}: conversation {id}")
    participants = [
        ParticipantInfo(
            id="user", name=user_name, kind=ParticipantKind.HUMAN, profile=user_profile
        ),
        ParticipantInfo(id="system", name=system_name, kind=system_kind),
    ]
    records = [
        Turn(speaker=t.side, utterance=t.text, time=0.0, metadata=dict(t.metadata or {}))
        for t in turns
    ]
    meta: dict[str, Scalar] = {
        "user_participant": "user",
        "corpus": info.name,
        "corpus.dialogue_id": id,
        "corpus.user_role": user_role,
        "corpus.system_role": system_role,
        **info.metadata(file),
        **(metadata or {}),
    }
    last = records[-1].speaker if records else None
    return Conversation(
        id=f"{info.name}:{id}",
        participants=participants,
        turns=records,
        scenario_id=scenario_id,
        termination=TerminationReason.USER_STOP
        if last == "user"
        else TerminationReason.TARGET_STOP,
        ended_by=last,
        events=list(events),
        metadata=meta,
    )


def _scalars(values: Mapping[str, object], where: str) -> None:
    for key, value in values.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            kind = type(value).__name__
            raise ConfigError(f"{where}: {key}: expected a string or number, got {kind}")


def as_list(data: object, file: Path, what: str) -> list[Any]:
    """``data`` as a list of records, or a one-line error naming the file."""
    if isinstance(data, list):
        return data
    raise ConfigError(f"{file}: expected a JSON list of {what}, got {type(data).__name__}")


def field(record: object, key: str, file: Path, where: str) -> Any:
    """``record[key]``, or a one-line error naming the file, the record and the field."""
    if not isinstance(record, Mapping):
        raise ConfigError(f"{file}: {where}: not a JSON object")
    if key not in record:
        raise ConfigError(f"{file}: {where}: missing field {key!r}")
    return record[key]
