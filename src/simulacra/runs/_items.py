"""One work item: the work set (scenarios × profiles × epochs), the models and system under test a
run builds once, and the conversation a work item becomes — every paradigm, ``human_ai``
included, through the paradigm registry."""

from __future__ import annotations

import hashlib
import importlib
import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from simulacra._secrets import redact_url
from simulacra.conversation import Conversation, View
from simulacra.errors import ConfigError
from simulacra.models import CallCache, Model, OpenAICompatibleAPI, cache_dir, get_model
from simulacra.orchestration import StopConditions
from simulacra.paradigms import HumanAIOptions, ParadigmContext, ParadigmOptions, get_paradigm
from simulacra.paradigms._human_ai import UserConfig, converse
from simulacra.participants import (
    CallableTarget,
    GoalStateOptions,
    HTTPTarget,
    ModelTarget,
    Participant,
)
from simulacra.profiles import GeneralUser, Profile
from simulacra.runs._config import RunConfig
from simulacra.runs._scenarios import scenario_target
from simulacra.scenarios import ScenarioConfig

__all__ = [
    "WorkItem",
    "build_models",
    "converse_user_target",
    "count_items",
    "human_ai_options",
    "run_item",
    "work_item_id",
    "work_items",
]


def work_item_id(scenario_id: str, profile_id: str, epoch: int, seed: int) -> str:
    """Deterministic id of one conversation of a run."""
    key = f"{scenario_id}\x1f{profile_id}\x1f{epoch}\x1f{seed}".encode()
    return hashlib.sha256(key).hexdigest()[:16]


@dataclass(frozen=True)
class WorkItem:
    """One conversation to run: a scenario, a profile, an epoch."""

    id: str
    scenario: ScenarioConfig
    profile: Profile
    epoch: int
    seed: int


def _item_profiles(config: RunConfig) -> list[Profile]:
    # A paradigm that defines its own participants runs once per scenario and epoch.
    options = config.paradigm_options
    if options is not None and not options.uses_profiles:
        assert config.paradigm is not None
        return [GeneralUser(id=f"paradigm:{config.paradigm['type']}")]
    return config.profiles


def work_items(config: RunConfig) -> Iterator[WorkItem]:
    """Stream the work set: scenarios × profiles × epochs (never materialised)."""
    profiles = _item_profiles(config)
    for epoch in range(config.epochs):
        for scenario in config.scenarios:
            for profile in profiles:
                pid = profile.profile_id()
                seed = int(work_item_id(scenario.id, pid, epoch, config.seed)[:8], 16)
                yield WorkItem(
                    id=work_item_id(scenario.id, pid, epoch, config.seed),
                    scenario=scenario,
                    profile=profile,
                    epoch=epoch,
                    seed=seed,
                )


def count_items(config: RunConfig) -> int:
    """Size of the work set."""
    return config.epochs * len(config.scenarios) * len(_item_profiles(config))


def _used_roles(config: RunConfig) -> list[str]:
    if config.paradigm_options is not None:
        return list(dict.fromkeys(config.paradigm_options.model_roles()))
    roles = [config.user.model] if isinstance(config.user, UserConfig | GoalStateOptions) else []
    if config.target.type == "model" and config.target.model not in roles:
        roles.append(config.target.model)
    roles += [j.model for j in config.judges if j.baseline is None and j.model not in roles]
    return list(dict.fromkeys(roles))


def _preflight_openai(role: str, api: OpenAICompatibleAPI) -> None:
    try:
        httpx.get(f"{api.base_url}/models", timeout=5.0)
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"models.{role}: cannot reach {redact_url(api.base_url)} ({type(exc).__name__}); "
            "start the server or fix base_url"
        ) from None


def build_models(config: RunConfig, *, cache: CallCache | None = None) -> dict[str, Model]:
    """Create one :class:`Model` per used role (each embedded role gets its own context).

    Raises:
        ConfigError: A model is missing, fails verification, or its server is unreachable.
    """
    models: dict[str, Model] = {}
    for role in _used_roles(config):
        spec = config.models[role]
        try:
            use_cache = cache if role in config.cache.roles else None
            model = get_model(spec, role=role, cache=use_cache)
        except ConfigError as exc:
            raise ConfigError(f"models.{role}: {exc}") from None
        if isinstance(model.api, OpenAICompatibleAPI):
            _preflight_openai(role, model.api)
        models[role] = model
    return models


def _load_callable(ref: str) -> Callable[[View], Any]:
    module_name, _, attr = ref.partition(":")
    if "" not in sys.path and "." not in sys.path:
        sys.path.insert(0, "")
    try:
        module = importlib.import_module(module_name)
        fn = getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"target.callable: cannot import {ref!r} ({exc})") from None
    if not callable(fn):
        raise ConfigError(f"target.callable: {ref!r} is not callable")
    return fn  # type: ignore[no-any-return]


def _build_target(config: RunConfig, models: dict[str, Model]) -> Participant | None:
    if config.paradigm_options is not None:
        return None  # the paradigm builds its own participants
    t = config.target
    if t.type == "model":
        return ModelTarget(models[t.model], system_prompt=t.system_prompt, name=t.name)
    if t.type == "http":
        assert t.url is not None
        target = HTTPTarget(
            t.url,
            request_template=t.request_template,
            response_path=t.response_path,
            headers=t.headers,
            headers_env=t.headers_env,
            timeout=t.timeout,
            name=t.name,
        )
        try:
            httpx.request("OPTIONS", t.url, timeout=5.0)
        except httpx.HTTPError as exc:
            raise ConfigError(
                f"target.url: cannot reach {redact_url(t.url)} ({type(exc).__name__})"
            ) from None
        return target
    assert t.callable is not None
    return CallableTarget(_load_callable(t.callable), name=t.name)


def _open_cache(config: RunConfig) -> CallCache | None:
    if not config.cache.enabled:
        return None
    path = Path(config.cache.path) if config.cache.path else cache_dir() / "calls.sqlite"
    try:
        return CallCache(path)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cache.path: cannot open {path} ({exc})") from None


def _stop_conditions(config: RunConfig, scenario: ScenarioConfig) -> StopConditions:
    return StopConditions(
        max_turns=scenario.max_turns or config.stop.max_turns,
        token_budget=config.stop.token_budget,
        timeout=config.stop.timeout,
        stall_window=config.stop.stall_window,
    )


def human_ai_options(config: RunConfig) -> HumanAIOptions:
    """The default paradigm's options, from the run config's ``user:``, ``validity:`` and
    ``stop.task_success``."""
    return HumanAIOptions(
        user=config.user, validity=config.validity, task_success=config.stop.task_success
    )


def _context(
    config: RunConfig,
    item: WorkItem,
    models: dict[str, Model],
    options: ParadigmOptions,
    target: Participant | None,
) -> ParadigmContext:
    scenario = item.scenario
    metadata: dict[str, str | int | float | bool | None] = {
        "profile_id": item.profile.profile_id(),
        "epoch": item.epoch,
        "seed": item.seed,
    }
    if config.paradigm is not None and config.paradigm_options is not None:
        metadata = {"paradigm": config.paradigm["type"], **metadata}
    return ParadigmContext(
        conversation_id=item.id,
        scenario_id=scenario.id,
        goal=scenario.goal,
        instructions=scenario.instructions,
        opening=scenario.opening,
        seed=item.seed,
        epoch=item.epoch,
        models=models,
        stop=_stop_conditions(config, scenario),
        profile=item.profile if options.uses_profiles else None,
        metadata=metadata,
        task=scenario.task,
        first_speaker=scenario.first_speaker,
        # this scenario's own / its service's system prompt on a model target
        target=scenario_target(config, scenario, target) if target is not None else None,
    )


async def run_item(
    config: RunConfig, item: WorkItem, models: dict[str, Model], target: Participant | None
) -> Conversation:
    """The conversation record of one work item, from the paradigm's registered runner
    (``target``: the run's system under test, for ``human_ai``)."""
    options = config.paradigm_options
    name = "human_ai"
    if options is None:
        options = human_ai_options(config)
    else:
        assert config.paradigm is not None
        name = config.paradigm["type"]
    _, runner = get_paradigm(name)
    context = _context(config, item, models, options, target)
    conversation = await runner(options, context)
    # The record is the work item's, whatever the paradigm did.
    conversation.id = item.id
    conversation.scenario_id = item.scenario.id
    conversation.metadata = {**context.metadata, **conversation.metadata}
    return conversation


async def converse_user_target(
    config: RunConfig, item: WorkItem, user: Participant, target: Participant
) -> Conversation:
    """One human–AI conversation of ``item`` between ``user`` (simulated or a person) and
    ``target``: speaking order, opening line and stop conditions as the config says."""
    options = human_ai_options(config)
    context = _context(config, item, {}, options, None)
    return await converse(user, target, context, task_success=options.task_success)
