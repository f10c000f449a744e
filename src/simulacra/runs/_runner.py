"""Build and execute a run: config → models and participants → conversations on disk."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import platform
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from simulacra import __version__
from simulacra.conversation import Conversation, Turn, View
from simulacra.errors import ConfigError
from simulacra.models import GenerateConfig, Model, OpenAICompatibleAPI, get_model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    CallableTarget,
    HTTPTarget,
    ModelTarget,
    Participant,
    PromptedUser,
)
from simulacra.profiles import Profile
from simulacra.prompts import get_template, list_templates
from simulacra.runs._config import RunConfig, ScenarioConfig
from simulacra.runs._store import RunWriter

__all__ = ["RunResult", "WorkItem", "build_models", "execute_run", "work_item_id", "work_items"]

_VERSIONED_PACKAGES = ("pydantic", "httpx", "jinja2", "pyyaml", "llama-cpp-python")


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


def work_items(config: RunConfig) -> Iterator[WorkItem]:
    """Stream the work set: scenarios × profiles × epochs (never materialised)."""
    for epoch in range(config.epochs):
        for scenario in config.scenarios:
            for profile in config.profiles:
                pid = profile.profile_id()
                seed = int(work_item_id(scenario.id, pid, epoch, config.seed)[:8], 16)
                yield WorkItem(
                    id=work_item_id(scenario.id, pid, epoch, config.seed),
                    scenario=scenario,
                    profile=profile,
                    epoch=epoch,
                    seed=seed,
                )


def _count_items(config: RunConfig) -> int:
    return config.epochs * len(config.scenarios) * len(config.profiles)


def _used_roles(config: RunConfig) -> list[str]:
    roles = [config.user.model]
    if config.target.type == "model" and config.target.model not in roles:
        roles.append(config.target.model)
    return roles


def _preflight_openai(role: str, api: OpenAICompatibleAPI) -> None:
    try:
        httpx.get(f"{api.base_url}/models", timeout=5.0)
    except httpx.HTTPError as exc:
        raise ConfigError(
            f"models.{role}: cannot reach {api.base_url} ({type(exc).__name__}); "
            "start the server or fix base_url"
        ) from None


def build_models(config: RunConfig) -> dict[str, Model]:
    """Create one :class:`Model` per used role (each embedded role gets its own context).

    Raises:
        ConfigError: A model is missing, fails verification, or its server is unreachable.
    """
    models: dict[str, Model] = {}
    for role in _used_roles(config):
        spec = config.models[role]
        try:
            model = get_model(spec, role=role)
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


def _build_target(config: RunConfig, models: dict[str, Model]) -> Participant:
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
            timeout=t.timeout,
            name=t.name,
        )
        try:
            httpx.request("OPTIONS", t.url, timeout=5.0)
        except httpx.HTTPError as exc:
            raise ConfigError(f"target.url: cannot reach {t.url} ({type(exc).__name__})") from None
        return target
    assert t.callable is not None
    return CallableTarget(_load_callable(t.callable), name=t.name)


@dataclass
class RunResult:
    """What a run produced."""

    directory: Path
    summary: dict[str, Any] = field(default_factory=dict)


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"simulacra": __version__, "python": platform.python_version()}
    for name in _VERSIONED_PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def _run_dir(config: RunConfig, output_dir: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = output_dir / f"{config.name}-{stamp}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = output_dir / f"{base.name}-{n}"
    return candidate


def _summarise(
    conversations: list[Conversation], models: dict[str, Model], wall: float
) -> dict[str, Any]:
    reasons = Counter(str(c.termination) for c in conversations)
    turns = [len(c.turns) for c in conversations]
    return {
        "conversations": len(conversations),
        "turns": sum(turns),
        "mean_turns": round(sum(turns) / len(turns), 2) if turns else 0.0,
        "termination": dict(sorted(reasons.items())),
        "errors": sum(1 for c in conversations if c.termination and c.termination.is_error),
        "wall_s": round(wall, 2),
        "models": {role: m.stats() for role, m in models.items()},
    }


async def execute_run(
    config: RunConfig,
    *,
    config_path: Path | None = None,
    output_dir: Path | None = None,
    on_conversation: Callable[[Conversation], None] | None = None,
) -> RunResult:
    """Run every work item of a config and write the run directory.

    Everything that can be checked is checked before the directory is created, so bad input
    leaves nothing behind.

    Raises:
        ConfigError: On bad input (models, target, templates).
    """
    models = build_models(config)
    target: Participant | None = None
    try:
        target = _build_target(config, models)
        for tid in list_templates():
            get_template(tid)
        directory = _run_dir(config, output_dir or Path(config.output_dir))
        raw = config_path.read_bytes() if config_path else config.model_dump_json().encode()
        writer = RunWriter(
            directory,
            {
                "name": config.name,
                "status": "running",
                "created_at": time.time(),
                "config_path": str(config_path) if config_path else None,
                "config_sha256": hashlib.sha256(raw).hexdigest(),
                "config": config.model_dump(mode="json"),
                "versions": _versions(),
                "models": {role: m.api.describe() for role, m in models.items()},
                "templates": [get_template(t).ref for t in list_templates()],
                "seed": config.seed,
                "work_items": _count_items(config),
            },
        )
        started = time.perf_counter()
        done: list[Conversation] = []
        try:
            for item in work_items(config):
                conversation = await _run_item(config, item, models, target)
                writer.write(conversation)
                done.append(conversation)
                if on_conversation is not None:
                    on_conversation(conversation)
        except BaseException:
            writer.update(
                status="interrupted",
                summary=_summarise(done, models, time.perf_counter() - started),
            )
            writer.close()
            raise
        summary = _summarise(done, models, time.perf_counter() - started)
        writer.update(status="complete", summary=summary, finished_at=time.time())
        writer.close()
        return RunResult(directory=directory, summary=summary)
    finally:
        for model in models.values():
            await model.aclose()
        aclose = getattr(target, "aclose", None)
        if aclose is not None:
            await aclose()


async def _run_item(
    config: RunConfig, item: WorkItem, models: dict[str, Model], target: Participant
) -> Conversation:
    scenario = item.scenario
    user = PromptedUser(
        models[config.user.model],
        goal=scenario.goal,
        profile=item.profile,
        prompting=config.user.prompting,
        exemplars=config.user.exemplars,
        reasoning=config.user.reasoning,
        instructions=scenario.instructions,
        config=GenerateConfig(seed=item.seed),
    )
    order: list[Participant] = (
        [user, target] if scenario.first_speaker == "user" else [target, user]
    )
    opening = (
        [Turn(speaker=order[0].info.id, utterance=scenario.opening)] if scenario.opening else []
    )
    stop = StopConditions(
        max_turns=scenario.max_turns or config.stop.max_turns,
        token_budget=config.stop.token_budget,
        timeout=config.stop.timeout,
    )
    return await run_conversation(
        order,
        stop=stop,
        conversation_id=item.id,
        scenario_id=scenario.id,
        opening=opening,
        metadata={
            "profile_id": item.profile.profile_id(),
            "epoch": item.epoch,
            "seed": item.seed,
        },
    )
