"""Retrieval-augmented users and hybrid pipelines (survey §5.2, §5.5).

An :class:`AugmentedUser` runs context stages (retrieval with an always-on or gated trigger,
a goal/state memory) before a generator (:class:`PromptedUser` or
:class:`GeneratorVerifierUser`) writes the message; what each stage did is recorded on the
turn under its name (``retrieval.ids``, ``gate.retrieve``, ``state.ids``, ...).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import ClassVar, Protocol, runtime_checkable

from simulacra.conversation import Conversation, ModelCallRef, ParticipantInfo, View
from simulacra.memory import Hit, PreferenceState, Retriever, TrainedGate
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.participants._protocol import Reply, call_ref
from simulacra.participants._strategies import parse_json_lenient
from simulacra.prompts import get_template

__all__ = [
    "AugmentedUser",
    "ClassifierGate",
    "ContextStage",
    "Gate",
    "LLMGate",
    "RetrievalStage",
    "StageResult",
    "StateStage",
    "retrieval_rate",
]

Scalar = str | int | float | bool | None


class StageResult:
    """What one context stage adds to a turn: passages for the prompt, metadata, model calls."""

    def __init__(
        self,
        hits: Sequence[Hit] = (),
        metadata: dict[str, Scalar] | None = None,
        calls: Sequence[ModelCallRef] = (),
    ) -> None:
        self.hits = list(hits)
        self.metadata = metadata or {}
        self.calls = list(calls)


@runtime_checkable
class ContextStage(Protocol):
    """A stage that looks at the view and adds context for the next message."""

    name: str

    async def run(self, view: View, *, goal: str) -> StageResult:
        """The context for this turn."""
        ...


@runtime_checkable
class Gate(Protocol):
    """Decides per turn whether to retrieve (RAGate-style)."""

    async def decide(
        self, message: str, *, goal: str
    ) -> tuple[bool, float | None, list[ModelCallRef]]:
        """Whether to retrieve for the other side's ``message``, a score if any, and the model
        calls made."""
        ...


class ClassifierGate:
    """A :class:`~simulacra.memory.TrainedGate` as a :class:`Gate`."""

    def __init__(self, gate: TrainedGate) -> None:
        self.gate = gate

    async def decide(
        self, message: str, *, goal: str
    ) -> tuple[bool, float | None, list[ModelCallRef]]:
        """Retrieve when the classifier's probability reaches its threshold."""
        p = await asyncio.to_thread(self.gate.probability, message)
        return p >= self.gate.threshold, round(p, 4), []


class LLMGate:
    """An LLM judges whether the user needs to look something up (JSON ``{"retrieve": bool}``;
    an unreadable answer counts as retrieve)."""

    _SCHEMA: ClassVar[dict[str, object]] = {
        "type": "object",
        "properties": {"retrieve": {"type": "boolean"}},
        "required": ["retrieve"],
    }

    def __init__(self, model: Model, *, name: str = "User", config: GenerateConfig | None = None):
        self.model = model
        self.name = name
        self.config = config

    async def decide(
        self, message: str, *, goal: str
    ) -> tuple[bool, float | None, list[ModelCallRef]]:
        """Ask the model."""
        template = get_template("user/retrieval_gate")
        prompt = template.render(name=self.name, goal=goal, message=message)
        out = await self.model.generate(
            [ChatMessage(role="user", content=prompt)],
            config=GenerateConfig(json_schema=self._SCHEMA).merged(self.config),
            templates=[template.ref],
        )
        verdict = parse_json_lenient(out.text).get("retrieve")
        return verdict is not False, None, [call_ref(self.model, out)]


def _last_other(view: View) -> str | None:
    return next((m.content for m in reversed(view.messages) if m.role == "user"), None)


class RetrievalStage:
    """Retrieve passages with the other side's last message as the query (the goal before it
    has spoken): always (KAUCUS/SRAG-style) or when ``gate`` says so (RAGate-style).

    Records ``<name>.retrieved`` (bool), ``<name>.ids`` and ``<name>.context`` (the passages,
    ``" || "``-joined) and, with a gate, ``<name>.gate_score``.

    Args:
        retriever: Where to look.
        k: Passages per turn.
        gate: Decides per turn (default: always retrieve).
        name: Prefix of the metadata keys.
    """

    def __init__(
        self, retriever: Retriever, *, k: int = 2, gate: Gate | None = None, name: str = "retrieval"
    ) -> None:
        self.retriever = retriever
        self.k = k
        self.gate = gate
        self.name = name

    async def run(self, view: View, *, goal: str) -> StageResult:
        """Gate, then retrieve."""
        message = _last_other(view)
        query = message or goal
        metadata: dict[str, Scalar] = {}
        calls: list[ModelCallRef] = []
        retrieve = True
        if self.gate is not None and message is not None:
            retrieve, score, calls = await self.gate.decide(message, goal=goal)
            if score is not None:
                metadata[f"{self.name}.gate_score"] = score
        hits = await asyncio.to_thread(self.retriever.search, query, self.k) if retrieve else []
        metadata[f"{self.name}.retrieved"] = retrieve
        metadata[f"{self.name}.ids"] = ",".join(h.id for h in hits)
        metadata[f"{self.name}.context"] = " || ".join(h.text for h in hits)
        return StageResult(hits, metadata, calls)


class StateStage:
    """A goal/preference memory (CSHI-style): updated from every turn in the view, queried with
    the other side's last message; records ``<name>.ids`` and ``<name>.context``."""

    def __init__(self, state: PreferenceState, *, name: str = "state") -> None:
        self.state = state
        self.name = name
        self._seen = 0

    async def run(self, view: View, *, goal: str) -> StageResult:
        """Update from the new turns, then query."""
        for m in view.messages[self._seen :]:
            self.state.update(m.content, own=m.role == "assistant")
        self._seen = len(view.messages)
        hits = self.state.query(_last_other(view) or "")
        current = self.state.current
        return StageResult(
            hits,
            {
                f"{self.name}.ids": ",".join(h.id for h in hits),
                f"{self.name}.context": " || ".join(h.text for h in hits),
                f"{self.name}.sub_goal": current.domain if current else None,
            },
        )


class _Generator(Protocol):
    info: ParticipantInfo

    async def respond(self, view: View, *, memories: Sequence[Hit] | None = None) -> Reply: ...


class AugmentedUser:
    """A simulated user whose context is assembled by stages before a generator speaks.

    Args:
        generator: A :class:`~simulacra.participants.PromptedUser` or
            :class:`~simulacra.participants.GeneratorVerifierUser` (its own memories, for an
            individual, come first).
        stages: Context stages, in order.
        goal: The goal the stages see (default: the generator's).
        pipeline: Names of all techniques, recorded on every turn as ``pipeline``.
    """

    def __init__(
        self,
        generator: _Generator,
        *,
        stages: Sequence[ContextStage] = (),
        goal: str | None = None,
        pipeline: Sequence[str] = (),
    ) -> None:
        self.generator = generator
        self.stages = list(stages)
        self.goal = goal if goal is not None else str(getattr(generator, "goal", ""))
        self.pipeline = ">".join(pipeline) if pipeline else ">".join(s.name for s in stages)
        self.info = generator.info

    async def respond(self, view: View) -> Reply:
        """Run the stages, then the generator with their passages."""
        hits: list[Hit] = []
        own = getattr(self.generator, "recall", None)
        if own is not None and getattr(self.generator, "retriever", None) is not None:
            hits.extend(await asyncio.to_thread(own, view))
        metadata: dict[str, Scalar] = {"pipeline": self.pipeline}
        calls: list[ModelCallRef] = []
        for stage in self.stages:
            result = await stage.run(view, goal=self.goal)
            hits.extend(result.hits)
            metadata.update(result.metadata)
            calls.extend(result.calls)
        reply = await self.generator.respond(view, memories=hits)
        return reply.model_copy(
            update={
                "metadata": {**reply.metadata, **metadata},
                "model_calls": [*calls, *reply.model_calls],
            }
        )


def retrieval_rate(conversations: Iterable[Conversation], *, stage: str = "retrieval") -> float:
    """The fraction of user turns on which ``stage`` retrieved (``nan`` with none recorded)."""
    flags = [
        bool(t.metadata[f"{stage}.retrieved"])
        for c in conversations
        for t in c.turns
        if f"{stage}.retrieved" in t.metadata
    ]
    return sum(flags) / len(flags) if flags else float("nan")
