"""A person takes one seat of a run config (``simulacra play``): human-in-the-loop conversations.

The config is the same one ``simulacra run`` executes; one work item (the first profile and epoch
0 of the chosen scenario) is played, with a :class:`~simulacra.participants.HumanParticipant` in
the chosen seat and everything else built as the config says:

- ``human_ai`` (default paradigm): ``user`` (the person talks to the system under test) or
  ``system`` (the person answers the simulated user);
- ``human_human``: ``member:ID`` (or ``user``: the first person) against the simulated other;
- ``group_chat``: ``member:ID`` (or ``user``: the first user) among the simulated users, or
  ``system`` (the person is the group's assistant and ``/skip`` s to stay silent).

The person keeps the seat's participant id and display name, so the others' prompts are what a
simulated run would give them. The record is an ordinary run directory: ``run.json`` (with a
``human`` section) and ``conversations.jsonl``, where the seat has ``kind: human``, each of the
person's turns ``human: true``, and the conversation ``human_seat`` / ``human_role`` metadata.
``stop.timeout`` is not applied (people type slowly); the other stop conditions are.
"""

from __future__ import annotations

import difflib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, TerminationReason
from simulacra.errors import ConfigError
from simulacra.models import Model, OpenAICompatibleAPI, get_model
from simulacra.paradigms._group_chat import _group_instructions
from simulacra.paradigms._human_human import DEFAULT_PEER_GOAL, _person_ids
from simulacra.participants import (
    GoalStateOptions,
    HumanParticipant,
    render_profile,
)
from simulacra.profiles import GeneralUser, Profile
from simulacra.runs._config import RunConfig, UserConfig
from simulacra.runs._engine import RunStats
from simulacra.runs._items import WorkItem, _preflight_openai, run_item, work_items
from simulacra.runs._play_seats import (
    _brief,
    group_chat_seat,
    human_ai_user_seat,
    human_human_seat,
)
from simulacra.runs._runner import _config_sha, _run_dir, _versions
from simulacra.runs._store import RunWriter

__all__ = ["PLAYABLE", "PlayResult", "Seat", "parse_seat", "play"]

PLAYABLE = ("human_ai", "human_human", "group_chat")
"""Paradigms in which a person can take a seat."""


@dataclass(frozen=True)
class Seat:
    """Which seat a person takes: ``user``, ``system`` or ``member`` (``name``: an id or name)."""

    role: str
    name: str | None = None

    def __str__(self) -> str:
        return f"{self.role}:{self.name}" if self.name else self.role


def parse_seat(text: str) -> Seat:
    """Parse ``user``, ``system``, ``member`` or ``member:NAME``.

    Raises:
        ConfigError: Anything else.
    """
    role, _, name = text.partition(":")
    if role not in ("user", "system", "member") or (name and role != "member"):
        raise ConfigError(f"--as: expected user, system or member[:NAME], got {text!r}")
    return Seat(role, name or None)


@dataclass
class PlayResult:
    """What a played conversation produced: its run directory and record."""

    directory: Path
    conversation: Conversation


@dataclass
class _Plan:
    """The seat resolved against the config: who the person is and which model roles run."""

    id: str
    name: str
    brief: str
    roles: list[str]


def _pick(items: list[str], wanted: str, what: str, source: str) -> int:
    if wanted in items:
        return items.index(wanted)
    close = difflib.get_close_matches(wanted, items, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError(f"{source}: no {what} {wanted!r}{hint}; have: {', '.join(items)}")


def _profile_text(profile: Profile | None) -> str:
    if profile is None or isinstance(profile, GeneralUser):
        return ""
    return "Who you are:\n" + render_profile(profile)[0].strip()


def _plan(config: RunConfig, item: WorkItem, seat: Seat, source: str) -> _Plan:
    scenario = item.scenario
    kind = config.paradigm["type"] if config.paradigm else "human_ai"
    if kind not in PLAYABLE:
        raise ConfigError(
            f"{source}: paradigm {kind!r} cannot be played; play supports {', '.join(PLAYABLE)}"
        )
    options: Any = config.paradigm_options
    if kind == "human_ai":
        if seat.role == "member":
            raise ConfigError(f"--as: a human_ai config has the seats user and system, not {seat}")
        if seat.role == "user":
            roles = [config.target.model] if config.target.type == "model" else []
            brief = _brief(
                f"You are the user. Your goal: {scenario.goal}",
                scenario.instructions,
                _profile_text(item.profile),
                f"You are talking to {config.target.name}. Type /quit when you are done.",
            )
            return _Plan("user", item.profile.name, brief, roles)
        roles = (
            [config.user.model] if isinstance(config.user, UserConfig | GoalStateOptions) else []
        )
        brief = _brief(
            f"You are {config.target.name}, the system under test: answer the user.",
            config.target.system_prompt and f"Your instructions: {config.target.system_prompt}",
        )
        return _Plan("assistant", config.target.name, brief, roles)
    if kind == "human_human":
        if seat.role == "system":
            raise ConfigError("--as: a human_human config has no system seat; use member:ID")
        ids = _person_ids(options.people)
        names = [p.profile.name for p in options.people]
        k = 0 if seat.name is None else _seat_index(ids, names, seat.name, source)
        person, other = options.people[k], options.people[1 - k]
        brief = _brief(
            f"The situation: {scenario.goal}",
            f"Your goal: {person.goal or DEFAULT_PEER_GOAL}",
            scenario.instructions,
            _profile_text(person.profile),
        )
        return _Plan(ids[k], names[k], brief, [other.model or options.model])

    roles = options.model_roles()
    if seat.role == "system":
        a = options.assistant
        brief = _brief(
            f"You are {a.name}, the AI assistant of this group chat. What it is about: "
            f"{scenario.goal}",
            a.system_prompt and f"Your instructions: {a.system_prompt}",
            "Answer when you have something useful to say; type /skip to stay silent.",
        )
        keep = [options.user_model] + ([options.moderator] if options.policy == "moderator" else [])
        return _Plan(a.id, a.name, brief, keep)
    ids = [u.id for u in options.users]
    names = [u.display_name() for u in options.users]
    first = options.first_speaker or ids[0]
    k = ids.index(first) if seat.name is None else _seat_index(ids, names, seat.name, source)
    spec = options.users[k]
    brief = _brief(
        _group_instructions(options, spec, scenario.goal),
        f"Your goal: {spec.goal or scenario.goal}",
        scenario.instructions,
        _profile_text(spec.profile),
    )
    return _Plan(spec.id, names[k], brief, roles)


def _seat_index(ids: list[str], names: list[str], wanted: str, source: str) -> int:
    if wanted not in ids and wanted in names:
        return names.index(wanted)
    return _pick(ids, wanted, "member", source)


def _build_models(config: RunConfig, roles: list[str]) -> dict[str, Model]:
    models: dict[str, Model] = {}
    for role in dict.fromkeys(roles):
        try:
            model = get_model(config.models[role], role=role)
        except ConfigError as exc:
            raise ConfigError(f"models.{role}: {exc}") from None
        if isinstance(model.api, OpenAICompatibleAPI):
            _preflight_openai(role, model.api)
        models[role] = model
    return models


def _work_item(config: RunConfig, scenario_id: str | None, source: str) -> WorkItem:
    ids = [s.id for s in config.scenarios]
    wanted = ids[0] if scenario_id is None else ids[_pick(ids, scenario_id, "scenario", source)]
    return next(i for i in work_items(config) if i.scenario.id == wanted and i.epoch == 0)


async def play(
    config: RunConfig,
    *,
    seat: str | Seat,
    scenario: str | None = None,
    output_dir: Path | None = None,
    config_path: Path | None = None,
    human: HumanParticipant | None = None,
    models: Mapping[str, Model] | None = None,
    player: str | None = None,
) -> PlayResult:
    """Play one conversation of ``config`` with a person in ``seat`` and write its run directory.

    Args:
        config: The run config.
        seat: ``user``, ``system``, ``member`` or ``member:NAME`` (or a :class:`Seat`).
        scenario: The scenario id (default: the config's first).
        output_dir: Where the run directory goes (default: the config's ``output_dir``).
        config_path: Recorded in ``run.json``.
        human: The person (default: stdin/stdout); its id, name and brief are set to the seat's.
        models: Models by role instead of building them from the config (tests, notebooks).
        player: A pseudonym of the person, recorded in ``run.json`` (never their real name).

    Raises:
        ConfigError: Unknown seat or scenario, a paradigm that cannot be played, bad models.
    """
    source = str(config_path or "<config>")
    chosen = parse_seat(seat) if isinstance(seat, str) else seat
    item = _work_item(config, scenario, source)
    plan = _plan(config, item, chosen, source)
    person = human or HumanParticipant()
    person.info = person.info.model_copy(update={"id": plan.id, "name": plan.name})
    person.brief = person.brief or plan.brief
    # Humans type slowly: the run's wall-clock timeout would cut them off.
    config = config.model_copy(update={"stop": config.stop.model_copy(update={"timeout": None})})
    built = dict(models) if models is not None else _build_models(config, plan.roles)
    kind = config.paradigm["type"] if config.paradigm else "human_ai"
    try:
        if kind == "human_ai" and chosen.role == "user":
            conversation = await human_ai_user_seat(config, item, built, person)
        elif kind == "human_ai":
            conversation = await run_item(config, item, built, person)
        elif kind == "human_human":
            conversation = await human_human_seat(config, item, built, person)
        else:
            conversation = await group_chat_seat(config, item, built, person)
    finally:
        if models is None:
            for model in built.values():
                await model.aclose()
    _mark(conversation, person, chosen, kind, item)
    directory = _write(config, conversation, built, chosen, person, player, config_path, output_dir)
    return PlayResult(directory=directory, conversation=conversation)


def _mark(
    conversation: Conversation, person: HumanParticipant, seat: Seat, kind: str, item: WorkItem
) -> None:
    meta = conversation.metadata
    if kind != "human_ai":
        meta.setdefault("paradigm", kind)
        meta.setdefault("profile_id", item.profile.profile_id())
        meta.setdefault("epoch", item.epoch)
        meta.setdefault("seed", item.seed)
    meta["human_seat"] = person.info.id
    meta["human_role"] = seat.role
    if conversation.ended_by == person.info.id and person.commands[-1:] in (["quit"], ["eof"]):
        conversation.events.append(
            {"type": "human_quit", "turn": len(conversation.turns), "participant": person.info.id}
        )
        if seat.role == "system" and conversation.termination is TerminationReason.USER_STOP:
            # The loop calls every non-AI stop a user stop; here the person was the system.
            conversation.termination = TerminationReason.TARGET_STOP


def _write(
    config: RunConfig,
    conversation: Conversation,
    models: Mapping[str, Model],
    seat: Seat,
    person: HumanParticipant,
    player: str | None,
    config_path: Path | None,
    output_dir: Path | None,
) -> Path:
    manifest: dict[str, Any] = {
        "name": config.name,
        "status": "running",
        "created_at": conversation.started_at or time.time(),
        "config_path": str(config_path) if config_path else None,
        "config_sha256": _config_sha(config),
        "config": config.model_dump(mode="json"),
        "versions": _versions(),
        "models": {role: m.api.describe() for role, m in models.items()},
        "seed": config.seed,
        "work_items": 1,
        "human": {
            "seat": str(seat),
            "participant": person.info.id,
            "name": person.info.name,
            "player": player,
            "scenario": conversation.scenario_id,
        },
    }
    directory = _run_dir(config, output_dir or Path(config.output_dir))
    writer = RunWriter(directory, manifest)
    try:
        writer.write(conversation)
        stats = RunStats()
        stats.add(conversation)
        wall = (conversation.ended_at or time.time()) - (conversation.started_at or time.time())
        summary = stats.summary(dict(models), wall, config.prices, None)
        writer.update(status="complete", summary=summary, finished_at=time.time())
    finally:
        writer.close()
    return directory
