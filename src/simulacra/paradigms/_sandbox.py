"""The hybrid sandbox (survey §4.5, C.3): a scaled-down Smallville (Generative Agents, Park et al.
2023).

Agents with profiles, seed memories and a plan for the day move between the places of a small
map, one step (one hour) at a time. Agents at the same place may meet — because the config
schedules it or by (seeded) chance — and talk; the dialogue runs through
:func:`~simulacra.orchestration.run_conversation` and goes into both agents' memory streams.
Every memory gets an importance; retrieval by recency × importance × relevance feeds the
prompts; once the importance of recent memories reaches a threshold an agent reflects (salient
questions, then insights written back into memory) and revises its plan.

The whole run is one :class:`~simulacra.Conversation`: its turns are every dialogue line in
order (turn metadata ``encounter``, ``step``, ``location``), and ``events`` holds the rest
(``step``, ``plan``, ``move``, ``memory``, ``encounter_start``, ``encounter_end``,
``reflection``, ``error``), each with ``type`` and ``step``. :func:`split_encounters` cuts it
into one conversation per encounter.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.errors import ModelError
from simulacra.models import ChatMessage, GenerateConfig, Model, Usage, record_calls
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.paradigms._registry import ParadigmContext, register_paradigm
from simulacra.paradigms._sandbox_agent import Agent, Speaker
from simulacra.paradigms._sandbox_memory import (
    MemoryKind,
    MemoryRecord,
    MemoryStream,
    RetrievalWeights,
    heuristic_importance,
    make_relevance,
)
from simulacra.paradigms._sandbox_options import SandboxOptions
from simulacra.paradigms._sandbox_world import (
    INSIGHT_SCHEMA,
    RATING_SCHEMA,
    choose_encounters,
    parse_json,
    parse_plan,
    short,
    split_encounters,
)
from simulacra.participants import render_profile
from simulacra.prompts import get_template

__all__ = ["SandboxOptions", "choose_encounters", "run_sandbox", "split_encounters"]


class _Sandbox:
    """The state of one sandbox run."""

    def __init__(self, options: SandboxOptions, ctx: ParadigmContext) -> None:
        self.options, self.ctx = options, ctx
        self.model: Model = ctx.models[options.model]
        self.rng = random.Random(ctx.seed)
        self.events: list[dict[str, object]] = []
        self.turns: list[Turn] = []
        self.calls: list[dict[str, object]] = []
        self.usage = Usage()
        self.failure: tuple[TerminationReason, str, str] | None = None
        self.encounters = 0
        self.reflections = 0
        self.n_calls = 0
        relevance = make_relevance(options.relevance)
        weights = RetrievalWeights(
            alpha=options.alpha, beta=options.beta, gamma=options.gamma, decay=options.decay
        )
        agent_system = get_template("sandbox/agent")
        self.agents: dict[str, Agent] = {}
        for spec in options.agents:
            profile_text, profile_ref = render_profile(spec.profile)
            system = agent_system.render(
                name=spec.profile.name,
                profile=profile_text,
                setting=ctx.goal,
                places=options.locations,
            )
            aid = spec.agent_id
            self.agents[aid] = Agent(
                id=aid,
                info=ParticipantInfo(
                    id=aid, name=spec.profile.name, kind=ParticipantKind.AGENT, profile=spec.profile
                ),
                system=ChatMessage(role="system", content=system),
                refs=[profile_ref, agent_system.ref],
                memory=MemoryStream(aid, relevance, weights),
                location=spec.location,
            )

    def hour(self, step: int) -> int:
        return self.options.start_hour + step

    def event(self, type: str, step: int, **fields: object) -> None:
        self.events.append({"type": type, "step": step, **fields})

    def fail(self, reason: TerminationReason, error: str, ended_by: str) -> None:
        if self.failure is None:
            self.failure = (reason, error, ended_by)

    async def generate(
        self,
        agent: Agent,
        purpose: str,
        template_id: str,
        step: int,
        *,
        schema: dict[str, object] | None = None,
        max_tokens: int | None = None,
        **variables: object,
    ) -> str | None:
        """One model call for ``agent``; a failure is an ``error`` event and ``None``."""
        template = get_template(template_id)
        messages = [agent.system, ChatMessage(role="user", content=template.render(**variables))]
        self.n_calls += 1
        config = GenerateConfig(
            seed=self.ctx.seed + self.n_calls, json_schema=schema, max_tokens=max_tokens
        )
        try:
            output = await self.model.generate(
                messages, config=config, templates=[*agent.refs, template.ref]
            )
        except Exception as exc:  # errors inside the sandbox become data
            message = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}".strip()
            self.event(
                "error", step, agent=agent.id, purpose=purpose, kind="model_error", message=message
            )
            retryable = isinstance(exc, ModelError) and exc.retryable
            reason = (
                TerminationReason.INFRASTRUCTURE_ERROR
                if retryable
                else TerminationReason.SIMULATOR_ERROR
            )
            self.fail(reason, f"{agent.id}: {message}", agent.id)
            return None
        return output.text

    def malformed(self, agent: Agent, purpose: str, step: int, output: str, fallback: str) -> None:
        self.event(
            "error",
            step,
            agent=agent.id,
            purpose=purpose,
            kind="malformed",
            output=short(output, 200),
            fallback=fallback,
        )

    async def importance(self, agent: Agent, text: str, kind: MemoryKind, step: int) -> int:
        if self.options.importance == "heuristic":
            return heuristic_importance(text, kind=kind)
        out = await self.generate(
            agent,
            "importance",
            "sandbox/importance",
            step,
            schema=RATING_SCHEMA,
            name=agent.info.name,
            memory=text,
        )
        if out is None:
            return heuristic_importance(text, kind=kind)
        data = parse_json(out)
        rating = data.get("rating") if data else None
        if isinstance(rating, int | float) and not isinstance(rating, bool):
            return max(1, min(10, round(rating)))
        self.malformed(agent, "importance", step, out, "heuristic importance")
        return heuristic_importance(text, kind=kind)

    async def remember(
        self,
        agent: Agent,
        text: str,
        step: int,
        *,
        kind: MemoryKind,
        evidence: Sequence[str] = (),
    ) -> MemoryRecord:
        score = await self.importance(agent, text, kind, step)
        record = agent.memory.add(text, step=step, importance=score, kind=kind, evidence=evidence)
        extra: dict[str, object] = {"evidence": list(evidence)} if evidence else {}
        self.event(
            "memory",
            step,
            agent=agent.id,
            id=record.id,
            kind=kind,
            text=text,
            importance=record.importance,
            **extra,
        )
        return record

    async def make_plan(self, agent: Agent, step: int, *, insights: Sequence[str] = ()) -> None:
        hour, last = self.hour(step), self.hour(self.options.steps - 1)
        hits = agent.memory.retrieve(
            f"{agent.info.name}'s plans for today", step=step, k=self.options.memory_k
        )
        out = await self.generate(
            agent,
            "plan",
            "sandbox/plan",
            step,
            max_tokens=self.options.plan_max_tokens,
            hour=hour,
            last_hour=last,
            location=agent.location,
            places=self.options.locations,
            memories=[m.text for m in hits],
            insights=list(insights),
        )
        places = self.options.locations
        items = parse_plan(out or "", locations=places, first_hour=hour, last_hour=last)
        if out is not None and not items:
            self.malformed(agent, "plan", step, out, "keep the current plan")
        if items:
            agent.plan = [p for p in agent.plan if p.hour < hour] + items
        self.event(
            "plan",
            step,
            agent=agent.id,
            revised=bool(insights),
            source="model" if items else "fallback",
            items=[p.model_dump() for p in agent.plan],
            memory_ids=[m.id for m in hits],
        )

    async def reflect(self, agent: Agent, step: int) -> None:
        opts = self.options
        recent = agent.memory.recent(opts.reflection_recent)
        schema: dict[str, object] = {
            "type": "object",
            "properties": {
                "questions": {
                    "type": "array",
                    "items": {"type": "string", "maxLength": 160},
                    "minItems": 1,
                    "maxItems": opts.reflection_questions,
                }
            },
            "required": ["questions"],
        }
        out = await self.generate(
            agent,
            "reflection",
            "sandbox/reflect_questions",
            step,
            schema=schema,
            max_tokens=opts.reflection_max_tokens,
            statements=[m.text for m in recent],
            n=opts.reflection_questions,
        )
        data = parse_json(out) if out is not None else None
        raw = data.get("questions") if data else None
        questions = [str(q).strip() for q in raw if str(q).strip()] if isinstance(raw, list) else []
        questions = questions[: opts.reflection_questions]
        if out is not None and not questions:
            self.malformed(agent, "reflection", step, out, "no reflection")
        insights: list[dict[str, object]] = []
        for question in questions:
            hits = agent.memory.retrieve(question, step=step, k=opts.memory_k)
            out = await self.generate(
                agent,
                "reflection",
                "sandbox/reflect_insight",
                step,
                schema=INSIGHT_SCHEMA,
                max_tokens=opts.reflection_max_tokens,
                name=agent.info.name,
                question=question,
                statements=[m.text for m in hits],
            )
            if out is None:
                break
            data = parse_json(out)
            text = str(data.get("insight", "")).strip() if data else ""
            cited = data.get("because_of") if data else None
            evidence = [
                hits[n - 1].id
                for n in (cited if isinstance(cited, list) else [])
                if isinstance(n, int) and 1 <= n <= len(hits)
            ] or [m.id for m in hits]
            if not text:
                self.malformed(agent, "reflection", step, out, "no insight")
                continue
            record = await self.remember(
                agent, short(text), step, kind="reflection", evidence=evidence
            )
            insights.append({"question": question, "memory_id": record.id, "text": record.text})
        agent.memory.reflected()
        self.reflections += 1
        self.event(
            "reflection",
            step,
            agent=agent.id,
            questions=questions,
            insights=insights,
            from_memories=[m.id for m in recent],
        )
        if insights and step + 1 < opts.steps:
            await self.make_plan(agent, step + 1, insights=[str(i["text"]) for i in insights])

    async def encounter(self, step: int, agent_ids: list[str], location: str, kind: str) -> None:
        index = self.encounters
        self.encounters += 1
        names = {a: self.agents[a].info.name for a in agent_ids}
        self.event(
            "encounter_start", step, encounter=index, location=location, agents=agent_ids, kind=kind
        )
        speakers = [
            Speaker(
                self.agents[a],
                self.model,
                step=step,
                hour=self.hour(step),
                location=location,
                others=[names[o] for o in agent_ids if o != a],
                memory_k=self.options.memory_k,
                seed=self.ctx.seed + 1000 * (index + 1),
            )
            for a in agent_ids
        ]
        dialogue = await run_conversation(
            speakers,
            policy="round_robin",
            stop=StopConditions(max_turns=self.options.dialogue_turns),
            conversation_id=f"{self.ctx.conversation_id}-e{index}",
        )
        for turn in dialogue.turns:
            turn.metadata.update(encounter=index, step=step, location=location)
            self.turns.append(turn)
        self.calls.extend(dialogue.model_calls)
        self.usage = self.usage + Usage.model_validate(dialogue.usage)
        termination = dialogue.termination or TerminationReason.MAX_TURNS
        self.event(
            "encounter_end",
            step,
            encounter=index,
            location=location,
            turns=len(dialogue.turns),
            termination=termination.value,
            ended_by=dialogue.ended_by,
            error=dialogue.error,
            usage=dialogue.usage,
        )
        if termination.is_error:
            self.fail(termination, dialogue.error or termination.value, dialogue.ended_by or "loop")
        lines = "; ".join(f"{names[t.speaker]}: {t.utterance}" for t in dialogue.turns)
        for a in agent_ids:
            others = " and ".join(names[o] for o in agent_ids if o != a)
            text = f"At {self.hour(step)}:00 at the {location} I talked with {others}. {lines}"
            await self.remember(self.agents[a], short(text), step, kind="dialogue")

    async def run_step(self, step: int) -> None:
        hour = self.hour(step)
        self.event("step", step, hour=hour)
        target: dict[str, tuple[str, str, str]] = {}
        for agent in self.agents.values():
            item = agent.planned(hour)
            if item is None:
                target[agent.id] = (agent.location, agent.activity, "plan")
            else:
                target[agent.id] = (item.location, item.activity, "plan")
        scheduled: list[tuple[list[str], str]] = []
        for enc in self.options.encounters:
            if enc.step == step:
                where = enc.location or target[enc.agents[0]][0]
                for a in enc.agents:
                    target[a] = (where, target[a][1], "scheduled")
                scheduled.append((enc.agents, where))
        for agent in self.agents.values():
            where, activity, why = target[agent.id]
            agent.activity = activity
            if where != agent.location:
                self.event(
                    "move",
                    step,
                    agent=agent.id,
                    to=where,
                    reason=why,
                    activity=activity,
                    **{"from": agent.location},
                )
                agent.location = where
        positions = {a.id: a.location for a in self.agents.values()}
        for agent in self.agents.values():
            here = [
                o.info.name
                for o in self.agents.values()
                if o.id != agent.id and o.location == agent.location
            ]
            text = f"At {hour}:00 I am at the {agent.location}"
            text += f", {agent.activity}." if agent.activity else "."
            if here:
                text += f" {' and '.join(here)} {'is' if len(here) == 1 else 'are'} here too."
            await self.remember(agent, text, step, kind="observation")
        for agent_ids, where, kind in choose_encounters(
            positions, rng=self.rng, chance=self.options.encounter_chance, scheduled=scheduled
        ):
            await self.encounter(step, agent_ids, where, kind)
            if self.failure is not None:
                return
        for agent in self.agents.values():
            if agent.memory.needs_reflection(self.options.reflection_threshold):
                await self.reflect(agent, step)

    async def start(self) -> None:
        for spec, agent in zip(self.options.agents, self.agents.values(), strict=True):
            for fact in spec.memories:
                await self.remember(agent, fact, 0, kind="seed")
        for spec, agent in zip(self.options.agents, self.agents.values(), strict=True):
            if spec.plan is not None:
                agent.plan = sorted(spec.plan, key=lambda p: p.hour)
                self.event(
                    "plan",
                    0,
                    agent=agent.id,
                    revised=False,
                    source="config",
                    items=[p.model_dump() for p in agent.plan],
                    memory_ids=[],
                )
            else:
                await self.make_plan(agent, 0)

    def _over_budget(self, started: float, usage: Usage) -> TerminationReason | None:
        stop = self.ctx.stop
        if stop.token_budget is not None and usage.total_tokens >= stop.token_budget:
            return TerminationReason.BUDGET_EXHAUSTED
        if stop.timeout is not None and time.monotonic() - started >= stop.timeout:
            return TerminationReason.TIMEOUT
        return None

    async def run(self) -> Conversation:
        started_at, started = time.time(), time.monotonic()
        reason, steps_run = TerminationReason.MAX_TURNS, 0
        with record_calls() as log:
            try:
                await self.start()
                for step in range(self.options.steps):
                    if self.failure is not None:
                        break
                    await self.run_step(step)
                    if self.failure is not None:
                        break
                    steps_run = step + 1
                    over = self._over_budget(started, self.usage + log.usage)
                    if over is not None and step + 1 < self.options.steps:
                        reason = over
                        break
            except Exception as exc:  # a bug or an unexpected reply: data, not a crash
                message = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}".strip()
                self.event("error", steps_run, kind="exception", message=message)
                self.fail(TerminationReason.SIMULATOR_ERROR, f"sandbox: {message}", "sandbox")
            self.usage = self.usage + log.usage
            self.calls.extend(log.calls)
        self.calls.sort(key=lambda c: float(str(c.get("started_at", 0.0))))
        ended_by = "loop"
        error: str | None = None
        if self.failure is not None:
            reason, error, ended_by = self.failure
        return Conversation(
            id=self.ctx.conversation_id,
            participants=[a.info for a in self.agents.values()],
            turns=self.turns,
            scenario_id=self.ctx.scenario_id,
            termination=reason,
            error=error,
            ended_by=ended_by,
            events=self.events,
            model_calls=self.calls,
            usage=self.usage.model_dump(exclude_none=True),
            started_at=started_at,
            ended_at=time.time(),
            metadata={
                "steps": steps_run,
                "encounters": self.encounters,
                "reflections": self.reflections,
                "memories": sum(len(a.memory.memories) for a in self.agents.values()),
            },
        )


@register_paradigm("sandbox", options=SandboxOptions)
async def run_sandbox(options: SandboxOptions, ctx: ParadigmContext) -> Conversation:
    """Run one sandbox day for a work item and return it as one conversation record.

    The scenario's ``goal`` is the setting, shown to every agent. The record ends with
    ``max_turns`` after the last step (``ended_by: loop``), ``budget_exhausted`` or ``timeout``
    (the run's ``stop.token_budget`` / ``stop.timeout``, checked after each step), or with the
    first error (a failed model call, an encounter that ended in error); malformed model replies
    are ``error`` events with a fallback, and the day goes on.
    """
    return await _Sandbox(options, ctx).run()
