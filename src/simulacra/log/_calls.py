"""A model call as the run log records it: :class:`ModelCall`.

Every call a :class:`~simulacra.models.Model` makes inside a conversation is appended to that
conversation's ``model_calls`` (a JSON object each, in ``conversations.jsonl``); a turn points to
the calls that produced it by ``call_id`` (:class:`~simulacra.ModelCallRef`). :class:`ModelCall`
names the fields the writer (``models/_model.py``) puts there, with their types, so readers do
not index untyped dicts; fields it does not name (a later minor version's) are kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulacra._validation import summarise
from simulacra.conversation import Conversation
from simulacra.errors import ConfigError

__all__ = ["CallError", "CallUsage", "ModelCall", "model_calls"]


class CallUsage(BaseModel):
    """Tokens of one call: prompt, completion, and the prompt tokens actually evaluated (the rest
    came from a cached prefix) when the provider says."""

    model_config = ConfigDict(extra="allow", frozen=True)

    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_tokens_evaluated: int | None = None


class CallError(BaseModel):
    """Why a call failed: the error's kind (``timeout``, ``rate_limit``...) and message."""

    model_config = ConfigDict(extra="allow", frozen=True)

    kind: str
    message: str


class ModelCall(BaseModel):
    """One model call of a conversation.

    Attributes:
        call_id: Id a turn's :class:`~simulacra.ModelCallRef` points to.
        role: The model role that made the call (``user``, ``target``, ``judge``...).
        model: The model's name (its spec).
        started_at: Unix time the call started.
        attempts: Retries before it succeeded or gave up (0: first try; a cache hit: 0).
        cached: Whether the answer came from the call cache.
        templates: ``id@version`` of the prompt templates that built the messages.
        config: Generation settings that were set (temperature, max_tokens, seed, stop...).
        messages: The chat messages sent (``role``, ``content``).
        retried: Failures retried, by kind.
        output: The text generated (absent when the call failed).
        finish_reason: Why generation stopped (``stop``, ``length``...).
        usage: Token counts.
        latency_s: Seconds the successful attempt took.
        error: Why the call failed, when it did.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    call_id: str
    role: str
    model: str
    started_at: float | None = None
    attempts: int = 0
    cached: bool = False
    templates: list[str] = Field(default_factory=list)
    config: dict[str, Any] = Field(default_factory=dict)
    messages: list[dict[str, str]] = Field(default_factory=list)
    retried: dict[str, int] = Field(default_factory=dict)
    output: str | None = None
    finish_reason: str | None = None
    usage: CallUsage | None = None
    latency_s: float | None = None
    error: CallError | None = None


def model_calls(conversation: Conversation) -> list[ModelCall]:
    """The conversation's model calls, typed.

    Raises:
        ConfigError: A call that is not a model call record, naming the conversation, the
            call's position and the field.
    """
    out = []
    for n, call in enumerate(conversation.model_calls):
        try:
            out.append(ModelCall.model_validate(call))
        except ValidationError as exc:
            raise ConfigError(
                f"conversation {conversation.id}: model_calls.{n}.{summarise(exc, model=ModelCall)}"
            ) from None
    return out
