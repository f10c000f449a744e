"""Any corpus in JSONL or CSV/TSV, through a field mapping.

Two layouts:

- **one turn a row** (JSONL objects or CSV/TSV rows): ``fields.conversation`` (the conversation
  id), ``fields.speaker``, ``fields.text`` and optionally ``fields.order`` (a number to sort the
  turns of a conversation by; default: file order). Rows of one conversation need not be
  adjacent;
- **one conversation a row** (JSONL): ``fields.messages`` names a list of message objects whose
  ``fields.speaker`` and ``fields.text`` are read (e.g. ``messages`` / ``role`` / ``content``);
  ``fields.conversation`` is optional (default: the line number).

Which speaker is the user must be explicit: ``roles`` maps speaker labels to ``user`` or
``system`` (a label not mapped is an error naming the row), or ``user`` names the user's label
and every other label is the system side. Without either, a label ``user`` is the user.

Goals (optional fields; in the one-turn-a-row layout the first row of a conversation that has a
value gives it): ``fields.goal`` the user's goal in words (metadata ``goal``), ``fields.task``
its structured form — a TaskGoal mapping, an SGD-style frame ``{service, intent, inform,
requests}`` or a list of frames, as an object or a JSON string (metadata ``goal.task``),
``fields.scenario_id`` an id shared by the dialogues of one goal (the conversation's
``scenario_id``; used to pair simulated and real dialogues), ``fields.service`` the service(s)
(metadata ``service``; a list is joined with ``,``). They make an imported corpus a source of
scenarios (``scenarios_from: {run: DIR}``).

Mapping (YAML, or a dict)::

    fields: {conversation: dialog_id, speaker: role, text: utterance, order: turn,
             goal: goal_text, task: goal_frames, scenario_id: goal_id, service: services}
    roles: {customer: user, agent: system}
    name: my-corpus            # conversation ids are <name>:<id>
    source: where it comes from
    licence: its licence
    citation: how to cite it
    system_kind: ai_system     # or human (peer conversations)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from simulacra._validation import read_jsonl, read_yaml, summarise
from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import CorpusInfo, RealTurn, build_conversation
from simulacra.errors import ConfigError
from simulacra.scenarios import task_from_record

__all__ = ["FieldMap", "GenericMapping", "load_mapping", "read_generic"]


class FieldMap(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversation: str | None = None
    speaker: str
    text: str
    order: str | None = None
    messages: str | None = None
    goal: str | None = None
    task: str | None = None
    scenario_id: str | None = None
    service: str | None = None


class GenericMapping(BaseModel):
    """How to read a generic corpus (see the module docstring)."""

    model_config = ConfigDict(extra="forbid")

    fields: FieldMap
    roles: dict[str, Literal["user", "system"]] = Field(default_factory=dict)
    user: str | None = None
    name: str = "corpus"
    source: str | None = None
    licence: str = "unknown (not stated in the mapping)"
    citation: str = ""
    system_kind: Literal["ai_system", "human"] = "ai_system"
    format: Literal["jsonl", "csv", "tsv"] | None = None
    _source: str = PrivateAttr(default="mapping")
    """Where the mapping came from (its file), named in errors about it."""


def load_mapping(mapping: str | Path | Mapping[str, Any]) -> GenericMapping:
    """A mapping from a YAML file or a dict.

    Raises:
        ConfigError: One line naming the file and the bad field.
    """
    where = "mapping"
    data: object = mapping
    if isinstance(mapping, (str, Path)):
        where = str(mapping)
        data = read_yaml(Path(mapping))
    try:
        result = GenericMapping.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{where}: {summarise(exc, model=GenericMapping)}") from None
    result._source = where
    if result.fields.messages is None and result.fields.conversation is None:
        raise ConfigError(f"{where}: fields.conversation: needed when each row is one turn")
    return result


def _rows(file: Path, fmt: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
    if fmt == "jsonl":
        yield from read_jsonl(file, what="JSONL file")
        return
    try:
        with file.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f, delimiter="\t" if fmt == "tsv" else ",")
            yield from enumerate(reader, start=2)
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text") from None
    except csv.Error as exc:
        raise ConfigError(f"{file}: not {fmt.upper()} ({exc})") from None


def _get(
    m: GenericMapping, row: Mapping[str, Any], key: str, file: Path, number: int, role: str
) -> Any:
    """``row[key]``; a missing key names the mapping's field and the corpus row."""
    if key not in row:
        have = (", ".join(sorted(str(k)[:20] for k in row)) or "nothing")[:80]
        raise ConfigError(
            f"{m._source}: fields.{role}: no field {key[:40]!r} in {file}:{number}"
            f" (the row has {have})"
        )
    return row[key]


def _side(m: GenericMapping, speaker: str, file: Path, where: str) -> str:
    if m.roles:
        if speaker not in m.roles:
            known = ", ".join(m.roles)[:60]
            raise ConfigError(
                f"{m._source}: roles: speaker {speaker[:40]!r} of {file}:{where} is not mapped"
                f" (roles: {known})"
            )
        return m.roles[speaker]
    return "user" if speaker == (m.user or "user") else "system"


def read_generic(
    path: str | Path,
    *,
    mapping: str | Path | Mapping[str, Any] | GenericMapping,
    limit: int | None = None,
) -> Iterator[Conversation]:
    """The conversations of a JSONL/CSV/TSV file read through ``mapping``."""
    file = Path(path)
    m = mapping if isinstance(mapping, GenericMapping) else load_mapping(mapping)
    if not file.is_file():
        raise ConfigError(f"{file}: file not found")
    fmt = m.format or {".csv": "csv", ".tsv": "tsv"}.get(file.suffix.lower(), "jsonl")
    f = m.fields
    dialogues: dict[str, list[tuple[float, RealTurn]]] = {}
    labels: dict[str, tuple[str, str]] = {}
    goals: dict[str, dict[str, str]] = {}
    for number, row in _rows(file, fmt):
        if f.messages is not None:
            cid = str(row.get(f.conversation, number) if f.conversation else number)
            _goal_fields(f, row, goals.setdefault(cid, {}), f"{file}:{number}", cid)
            messages = _get(m, row, f.messages, file, number, "messages")
            if not isinstance(messages, list):
                raise ConfigError(
                    f"{m._source}: fields.messages: {f.messages[:40]!r} of {file}:{number}"
                    " is not a list"
                )
            for i, msg in enumerate(messages):
                if not isinstance(msg, Mapping):
                    raise ConfigError(f"{file}:{number}: message {i} is not an object")
                speaker = str(_get(m, msg, f.speaker, file, number, "speaker"))
                side = _side(m, speaker, file, f"{number}, message {i}")
                labels.setdefault(side, (speaker, speaker))
                text = str(_get(m, msg, f.text, file, number, "text"))
                dialogues.setdefault(cid, []).append((float(i), RealTurn(side, text)))
            continue
        assert f.conversation is not None
        cid = str(_get(m, row, f.conversation, file, number, "conversation"))
        _goal_fields(f, row, goals.setdefault(cid, {}), f"{file}:{number}", cid)
        speaker = str(_get(m, row, f.speaker, file, number, "speaker"))
        side = _side(m, speaker, file, str(number))
        labels.setdefault(side, (speaker, speaker))
        text = str(_get(m, row, f.text, file, number, "text"))
        order = float(number)
        if f.order is not None:
            raw = _get(m, row, f.order, file, number, "order")
            try:
                order = float(raw)
            except (TypeError, ValueError):
                raise ConfigError(
                    f"{m._source}: fields.order: {f.order[:40]!r} of {file}:{number} is not a"
                    f" number: {raw!r:.40}"
                ) from None
        dialogues.setdefault(cid, []).append((order, RealTurn(side, text)))
    info = CorpusInfo(m.name, m.source or f"{file.name} (generic import)", m.licence, m.citation)
    user_label = labels.get("user", ("user", ""))[0]
    system_label = labels.get("system", ("system", ""))[0]
    for count, (cid, turns) in enumerate(dialogues.items()):
        if limit is not None and count >= limit:
            return
        goal = goals.get(cid, {})
        scenario_id = goal.pop("scenario_id", None)
        yield build_conversation(
            info=info,
            file=file,
            id=cid,
            turns=[t for _, t in sorted(turns, key=lambda x: x[0])],
            user_name=user_label.capitalize() or "User",
            system_name=system_label.capitalize() or "System",
            system_kind=ParticipantKind(m.system_kind),
            user_role=user_label,
            system_role=system_label,
            scenario_id=scenario_id,
            metadata=goal or None,
        )


def _goal_fields(
    f: FieldMap, row: Mapping[str, Any], out: dict[str, str], where: str, cid: str
) -> None:
    """The goal fields of one row into ``out`` (a field already read is kept)."""
    for key, name in (
        ("goal", f.goal),
        ("goal.task", f.task),
        ("scenario_id", f.scenario_id),
        ("service", f.service),
    ):
        if name is None or key in out or row.get(name) in (None, "", [], {}):
            continue
        value = row[name]
        if key == "goal.task":
            task_from_record(value, id=cid, where=f"{where}: fields.task {name!r}")
            out[key] = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
        elif isinstance(value, list):
            out[key] = ",".join(str(v) for v in value)
        else:
            out[key] = str(value)
