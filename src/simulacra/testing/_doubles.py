"""Test doubles: models and participants driven by scripts or functions."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence

from simulacra.conversation import ParticipantInfo, ParticipantKind, View
from simulacra.models import (
    ChatMessage,
    GenerateConfig,
    Model,
    ModelAPI,
    ModelOutput,
    RetryPolicy,
    Usage,
)
from simulacra.participants import Reply

__all__ = ["FunctionModelAPI", "ScriptedModelAPI", "ScriptedParticipant", "function_model"]

ModelFunction = Callable[
    [Sequence[ChatMessage], GenerateConfig], str | ModelOutput | Awaitable[str | ModelOutput]
]


def _count(text: str) -> int:
    return max(1, len(text.split()))


def _output(result: str | ModelOutput, messages: Sequence[ChatMessage]) -> ModelOutput:
    if isinstance(result, ModelOutput):
        return result
    prompt = sum(_count(m.content) for m in messages)
    return ModelOutput(
        text=result, usage=Usage(prompt_tokens=prompt, completion_tokens=_count(result))
    )


class FunctionModelAPI(ModelAPI):
    """A provider whose output is computed by ``fn(messages, config)`` (sync or async).

    Token usage is approximated by whitespace word counts unless ``fn`` returns a ModelOutput.
    """

    def __init__(self, fn: ModelFunction, *, name: str = "function", max_concurrency: int = 64):
        self.fn = fn
        self.name = name
        self.max_concurrency = max_concurrency
        self.requests: list[tuple[list[ChatMessage], GenerateConfig]] = []

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        self.requests.append((list(messages), config))
        result = self.fn(messages, config)
        if inspect.isawaitable(result):
            result = await result
        return _output(result, messages)


class ScriptedModelAPI(ModelAPI):
    """A provider that returns the given outputs in order. An item that is an exception instance
    is raised instead. Raises ``IndexError`` when the script runs out."""

    def __init__(self, outputs: Iterable[str | ModelOutput | Exception], *, name: str = "scripted"):
        self.outputs = list(outputs)
        self.name = name
        self.requests: list[tuple[list[ChatMessage], GenerateConfig]] = []

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        self.requests.append((list(messages), config))
        if not self.outputs:
            raise IndexError("ScriptedModelAPI ran out of outputs")
        item = self.outputs.pop(0)
        if isinstance(item, Exception):
            raise item
        return _output(item, messages)


def function_model(fn: ModelFunction, *, role: str = "default", name: str = "function") -> Model:
    """A :class:`Model` over a :class:`FunctionModelAPI` (no retries)."""

    return Model(FunctionModelAPI(fn, name=name), role=role, retry=RetryPolicy(max_retries=0))


class ScriptedParticipant:
    """A participant that says the given lines in order, then stops (``stop=True``)."""

    def __init__(
        self,
        lines: Iterable[str | Reply],
        *,
        id: str,
        name: str | None = None,
        kind: ParticipantKind = ParticipantKind.SIMULATED_HUMAN,
    ) -> None:
        self.lines = list(lines)
        self.info = ParticipantInfo(id=id, name=name or id, kind=kind)
        self.views: list[View] = []

    async def respond(self, view: View) -> Reply:
        self.views.append(view)
        if not self.lines:
            return Reply(utterance="", stop=True)
        line = self.lines.pop(0)
        return line if isinstance(line, Reply) else Reply(utterance=line)
