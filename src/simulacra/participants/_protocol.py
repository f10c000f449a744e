from __future__ import annotations

from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from simulacra.conversation import ModelCallRef, ParticipantInfo, View
from simulacra.models import Model, ModelOutput

__all__ = ["Participant", "Reply", "call_ref"]


class Reply(BaseModel):
    """What a participant says on its turn.

    Attributes:
        utterance: The visible message (may be empty when ``stop`` is set).
        reasoning: Hidden reasoning, logged but never shown to others.
        stop: The participant ends the conversation (e.g. the user's stop sentinel).
        addressed: Id of the participant addressed next, for the ``addressed`` turn policy.
        model_calls: The calls that produced it.
        metadata: Free-form extra data, stored on the turn.
        skip: The participant chooses not to speak now (e.g. an assistant in a group chat that
            lets the users talk): no turn is recorded, and until someone speaks the loop asks the
            next participant instead; when everyone has passed the conversation is ``stalled``.
    """

    model_config = ConfigDict(extra="forbid")

    utterance: str
    reasoning: str | None = None
    stop: bool = False
    addressed: str | None = None
    model_calls: list[ModelCallRef] = Field(default_factory=list)
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    skip: bool = False


@runtime_checkable
class Participant(Protocol):
    """Everything that speaks: simulated users, systems under test, moderators, scripts.

    ``info`` says who it is; :meth:`respond` produces its next turn from its own view of the
    conversation. Implementations keep any private state (goal, memory) to themselves.
    """

    info: ParticipantInfo

    async def respond(self, view: View) -> Reply:
        """Produce the next turn given this participant's view of the history."""
        ...


def call_ref(model: Model, output: ModelOutput) -> ModelCallRef:
    """A turn's reference to the model call that produced it."""
    return ModelCallRef(call_id=output.call_id or "", role=model.role, model=model.name)
