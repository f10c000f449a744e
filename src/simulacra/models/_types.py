from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ChatMessage", "GenerateConfig", "ModelOutput", "Usage"]


class ChatMessage(BaseModel):
    """One message of a chat request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str
    name: str | None = None


class GenerateConfig(BaseModel):
    """Sampling and output options of one call. ``None`` means "provider default".

    Attributes:
        temperature: Sampling temperature.
        top_p: Nucleus sampling.
        top_k: Top-k sampling (embedded and servers that accept it).
        min_p: Min-p sampling (embedded and servers that accept it).
        repeat_penalty: Repetition penalty (embedded; ``frequency_penalty`` is not the same).
        max_tokens: Upper bound of generated tokens.
        stop: Stop strings (the stop string itself is not returned).
        seed: Sampling seed.
        json_schema: Constrain the output to this JSON schema (llama.cpp grammar or the
            server's ``response_format``).
    """

    model_config = ConfigDict(extra="forbid")

    temperature: float | None = Field(default=None, ge=0.0, le=5.0)
    top_p: float | None = Field(default=None, gt=0.0, le=1.0)
    top_k: int | None = Field(default=None, ge=0)
    min_p: float | None = Field(default=None, ge=0.0, le=1.0)
    repeat_penalty: float | None = Field(default=None, gt=0.0)
    max_tokens: int | None = Field(default=None, gt=0)
    stop: list[str] | None = None
    seed: int | None = None
    json_schema: dict[str, Any] | None = None

    def merged(self, other: GenerateConfig | None) -> GenerateConfig:
        """Return a copy where the fields set in ``other`` override ours."""
        if other is None:
            return self
        update = {k: v for k, v in other.__dict__.items() if v is not None}
        if not update:
            return self
        # Both sides are validated already: copying with the update needs no re-validation.
        return self.model_copy(update=update)


class Usage(BaseModel):
    """Token usage of one or more calls.

    Attributes:
        prompt_tokens: Tokens in the prompt.
        completion_tokens: Tokens generated.
        prompt_tokens_evaluated: Prompt tokens actually computed (prompt minus cached prefix),
            when the provider reports it.
    """

    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_tokens_evaluated: int | None = None

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        evaluated: int | None
        if self.prompt_tokens_evaluated is None and other.prompt_tokens_evaluated is None:
            evaluated = None
        else:
            evaluated = (self.prompt_tokens_evaluated or 0) + (other.prompt_tokens_evaluated or 0)
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            prompt_tokens_evaluated=evaluated,
        )


class ModelOutput(BaseModel):
    """The result of one generation.

    Attributes:
        text: The generated text.
        finish_reason: ``"stop"``, ``"length"`` or the provider's word.
        usage: Token usage.
        call_id: Id of the recorded call (set by :class:`~simulacra.models.Model`).
        latency_s: Wall time of the successful attempt.
        attempts: How many attempts it took.
    """

    model_config = ConfigDict(extra="forbid")

    text: str
    finish_reason: str = "stop"
    usage: Usage = Field(default_factory=Usage)
    call_id: str | None = None
    latency_s: float | None = None
    attempts: int = 1
