"""Scenarios from any corpus (``scenarios_from:``) and per-scenario target prompts.

``scenarios_from`` reads one of:

- ``multiwoz: FILE`` — MultiWOZ 2.1 goals (scenario ids ``multiwoz:<dialogue id>``);
- ``run: DIR`` — an imported corpus (``simulacra data import``) or any run directory whose
  conversations carry a goal: ``metadata.goal`` (in words) and/or ``metadata["goal.task"]`` (the
  structured goal, JSON: a TaskGoal, an SGD-style frame ``{service, intent, inform, requests}``
  or a list of frames), as the ``abcd`` adapter and the ``generic`` adapter with ``fields.goal``
  / ``fields.task`` write them;
- ``corpus: FILE`` with ``adapter: KIND`` (``abcd``, ``taskmaster``, ...) or ``mapping:`` (the
  generic adapter's field mapping, a file or inline) — the same, read straight from the file.

Each conversation with a goal becomes a scenario whose id is the real conversation's id (so
``simulacra fidelity`` pairs the simulated dialogue with the real one of the same goal); its
``fields`` (for templated target prompts) are ``service``, ``intent`` and the structured goal's
slots. ``services`` keeps the goals within those services; ``limit`` and ``sample`` (a seeded
random choice) pick how many.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.participants import ModelTarget, Participant
from simulacra.scenarios import (
    ScenarioConfig,
    TaskGoal,
    load_schema,
    render_template,
    task_from_record,
)

if TYPE_CHECKING:
    from simulacra.runs._config import RunConfig

__all__ = [
    "ScenarioSource",
    "add_corpus_scenarios",
    "check_scenarios",
    "corpus_scenarios",
    "prompt_fields",
    "render_template",
    "scenario_target",
]


class ScenarioSource(BaseModel):
    """Scenarios read from a corpus (``scenarios_from:``), added to ``scenarios``.

    Attributes:
        multiwoz: A MultiWOZ 2.1 file (``val.json.zip`` etc.), relative to the config file.
        run: A run directory of conversations with goals (an imported corpus).
        corpus: A corpus file, read with ``adapter`` or ``mapping``.
        adapter: The adapter of ``corpus`` (``abcd``, ``taskmaster``, ``generic``...).
        mapping: The generic adapter's mapping (a YAML file, or inline) for ``corpus``.
        limit: At most this many goals.
        sample: Choose the ``limit`` goals at random (seeded by ``seed``), not the first ones.
        seed: Seeds ``sample``.
        domains: Only goals that stay within these domains / services.
        services: Same as ``domains`` (the SGD word).
    """

    model_config = ConfigDict(extra="forbid")

    multiwoz: str | None = None
    run: str | None = None
    corpus: str | None = None
    adapter: str | None = None
    mapping: str | dict[str, Any] | None = None
    limit: int | None = Field(default=None, ge=1)
    sample: bool = False
    seed: int = 0
    domains: list[str] | None = None
    services: list[str] | None = None

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a MultiWOZ source dumps as before the other sources existed (same config hash)
        data: dict[str, Any] = handler(self)
        for key in ("run", "corpus", "adapter", "mapping", "services"):
            if data.get(key) is None:
                data.pop(key, None)
        for key, default in (("sample", False), ("seed", 0)):
            if data.get(key) == default:
                data.pop(key, None)
        return data

    @model_validator(mode="after")
    def _one_source(self) -> ScenarioSource:
        given = [k for k in ("multiwoz", "run", "corpus") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'multiwoz', 'run' or 'corpus'")
        if (self.adapter is not None or self.mapping is not None) and self.corpus is None:
            raise ValueError("'adapter' and 'mapping' go with 'corpus'")
        if self.corpus is not None and self.adapter is None and self.mapping is None:
            raise ValueError("'corpus' needs 'adapter' (abcd, taskmaster, ...) or 'mapping'")
        if self.adapter is not None:
            from simulacra.datasets import ADAPTERS

            if self.adapter not in ADAPTERS:
                known = ", ".join(ADAPTERS)
                raise ValueError(f"adapter: unknown {self.adapter!r} (known: {known})")
        return self

    @property
    def wanted(self) -> set[str] | None:
        """The services asked for (lower case), or ``None`` for all."""
        names = [*(self.domains or []), *(self.services or [])]
        return {n.strip().lower() for n in names} if names else None


def _path(value: str, base: Path) -> Path:
    p = Path(value)
    return p if p.is_absolute() else base / p


def _conversations(source: ScenarioSource, base: Path) -> tuple[str, Iterable[Conversation]]:
    from simulacra.datasets import import_corpus

    if source.run is not None:
        from simulacra.runs._store import read_conversations, read_run

        directory = _path(source.run, base)
        if not directory.is_dir():
            raise ConfigError(f"scenarios_from.run: {directory}: run directory not found")
        read_run(directory)
        return str(directory), read_conversations(directory)
    assert source.corpus is not None
    file = _path(source.corpus, base)
    if file.is_dir():
        raise ConfigError(
            f"scenarios_from.corpus: {file} is a folder; name the corpus file "
            "(or use 'run:' for an imported run directory)"
        )
    if source.mapping is not None:
        mapping = source.mapping
        if isinstance(mapping, str):
            mapping = str(_path(mapping, base))
        return str(file), import_corpus("generic", file, mapping=mapping)
    assert source.adapter is not None
    return str(file), import_corpus(source.adapter, file)


def _task(c: Conversation, where: str) -> TaskGoal | None:
    raw = c.metadata.get("goal.task")
    if raw in (None, ""):
        return None
    return task_from_record(
        raw,
        id=c.id,
        description=str(c.metadata.get("goal") or ""),
        source=str(c.metadata.get("provenance.source") or c.metadata.get("corpus") or "") or None,
        where=f"{where}: conversation {c.id}: goal.task",
    )


def _services(c: Conversation, task: TaskGoal | None) -> set[str]:
    names = set(task.domain_names) if task is not None else set()
    raw = c.metadata.get("service")
    if isinstance(raw, str):
        names |= {s.strip().lower() for s in raw.split(",") if s.strip()}
    return names


def prompt_fields(task: TaskGoal | None, service: str | None) -> dict[str, str]:
    """The template fields a structured goal gives: ``service``, ``intent`` and its slots."""
    out: dict[str, str] = {}
    if service:
        out["service"] = service
    if task is not None:
        first = task.domains[0]
        out.setdefault("service", first.domain)
        if first.intents:
            out["intent"] = first.intents[0]
        for d in task.domains:
            out.update(d.inform)
            out.update(d.book)
    return out


def corpus_scenarios(source: ScenarioSource, base: Path) -> list[dict[str, Any]]:
    """The scenarios of a ``scenarios_from`` source, as :class:`ScenarioConfig` fields.

    Raises:
        ConfigError: One line naming the source and, where it is one, the conversation.
    """
    if source.multiwoz is not None:
        from simulacra.datasets import multiwoz_scenarios

        file = _path(source.multiwoz, base)
        found = [
            {"id": s.id, "goal": s.goal, "task": s.task}
            for s in multiwoz_scenarios(
                file, limit=None if source.sample else source.limit, domains=source.wanted
            )
        ]
        where = str(file)
    else:
        where, conversations = _conversations(source, base)
        found = []
        wanted = source.wanted
        without_goal = 0
        for c in conversations:
            task = _task(c, where)
            goal = str(c.metadata.get("goal") or (task.description if task else "") or "")
            if not goal and task is None:
                without_goal += 1
                continue
            services = _services(c, task)
            if wanted is not None and not (services and services <= wanted):
                continue
            service = ",".join(sorted(services)) or None
            found.append(
                {
                    "id": c.id,
                    "goal": goal or json.dumps(task.model_dump() if task else {}),
                    "task": task,
                    "service": service,
                    "source": c.id,
                    "fields": prompt_fields(task, service),
                }
            )
        if not found and without_goal:
            raise ConfigError(
                f"scenarios_from: {where}: no conversation carries a goal (metadata 'goal' or "
                "'goal.task'; map them with the generic adapter's fields.goal / fields.task)"
            )
    if source.sample and source.limit is not None and len(found) > source.limit:
        found = random.Random(source.seed).sample(found, source.limit)
    elif source.limit is not None:
        found = found[: source.limit]
    if not found:
        raise ConfigError(f"scenarios_from: {where} holds no matching goals")
    return found


def scenario_target(
    config: RunConfig, scenario: ScenarioConfig, target: Participant
) -> Participant:
    """The run's model target with this scenario's system prompt and name (its own, its
    service's, or the templated ``target.system_prompt``); ``target`` itself when nothing
    changes or the target is not a model (one model load serves every scenario)."""
    if config.target.type != "model" or not isinstance(target, ModelTarget):
        return target
    t = config.target
    prompt = scenario.system_prompt(t.system_prompt, t.service_prompts)
    own = scenario.target.name if scenario.target is not None else None
    name = own or target.info.name
    if prompt == target.system_prompt and name == target.info.name:
        return target
    return ModelTarget(
        target.model, system_prompt=prompt, id=target.info.id, name=name, config=target.config
    )


def add_corpus_scenarios(config: RunConfig, path: Path) -> RunConfig:
    """``config`` with the scenarios of its ``scenarios_from`` added (ids unique).

    Raises:
        ConfigError: One line naming the config file and the source.
    """

    source = config.scenarios_from
    assert source is not None
    try:
        found = corpus_scenarios(source, path.parent)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    extra = [ScenarioConfig(**s) for s in found]
    ids = Counter(s.id for s in [*config.scenarios, *extra])
    dupes = sorted(i for i, n in ids.items() if n > 1)
    if dupes:
        raise ConfigError(f"{path}: scenarios_from: duplicate scenario id(s) {', '.join(dupes)}")
    return config.model_copy(update={"scenarios": [*config.scenarios, *extra]})


def check_scenarios(config: RunConfig, path: Path) -> RunConfig:
    """What needs every scenario, checked before a run starts (one line naming the scenario):
    a structured goal for the agenda user and the ``state`` technique (checked against the
    agenda user's ``schema`` when it has one), and the target prompt's placeholders."""
    from simulacra.participants import AgendaUserOptions
    from simulacra.participants._techniques import StateTechnique

    user = config.user
    if isinstance(user, AgendaUserOptions):
        schema = None
        if user.schema_file:
            file = Path(user.schema_file)
            file = file if file.is_absolute() else path.parent / file
            try:
                schema = load_schema(file)
            except ConfigError as exc:
                raise ConfigError(f"{path}: user.schema: {exc}") from None
            config = config.model_copy(
                update={"user": user.model_copy(update={"schema_file": str(file)})}
            )
        for scenario in config.scenarios:
            where = f"{path}: scenarios.{scenario.id}"
            if scenario.task is None:
                raise ConfigError(
                    f"{where}: the agenda user needs a structured goal (task: or scenarios_from)"
                )
            if schema is not None:
                try:
                    TaskGoal.parse(scenario.task, source=f"{where}: task", schema=schema)
                except ConfigError as exc:
                    raise ConfigError(f"{exc} (schema {schema.name})") from None
    # only the prompted user has techniques
    for n, technique in enumerate(getattr(user, "techniques", ())):
        if not isinstance(technique, StateTechnique) or technique.preferences:
            continue
        for scenario in config.scenarios:
            if scenario.task is None:
                raise ConfigError(
                    f"{path}: scenarios.{scenario.id}: technique 'state' "
                    f"(user.techniques.{n}) needs a structured goal (task:, or "
                    "scenarios_from a corpus with goals), or give the technique "
                    "'preferences'"
                )
    if config.paradigm_options is None and config.target.type == "model":
        for scenario in config.scenarios:
            try:
                scenario.system_prompt(config.target.system_prompt, config.target.service_prompts)
            except ConfigError as exc:
                raise ConfigError(f"{path}: {exc}") from None
    return config
