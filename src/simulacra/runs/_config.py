"""The run config file: schema, loading, and one-line error messages."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from simulacra._validation import read_yaml, summarise
from simulacra.errors import ConfigError
from simulacra.models import ModelSpec
from simulacra.paradigms import ParadigmOptions, parse_paradigm
from simulacra.paradigms._human_ai import UserConfig, UserOptions
from simulacra.participants import (
    GoalStateOptions,
    ValidityOptions,
    prepare_techniques,
)
from simulacra.profiles import GeneralUser, Profile
from simulacra.runs._scenarios import ScenarioSource, add_corpus_scenarios, check_scenarios
from simulacra.scenarios import ScenarioConfig

__all__ = [
    "CacheConfig",
    "ExecutionConfig",
    "JudgeConfig",
    "Price",
    "RunConfig",
    "ScenarioConfig",
    "StopConfig",
    "TargetConfig",
    "UserConfig",
    "load_config",
    "parse_config",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TargetConfig(_Strict):
    """The system under test."""

    type: Literal["model", "http", "callable"] = "model"
    name: str = "Assistant"
    model: str = "target"
    """For ``type: model``: the model role that plays the system."""
    system_prompt: str | None = "You are a helpful assistant."
    """May name scenario fields, ``{service}``, ``{intent}``, ``{goal}``, ``{id}`` or a field of
    ``scenarios[].fields`` (filled per scenario; one config covers many services)."""
    service_prompts: dict[str, str] = Field(default_factory=dict)
    """Service → system prompt (templated the same way), for scenarios of that service; one
    config covers many services (``scenarios[].target.system_prompt`` still comes first)."""
    url: str | None = None
    request_template: dict[str, Any] | None = None
    response_path: str = "reply"
    headers: dict[str, str] = Field(default_factory=dict)
    headers_env: dict[str, str] = Field(default_factory=dict)
    """Header name → environment variable holding its value (read at start, never stored)."""
    timeout: float = Field(default=60.0, gt=0)
    callable: str | None = None
    """For ``type: callable``: ``"module:function"`` taking the view, returning a string."""

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # configs without per-service prompts keep the hash they had before them
        data: dict[str, Any] = handler(self)
        if not data.get("service_prompts"):
            data.pop("service_prompts", None)
        return data

    @model_validator(mode="after")
    def _required_per_type(self) -> TargetConfig:
        if self.type == "http" and not self.url:
            raise ValueError("'url' is required when type is 'http'")
        if self.type == "callable" and (not self.callable or ":" not in self.callable):
            raise ValueError("'callable' must be 'module:function' when type is 'callable'")
        return self


class ExecutionConfig(_Strict):
    """How the work set is executed.

    Attributes:
        max_conversations: Conversations in flight at once (default: 1 when an embedded model
            is used — one llama.cpp context per role keeps its prompt prefix warm — else 16).
        fail_on_error: Stop the run when simulator/infrastructure errors pass this: a fraction
            of finished conversations (< 1, checked after 20) or a count (>= 1). Unset, the run
            goes to the end, and more than half of its conversations failing makes it
            ``complete_with_errors`` (exit 1) instead of ``complete``.
        executor: ``local`` (one process, async) or ``ray`` (shards over Ray workers).
        ray_workers: Number of Ray workers for ``executor: ray``.
        ray_address: Cluster address (default: ``RAY_ADDRESS`` or a new local cluster).
    """

    max_conversations: int | None = Field(default=None, ge=1, le=100_000)
    fail_on_error: float | None = Field(default=None, gt=0)
    executor: Literal["local", "ray"] = "local"
    ray_workers: int = Field(default=2, ge=1)
    ray_address: str | None = None


class CacheConfig(_Strict):
    """The model-call cache (on by default for simulated users and judges, off for the target:
    the system under test is what is measured)."""

    enabled: bool = True
    path: str | None = None
    """SQLite file (default: ``<cache dir>/calls.sqlite``)."""
    roles: list[str] = Field(default_factory=lambda: ["user", "judge"])


class Price(_Strict):
    """Price per million tokens."""

    prompt: float = Field(ge=0)
    completion: float = Field(ge=0)


class StopConfig(_Strict):
    """Stop conditions shared by all conversations."""

    max_turns: int = Field(default=8, ge=1, le=100_000)
    task_success: bool = False
    """End with ``goal_reached`` once a scenario's structured ``task`` is fulfilled (lexical
    check: :func:`~simulacra.participants.task_success`)."""
    token_budget: int | None = Field(default=None, ge=1)
    timeout: float | None = Field(default=None, gt=0)
    stall_window: int | None = Field(default=None, ge=2)
    """End a conversation as ``stalled`` once each of this many recent turns repeats an earlier
    one (see :func:`~simulacra.orchestration.is_stalled`)."""


class JudgeConfig(_Strict):
    """A judge that scores each conversation as it finishes (verdicts go to the run
    directory's ``judgments.jsonl``; see ``docs/evaluation.md``, "Inline judging").

    Attributes:
        rubric: A packaged rubric id (``engagement``, ``user_realism``...) or a rubric file.
        model: The model role under ``models`` that judges, or ``baseline`` /
            ``baseline:lexical`` (the non-LLM baseline judge, no rubric needed).
        level: ``turn`` or ``dialogue``; must match the rubric's level (default: the rubric's).
        side: Whose turns a turn-level judge scores.
        max_tokens: The judge's answer budget.
    """

    rubric: str | None = None
    model: str = "judge"
    level: Literal["turn", "dialogue"] | None = None
    side: Literal["user", "target"] = "target"
    max_tokens: int = Field(default=120, ge=1)

    @property
    def baseline(self) -> str | None:
        """The baseline judge's name, when this is one."""
        return self.model if self.model in ("baseline", "baseline:lexical") else None

    @model_validator(mode="after")
    def _rubric_fits(self) -> JudgeConfig:
        if self.baseline is not None:
            return self
        if self.rubric is None:
            raise ValueError("a model judge needs a 'rubric' (e.g. engagement, user_realism)")
        from simulacra.evaluation._rubric import load_rubric

        try:
            rubric = load_rubric(self.rubric)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        if self.level is not None and self.level != rubric.level:
            raise ValueError(
                f"level {self.level!r} does not match rubric {rubric.id!r} (level {rubric.level})"
            )
        return self


_NAME_MAX = 200


def check_run_name(name: str) -> str:
    """A run name that is safe as the start of a directory name: not empty, no ``/`` or ``\\``,
    no leading ``.`` (``..``, hidden directories), no control characters, at most 200 characters.

    Raises:
        ValueError: Naming what is wrong (shown as one line under the field ``name``).
    """
    shown = repr(name if len(name) <= 60 else name[:57] + "...")
    if not name.strip():
        raise ValueError("must not be empty")
    if len(name) > _NAME_MAX:
        raise ValueError(f"longer than {_NAME_MAX} characters ({len(name)})")
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise ValueError(
            f"must be a plain directory name (no '/', '\\' or '..', not starting with '.'), "
            f"got {shown}"
        )
    if any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValueError(f"must not contain control characters, got {shown}")
    return name


def _default_profiles() -> list[Profile]:
    return [GeneralUser()]


class RunConfig(_Strict):
    """A run: scenarios × profiles × epochs, the models of each role, and where output goes."""

    name: str = "run"
    """The run directory's prefix (``NAME-YYYYmmdd-HHMMSS`` under ``output_dir``): a plain
    directory name, no path separators, not starting with a dot."""
    seed: int = 0
    epochs: int = Field(default=1, ge=1, le=1_000_000)
    output_dir: str = "runs"
    models: dict[str, ModelSpec]
    user: UserOptions = Field(default_factory=GoalStateOptions)
    """The simulated user: ``goal_state`` (default), ``prompted`` or ``agenda``."""
    validity: ValidityOptions = Field(default_factory=ValidityOptions)
    """The simulator validity gate (on by default): detectors, regeneration budget, whether
    ``simulator_invalid`` conversations are left out of target metrics."""
    target: TargetConfig = Field(default_factory=TargetConfig)
    profiles: list[Profile] = Field(default_factory=_default_profiles)
    profiles_file: str | None = None
    """A JSONL file of personas (e.g. from ``simulacra personas sample``), used instead of
    ``profiles``; relative to the config file."""
    scenarios: list[ScenarioConfig] = Field(default_factory=list)
    scenarios_from: ScenarioSource | None = None
    stop: StopConfig = Field(default_factory=StopConfig)
    execution: ExecutionConfig = Field(default_factory=ExecutionConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    prices: dict[str, Price] = Field(default_factory=dict)
    """Price per role or per model spec (e.g. ``target: {prompt: 0.15, completion: 0.6}``)."""
    judges: list[JudgeConfig] = Field(default_factory=list)
    """Judges that score each conversation as it finishes (``judgments.jsonl``)."""
    paradigm: dict[str, Any] | None = None
    """What is simulated: ``{type: NAME, ...options}`` (see :mod:`simulacra.paradigms`); default
    ``human_ai``, a simulated user (``user:``) against a system under test (``target:``)."""

    _paradigm: ParadigmOptions | None = PrivateAttr(default=None)

    @property
    def paradigm_options(self) -> ParadigmOptions | None:
        """The validated options of the paradigm (``None`` for the default ``human_ai``)."""
        return self._paradigm

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return check_run_name(value)

    @field_validator("models", mode="before")
    @classmethod
    def _string_specs(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"model": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _roles_exist(self, info: ValidationInfo) -> RunConfig:
        context = info.context if isinstance(info.context, dict) else None
        self._paradigm = (
            parse_paradigm(self.paradigm, context=context) if self.paradigm is not None else None
        )
        if self._paradigm is not None:
            needed = {f"paradigm ({r})": r for r in self._paradigm.model_roles()}
        elif isinstance(self.user, UserConfig | GoalStateOptions):
            needed = {"user.model": self.user.model}
        else:
            needed = {}
        if not self.scenarios and self.scenarios_from is None:
            raise ValueError("scenarios: give at least one scenario (or scenarios_from)")
        if self._paradigm is None and self.target.type == "model":
            needed["target.model"] = self.target.model
        for i, judge in enumerate(self.judges):
            if judge.baseline is None:
                needed[f"judges.{i}.model"] = judge.model
        if self.judges and self.execution.executor == "ray":
            raise ValueError(
                "judges: not supported with executor 'ray'; judge the run afterwards "
                "(simulacra eval RUN_DIR --judge ...)"
            )
        for field, role in needed.items():
            if role not in self.models:
                known = ", ".join(self.models) or "none"
                raise ValueError(
                    f"{field}: no model for role {role!r} under 'models' (have: {known})"
                )
        ids = Counter(s.id for s in self.scenarios)
        dupes = sorted(i for i, n in ids.items() if n > 1)
        if dupes:
            raise ValueError(f"scenarios: duplicate id(s) {', '.join(dupes)}")
        pids = Counter(p.profile_id() for p in self.profiles)
        pdupes = sorted(i for i, n in pids.items() if n > 1)
        if pdupes:
            raise ValueError(f"profiles: duplicate id(s) {', '.join(pdupes)}; give each an 'id'")
        return self


def _format_error(source: str, error: ValidationError) -> str:
    first = error.errors()[0]
    loc = ".".join(str(p) for p in first["loc"] if not str(p).startswith("function-after"))
    kind = first["type"]
    if kind == "extra_forbidden":
        return f"{source}: {summarise(error, model=RunConfig)}"
    if kind == "missing":
        return f"{source}: {loc}: required field is missing"
    if kind == "union_tag_invalid":
        return f"{source}: {loc}: {first['msg']}"
    message = first["msg"].removeprefix("Value error, ")
    value = first.get("input")
    got = ""
    if kind.endswith(("_type", "_parsing")) and not isinstance(value, dict | list):
        got = f", got {value!r}"
    where = f"{loc}: " if loc else ""
    return f"{source}: {where}{message}{got}"


def parse_config(
    data: Any, *, source: str = "<config>", base_dir: str | Path | None = None
) -> RunConfig:
    """Validate a mapping as a :class:`RunConfig`.

    Raises:
        ConfigError: One line naming ``source``, the field and the problem.
    """
    if data is None:
        raise ConfigError(f"{source}: is empty (expected a run configuration mapping)")
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: top level: expected a mapping, got {type(data).__name__}")
    context: dict[str, Any] = {"open_goals": True}
    if base_dir is not None:
        context["base_dir"] = str(base_dir)
    try:
        return RunConfig.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(_format_error(source, exc)) from None


def load_config(path: str | Path) -> RunConfig:
    """Read and validate a YAML run config.

    Raises:
        ConfigError: If the file is missing, not YAML, or not a valid config.
    """
    path = Path(path)
    data = read_yaml(path)
    config = parse_config(data, source=str(path), base_dir=path.parent)
    if isinstance(config.user, UserConfig) and config.user.techniques:
        try:
            ready = prepare_techniques(config.user.techniques, base=path.parent)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from None
        config = config.model_copy(
            update={"user": config.user.model_copy(update={"techniques": ready})}
        )
    if config.scenarios_from is not None:
        config = add_corpus_scenarios(config, path)
    config = check_scenarios(config, path)
    if config.profiles_file:
        from simulacra.profiles._io import load_profiles

        file = Path(config.profiles_file)
        if not file.is_absolute():
            file = path.parent / file
        profiles = load_profiles(file)
        if not profiles:
            raise ConfigError(f"{file}: no profiles (the profiles_file of {path})")
        _unique_profile_ids(profiles, f"{path}: profiles_file: {file}")
        config = config.model_copy(update={"profiles": profiles})
    return config


def _unique_profile_ids(profiles: list[Profile], where: str) -> None:
    """Refuse a profiles file whose ids repeat (each would run twice under one work-item id)."""
    seen: dict[str, int] = {}
    for number, profile in enumerate(profiles, start=1):
        pid = profile.profile_id()
        if pid in seen:
            shown = pid if len(pid) <= 80 else pid[:77] + "..."
            raise ConfigError(
                f"{where}: duplicate profile id {shown!r} (profiles {seen[pid]} and {number}); "
                "give each profile a unique 'id'"
            )
        seen[pid] = number
