"""Build and execute a run: config → models and participants → conversations on disk."""

from __future__ import annotations

import hashlib
import importlib
import importlib.metadata
import platform
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from simulacra import __version__
from simulacra._secrets import redact_url
from simulacra.conversation import Conversation, Turn, View
from simulacra.errors import ConfigError
from simulacra.models import (
    CallCache,
    EmbeddedAPI,
    GenerateConfig,
    Model,
    OpenAICompatibleAPI,
    cache_dir,
    get_model,
    rollout_index,
)
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.paradigms import ParadigmContext, ParadigmOptions, get_paradigm
from simulacra.participants import (
    AgendaUserOptions,
    CallableTarget,
    GoalStateOptions,
    GoalStateUser,
    HTTPTarget,
    ModelTarget,
    Participant,
    PromptedUser,
    agenda_user_from_options,
    build_technique_user,
    gate_user,
    mark_simulator_validity,
    task_goal_check,
)
from simulacra.profiles import GeneralUser, Profile
from simulacra.prompts import get_template, list_templates
from simulacra.runs._config import RunConfig, ScenarioConfig, UserConfig
from simulacra.runs._engine import RunStats, run_work
from simulacra.runs._scenarios import scenario_target
from simulacra.runs._store import ExistingRun, RunWriter, read_conversations, scan_run

if TYPE_CHECKING:
    from simulacra.evaluation._inline import InlineJudging

__all__ = [
    "RunControl",
    "RunResult",
    "WorkItem",
    "build_models",
    "count_items",
    "execute_run",
    "work_item_id",
    "work_items",
]

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


@dataclass
class RunResult:
    """What a run produced.

    Attributes:
        directory: The run directory.
        status: ``complete``, ``complete_with_errors`` (more than half the conversations ended
            by simulator/infrastructure errors, ``fail_on_error`` unset), ``interrupted`` or
            ``failed`` (``fail_on_error`` tripped).
        summary: The summary also written to ``run.json``.
    """

    directory: Path
    status: str = "complete"
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


def _config_sha(config: RunConfig) -> str:
    # Without judges the field is left out, so runs made before it existed still resume.
    exclude = None if config.judges else {"judges"}
    return hashlib.sha256(config.model_dump_json(exclude=exclude).encode()).hexdigest()


def _max_in_flight(config: RunConfig, models: dict[str, Model]) -> int:
    """Conversations kept in flight: ``execution.max_conversations``, else the smallest
    preference of the run's backends (one for the one-context embedded engine, its slots shared
    out among the roles for the batched engine), else 16."""
    if config.execution.max_conversations is not None:
        return config.execution.max_conversations
    preferred = [
        1 if isinstance(m.api, EmbeddedAPI) else m.api.preferred_concurrency
        for m in models.values()
    ]
    return min((p for p in preferred if p is not None), default=16)


def _open_cache(config: RunConfig) -> CallCache | None:
    if not config.cache.enabled:
        return None
    path = Path(config.cache.path) if config.cache.path else cache_dir() / "calls.sqlite"
    try:
        return CallCache(path)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"cache.path: cannot open {path} ({exc})") from None


class RunControl:
    """Lets a caller stop a run gracefully: no new conversations start, in-flight ones finish."""

    def __init__(self) -> None:
        self.stopping = False
        self.reason: str | None = None

    def stop(self, reason: str = "interrupted") -> None:
        self.stopping = True
        self.reason = self.reason or reason


ProgressCallback = Callable[[RunStats, int], None]


async def execute_run(
    config: RunConfig,
    *,
    config_path: Path | None = None,
    output_dir: Path | None = None,
    resume: Path | None = None,
    force: bool = False,
    control: RunControl | None = None,
    on_conversation: Callable[[Conversation], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunResult:
    """Run every work item of a config (or the rest of them, with ``resume``) and write the run
    directory.

    Everything that can be checked is checked before anything is written, so bad input leaves
    no new directory and an existing one untouched.

    Raises:
        ConfigError: On bad input (models, target, resume directory).
    """
    control = control or RunControl()
    config_sha = _config_sha(config)
    existing: ExistingRun | None = None
    if resume is not None:
        existing = scan_run(resume, config_sha=config_sha, force=force)
    if config.execution.executor == "ray":
        from simulacra.runs._ray import check_ray

        check_ray(config)
    cache = _open_cache(config)
    models = build_models(config, cache=cache)
    target: Participant | None = None
    try:
        target = _build_target(config, models)
        manifest = {
            "name": config.name,
            "status": "running",
            "created_at": time.time(),
            "config_path": str(config_path) if config_path else None,
            "config_sha256": config_sha,
            "config": config.model_dump(mode="json"),
            "versions": _versions(),
            "models": {role: m.api.describe() for role, m in models.items()},
            "templates": [get_template(t).ref for t in list_templates()],
            "seed": config.seed,
            "work_items": count_items(config),
        }
        if existing is not None:
            existing.repair()
            writer = RunWriter.reopen(existing.directory, manifest)
            writer.update(status="running", resumed_at=time.time())
            stats, done_ids = existing.stats, existing.done_ids
        else:
            directory = _run_dir(config, output_dir or Path(config.output_dir))
            writer = RunWriter(directory, manifest)
            stats, done_ids = RunStats(), set()
        judging = _inline_judging(config, models, writer.directory)
        if judging is not None and existing is not None:
            await judging.catch_up(read_conversations(writer.directory))
        verdicts: dict[str, list[Any]] = {}
        started = time.perf_counter()
        max_in_flight = _max_in_flight(config, models)
        todo = (item for item in work_items(config) if item.id not in done_ids)

        async def run_one(item: WorkItem) -> Conversation:
            rollout_index.set(item.epoch)
            conversation = await _run_item(config, item, models, target)
            if judging is not None:
                verdicts[conversation.id] = await judging.judge(conversation)
            return conversation

        def on_done(conversation: Conversation) -> None:
            if judging is not None:
                judging.write(verdicts.pop(conversation.id, []))
            stats.add(conversation)
            if on_conversation is not None:
                on_conversation(conversation)
            reason = stats.fail_reason(config.execution.fail_on_error)
            if reason is not None:
                control.stop(reason)

        status = "complete"
        remote_stats: dict[str, dict[str, Any]] | None = None
        try:
            if config.execution.executor == "ray":
                from simulacra.runs._ray import run_on_ray

                remote_stats = await run_on_ray(
                    config,
                    todo,
                    writer,
                    on_done,
                    control,
                    max_in_flight=max_in_flight,
                    on_progress=(lambda n: on_progress(stats, n)) if on_progress else None,
                )
            else:
                await run_work(
                    todo,
                    run_one,
                    writer,
                    max_in_flight=max_in_flight,
                    control=control,
                    on_done=on_done,
                    on_progress=(lambda n: on_progress(stats, n)) if on_progress else None,
                )
            if control.stopping:
                status = (
                    "failed"
                    if control.reason and control.reason != "interrupted"
                    else "interrupted"
                )
            else:
                status = stats.final_status(config.execution.fail_on_error)
        except BaseException:
            status = "interrupted"
            raise
        finally:
            summary = stats.summary(
                models, time.perf_counter() - started, config.prices, cache, remote_stats
            )
            if control.reason and control.reason != "interrupted":
                summary["stopped_because"] = control.reason
            writer.update(status=status, summary=summary, finished_at=time.time())
            writer.close()
            if judging is not None:
                judging.close()
        return RunResult(directory=writer.directory, status=status, summary=summary)
    finally:
        for model in models.values():
            await model.aclose()
        aclose = getattr(target, "aclose", None)
        if aclose is not None:
            await aclose()
        if cache is not None:
            cache.close()


def _inline_judging(
    config: RunConfig, models: dict[str, Model], directory: Path
) -> InlineJudging | None:
    """The run's judges (``judges:``), or ``None`` without any."""
    if not config.judges:
        return None
    from simulacra.evaluation._inline import InlineJudge, InlineJudging
    from simulacra.evaluation._rubric import load_rubric

    judges = [
        InlineJudge.build(
            rubric=load_rubric(j.rubric) if j.rubric and j.baseline is None else None,
            model=models.get(j.model),
            side=j.side,
            max_tokens=j.max_tokens,
            baseline=j.baseline,
        )
        for j in config.judges
    ]
    return InlineJudging(judges, directory)


async def _run_paradigm(
    config: RunConfig, item: WorkItem, models: dict[str, Model], options: ParadigmOptions
) -> Conversation:
    assert config.paradigm is not None
    _, runner = get_paradigm(config.paradigm["type"])
    scenario = item.scenario
    metadata: dict[str, str | int | float | bool | None] = {
        "paradigm": config.paradigm["type"],
        "profile_id": item.profile.profile_id(),
        "epoch": item.epoch,
        "seed": item.seed,
    }
    context = ParadigmContext(
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
    )
    conversation = await runner(options, context)
    # The record is the work item's, whatever the paradigm did.
    conversation.id = item.id
    conversation.scenario_id = scenario.id
    conversation.metadata = {**metadata, **conversation.metadata}
    return conversation


def _stop_conditions(config: RunConfig, scenario: ScenarioConfig) -> StopConditions:
    return StopConditions(
        max_turns=scenario.max_turns or config.stop.max_turns,
        token_budget=config.stop.token_budget,
        timeout=config.stop.timeout,
        stall_window=config.stop.stall_window,
    )


async def _run_item(
    config: RunConfig, item: WorkItem, models: dict[str, Model], target: Participant | None
) -> Conversation:
    if config.paradigm_options is not None:
        return await _run_paradigm(config, item, models, config.paradigm_options)
    assert target is not None
    scenario = item.scenario
    target = scenario_target(config, scenario, target)  # its own / its service's prompt
    user: Participant
    if isinstance(config.user, AgendaUserOptions):
        assert scenario.task is not None  # checked by load_config
        user = agenda_user_from_options(config.user, goal=scenario.task, seed=item.seed)
    elif isinstance(config.user, GoalStateOptions):
        user = GoalStateUser(
            models[config.user.model],
            goal=scenario.goal,
            task=scenario.task,
            profile=item.profile,
            options=config.user,
            instructions=scenario.instructions,
            seed=item.seed,
            config=GenerateConfig(seed=item.seed),
        )
    elif config.user.techniques:
        user = build_technique_user(
            config.user.techniques,
            model=models[config.user.model],
            goal=scenario.goal,
            profile=item.profile,
            task=scenario.task,
            instructions=scenario.instructions,
            prompting=config.user.prompting,
            exemplars=config.user.exemplars,
            reasoning=config.user.reasoning,
            seed=item.seed,
        )
    else:
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
    user = gate_user(
        user,
        config.validity,
        goal=scenario.goal,
        task=scenario.task,
        profile=item.profile,
        instructions=scenario.instructions,
    )
    return mark_simulator_validity(await converse_user_target(config, item, user, target))


async def converse_user_target(
    config: RunConfig, item: WorkItem, user: Participant, target: Participant
) -> Conversation:
    """One human–AI conversation of ``item`` between ``user`` (simulated or a person) and
    ``target``: speaking order, opening line and stop conditions as the config says."""
    scenario = item.scenario
    order: list[Participant] = (
        [user, target] if scenario.first_speaker == "user" else [target, user]
    )
    opening = (
        [Turn(speaker=order[0].info.id, utterance=scenario.opening)] if scenario.opening else []
    )
    stop = _stop_conditions(config, scenario)
    if config.stop.task_success and scenario.task is not None:
        stop = replace(stop, goal_check=task_goal_check(scenario.task, user_id=user.info.id))
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
