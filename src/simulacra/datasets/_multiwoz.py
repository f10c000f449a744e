"""MultiWOZ 2.1 user goals (and real turns) read from the original files.

Two layouts are read as they are distributed, from ``.json`` or from a ``.zip`` holding one
JSON file:

- the original MultiWOZ / ConvLab-2 packaging (``val.json.zip``, ``test.json.zip``): a mapping
  ``{dialogue_id: {"goal": {...}, "log": [...]}}`` with per-domain ``info``, ``reqt``, ``book``,
  ``fail_info``, ``fail_book`` and the crowd workers' ``message``; turns alternate user/system
  and carry ``dialog_act`` (``{"Hotel-Inform": [["Area", "east"]]}``);
- the ConvLab-3 unified format (e.g. ``dummy_data.json``): a list of dialogues with
  ``goal: {description, inform, request}`` (alternatives joined by ``|``, the first tried first)
  and ``turns`` with ``dialogue_acts``.

Data licence: MultiWOZ is MIT (Budzianowski et al., 2018; 2.1: Eric et al., 2020); the ConvLab-2
and ConvLab-3 packagings are Apache-2.0. Every goal and dialogue carries this provenance.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from simulacra.datasets._corpus import read_json
from simulacra.errors import ConfigError
from simulacra.scenarios import (
    BOOK_SLOTS,
    DOMAINS,
    DialogueAct,
    TaskGoal,
    did_you_mean,
    normalise_slot,
)

__all__ = [
    "MULTIWOZ_LICENCE",
    "CorpusTurn",
    "MultiWOZDialogue",
    "MultiWOZScenario",
    "Provenance",
    "multiwoz_dialogues",
    "multiwoz_goals",
    "multiwoz_scenarios",
]

MULTIWOZ_LICENCE = "MIT (MultiWOZ data); Apache-2.0 (ConvLab-2 / ConvLab-3 packaging)"


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a goal or dialogue comes from.

    Attributes:
        corpus: ``MultiWOZ 2.1``.
        file: The file it was read from.
        dialogue_id: The corpus' id of the dialogue.
        licence: Licence of the data and of its packaging.
        packaging: ``original`` (MultiWOZ / ConvLab-2 layout) or ``unified`` (ConvLab-3).
    """

    corpus: str
    file: str
    dialogue_id: str
    licence: str
    packaging: str

    def __str__(self) -> str:
        return f"{self.corpus} {Path(self.file).name}#{self.dialogue_id} ({self.licence})"


@dataclass(frozen=True, slots=True)
class CorpusTurn:
    """One real turn: who spoke, the text, its annotated dialogue acts (unified slot names)."""

    speaker: str
    text: str
    acts: tuple[DialogueAct, ...]


@dataclass(frozen=True, slots=True)
class MultiWOZDialogue:
    """A MultiWOZ dialogue: the user's goal and, if asked for, the real turns.

    Attributes:
        id: The corpus' dialogue id.
        goal: The user's goal.
        turns: The real turns (user and system), empty unless read ``with_turns``.
        provenance: Source and licence.
    """

    id: str
    goal: TaskGoal
    turns: tuple[CorpusTurn, ...]
    provenance: Provenance

    @property
    def user_turns(self) -> list[CorpusTurn]:
        """The real user's turns (for fidelity comparisons)."""
        return [t for t in self.turns if t.speaker == "user"]


class MultiWOZScenario(BaseModel):
    """A run scenario made from a MultiWOZ goal.

    Attributes:
        id: ``multiwoz:<dialogue id>``.
        goal: The goal in natural language (for a prompted user).
        task: The structured goal (for the agenda-based user and the task-success check).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    goal: str
    task: TaskGoal


_TAG = re.compile(r"<[^>]+>")
_ORDER = list(DOMAINS)
_INTENTS = {"offerbooked": "book", "noffer": "nooffer"}


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub("", text))).strip()


def _act_slot(domain: str, slot: str) -> str:
    if slot.lower() == "none":
        return ""
    book = normalise_slot(domain, slot, book=True)
    if book in BOOK_SLOTS.get(domain, ()):
        return book
    name = normalise_slot(domain, slot)
    if name == "price" and domain in ("hotel", "restaurant", "attraction"):
        return "price range"
    return name


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _object(value: object, where: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else a one-line error at ``where``."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected an object, got {_kind(value)}")
    return value


def _array(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list, got {_kind(value)}")
    return value


def _original_acts(dialog_act: object, current: str, where: str) -> tuple[list[DialogueAct], str]:
    acts: list[DialogueAct] = []
    if not isinstance(dialog_act, Mapping):
        return acts, current
    for key, pairs in dialog_act.items():
        domain, _, intent = str(key).lower().partition("-")
        if domain in DOMAINS:
            current = domain
        if domain == "booking":
            domain = current
        intent = _INTENTS.get(intent, intent)
        pairs = _array(pairs or [], f"{where}.{key}")
        if not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise ConfigError(f"{where}.{key}: expected [slot, value] pairs")
        for slot, value in pairs:
            value = "" if value in ("?", "none") else str(value).lower()
            acts.append(DialogueAct(intent, domain, _act_slot(domain, str(slot)), value))
    return acts, current


def _original_goal(
    raw: Mapping[str, Any], dialogue_id: str, order: Sequence[str], where: str
) -> object:
    domains = []
    for name in sorted((d for d in DOMAINS if raw.get(d)), key=lambda d: order.index(d)):
        g = _object(raw[name], f"{where}.{name}")
        reqt = _array(g.get("reqt") or [], f"{where}.{name}.reqt")
        book = _object(g.get("book") or {}, f"{where}.{name}.book")
        domains.append(
            {
                "domain": name,
                "inform": g.get("info") or {},
                "requests": list(reqt),
                "book": {k: v for k, v in book.items() if "invalid" not in k},
                "fail_inform": g.get("fail_info") or {},
                "fail_book": g.get("fail_book") or {},
            }
        )
    message = raw.get("message") or []
    parts = [
        _plain(str(m)).rstrip(". ") for m in (message if isinstance(message, list) else [message])
    ]
    description = " ".join(f"{p}." for p in parts if p)
    return {"id": dialogue_id, "description": description, "domains": domains}


def _unified_goal(raw: Mapping[str, Any], dialogue_id: str, where: str) -> object:
    inform = _object(raw.get("inform") or {}, f"{where}.inform")
    request = _object(raw.get("request") or {}, f"{where}.request")
    domains = []
    for name in dict.fromkeys([*inform, *request]):
        requests = _object(request.get(name) or {}, f"{where}.request.{name}")
        g: dict[str, Any] = {"domain": name, "requests": list(requests)}
        for key in ("inform", "book", "fail_inform", "fail_book"):
            g[key] = {}
        for slot, value in _object(inform.get(name) or {}, f"{where}.inform.{name}").items():
            *first, final = str(value).split("|")
            kind = "book" if slot.startswith("book ") else "inform"
            g[kind][slot] = final
            if first:
                g[f"fail_{kind}"][slot] = first[0]
        domains.append(g)
    return {
        "id": dialogue_id,
        "description": _plain(str(raw.get("description", ""))),
        "domains": domains,
    }


def _parse_goal(data: object, file: Path, dialogue_id: str, provenance: Provenance) -> TaskGoal:
    if isinstance(data, dict):
        data["source"] = str(provenance)
    return TaskGoal.parse(data, source=f"{file}: dialogue {dialogue_id}: goal")


def _original(file: Path, data: Mapping[str, Any], with_turns: bool) -> Iterator[MultiWOZDialogue]:
    for dialogue_id, dialogue in data.items():
        if not isinstance(dialogue, Mapping) or not isinstance(dialogue.get("goal"), Mapping):
            raise ConfigError(f"{file}: dialogue {dialogue_id}: no 'goal'")
        where = f"{file}: dialogue {dialogue_id}"
        log = _array(dialogue.get("log") or [], f"{where}: log")
        turns: list[CorpusTurn] = []
        order: list[str] = []
        current = ""
        for index, turn in enumerate(log):
            turn = _object(turn, f"{where}: log.{index}")
            acts, current = _original_acts(
                turn.get("dialog_act"), current, f"{where}: log.{index}.dialog_act"
            )
            order.extend(a.domain for a in acts if a.domain in DOMAINS and a.domain not in order)
            if with_turns:
                speaker = "user" if index % 2 == 0 else "system"
                turns.append(CorpusTurn(speaker, str(turn.get("text", "")).strip(), tuple(acts)))
        order.extend(d for d in _ORDER if d not in order)
        provenance = Provenance(
            "MultiWOZ 2.1", str(file), str(dialogue_id), MULTIWOZ_LICENCE, "original"
        )
        raw = _original_goal(dialogue["goal"], str(dialogue_id), order, f"{where}: goal")
        goal = _parse_goal(raw, file, str(dialogue_id), provenance)
        yield MultiWOZDialogue(str(dialogue_id), goal, tuple(turns), provenance)


def _unified_acts(raw: object, where: str) -> tuple[DialogueAct, ...]:
    acts: list[DialogueAct] = []
    if isinstance(raw, Mapping):
        for kind in ("categorical", "non-categorical", "binary"):
            for i, a in enumerate(_array(raw.get(kind) or [], f"{where}.{kind}")):
                a = _object(a, f"{where}.{kind}.{i}")
                acts.append(
                    DialogueAct(
                        str(a.get("intent", "")),
                        str(a.get("domain", "")),
                        str(a.get("slot", "")),
                        str(a.get("value", "")).lower(),
                    )
                )
    return tuple(acts)


def _unified(file: Path, data: Sequence[Any], with_turns: bool) -> Iterator[MultiWOZDialogue]:
    for index, dialogue in enumerate(data):
        if not isinstance(dialogue, Mapping):
            raise ConfigError(f"{file}: dialogue {index}: not an object")
        dialogue_id = str(dialogue.get("dialogue_id", index))
        if not isinstance(dialogue.get("goal"), Mapping):
            raise ConfigError(f"{file}: dialogue {dialogue_id}: no 'goal'")
        where = f"{file}: dialogue {dialogue_id}"
        provenance = Provenance("MultiWOZ 2.1", str(file), dialogue_id, MULTIWOZ_LICENCE, "unified")
        goal = _parse_goal(
            _unified_goal(dialogue["goal"], dialogue_id, f"{where}: goal"),
            file,
            dialogue_id,
            provenance,
        )
        raw_turns = _array(dialogue.get("turns") or [] if with_turns else [], f"{where}: turns")
        turns = tuple(
            CorpusTurn(
                str(t.get("speaker", "")),
                str(t.get("utterance", "")),
                _unified_acts(t.get("dialogue_acts"), f"{where}: turns.{i}.dialogue_acts"),
            )
            for i, t in ((i, _object(t, f"{where}: turns.{i}")) for i, t in enumerate(raw_turns))
        )
        yield MultiWOZDialogue(dialogue_id, goal, turns, provenance)


def _keep(goal: TaskGoal, domains: frozenset[str] | None) -> bool:
    return domains is None or set(goal.domain_names) <= domains


def _domain_filter(domains: Iterable[str] | None, file: Path) -> frozenset[str] | None:
    if domains is None:
        return None
    wanted = frozenset(d.strip().lower() for d in domains)
    for d in sorted(wanted):
        if d not in DOMAINS:
            raise ConfigError(f"{file}: domains: unknown domain {d!r}{did_you_mean(d, DOMAINS)}")
    return wanted


def multiwoz_dialogues(
    path: str | Path,
    *,
    with_turns: bool = False,
    domains: Iterable[str] | None = None,
    limit: int | None = None,
) -> Iterator[MultiWOZDialogue]:
    """The dialogues of one MultiWOZ file, in file order.

    Args:
        path: A ``.json`` or ``.zip`` in the original or the ConvLab-3 unified layout.
        with_turns: Also read the real turns and their dialogue acts.
        domains: Keep only dialogues whose goal stays within these domains (e.g. ``["hotel"]``:
            hotel-only goals).
        limit: At most this many dialogues.

    Raises:
        ConfigError: One line naming the file (and dialogue) when it is missing, not a zip or
            not JSON, not in either layout, or a dialogue has no goal or an unknown slot.
    """
    file = Path(path)
    wanted = _domain_filter(domains, file)
    data = read_json(file)
    if isinstance(data, Mapping):
        dialogues = _original(file, data, with_turns)
    elif isinstance(data, list):
        dialogues = _unified(file, data, with_turns)
    else:
        raise ConfigError(
            f"{file}: top level: expected a mapping of dialogues (original layout) or a list"
            f" (unified layout), got {_kind(data)}"
        )
    count = 0
    for dialogue in dialogues:
        if limit is not None and count >= limit:
            return
        if _keep(dialogue.goal, wanted):
            count += 1
            yield dialogue


def multiwoz_goals(
    path: str | Path, *, domains: Iterable[str] | None = None, limit: int | None = None
) -> list[TaskGoal]:
    """The user goals of one MultiWOZ file (see :func:`multiwoz_dialogues`)."""
    return [d.goal for d in multiwoz_dialogues(path, domains=domains, limit=limit)]


def multiwoz_scenarios(
    path: str | Path, *, limit: int | None = None, domains: Iterable[str] | None = None
) -> list[MultiWOZScenario]:
    """Run scenarios from MultiWOZ goals: the natural-language goal for a prompted user and the
    structured one for the agenda-based user (see :func:`multiwoz_dialogues`)."""
    return [
        MultiWOZScenario(id=f"multiwoz:{g.id}", goal=g.description or str(g.domain_names), task=g)
        for g in multiwoz_goals(path, domains=domains, limit=limit)
    ]
