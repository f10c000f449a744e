"""Build and execute a run: config → models and participants → conversations on disk."""

from __future__ import annotations

import hashlib
import importlib.metadata
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra import __version__
from simulacra.conversation import Conversation
from simulacra.models import EmbeddedAPI, Model, rollout_index
from simulacra.participants import Participant
from simulacra.prompts import get_template, list_templates
from simulacra.runs._config import RunConfig
from simulacra.runs._engine import RunStats, run_work
from simulacra.runs._items import (
    WorkItem,
    _build_target,
    _open_cache,
    build_models,
    count_items,
    run_item,
    work_items,
)
from simulacra.runs._ray import check_ray, run_on_ray
from simulacra.runs._store import ExistingRun, RunWriter, read_conversations, scan_run

if TYPE_CHECKING:
    from simulacra.evaluation._inline import InlineJudging

__all__ = [
    "RunControl",
    "RunResult",
    "execute_run",
]

_VERSIONED_PACKAGES = ("pydantic", "httpx", "jinja2", "pyyaml", "llama-cpp-python")


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
            conversation = await run_item(config, item, models, target)
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
