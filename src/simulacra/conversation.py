"""The conversation data model (survey §2).

A conversation ``C = (c_1, ..., c_T)`` is a temporally ordered sequence of turns, each a pair
``(speaker, utterance)``. Participants ``P`` may be simulated humans, AI systems or agents; each
has a context ``Ψ_p`` (its :mod:`profile <simulacra.profiles>`).

This module is pure data: it imports nothing that does I/O or calls a model. Every class
round-trips through JSON (``model_dump_json`` / ``model_validate_json``) and the record carries
:data:`SCHEMA_VERSION`.

:meth:`Conversation.view_for` is the **only** place where roles are flipped: it renders the history
from one participant's side (its own turns as ``assistant``, everyone else's as ``user``, names kept
for multi-party conversations).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.profiles import Profile

__all__ = [
    "SCHEMA_VERSION",
    "Conversation",
    "ModelCallRef",
    "ParticipantInfo",
    "ParticipantKind",
    "TerminationReason",
    "Turn",
    "View",
    "ViewMessage",
]

SCHEMA_VERSION = 1
"""Version of the conversation record schema. Bump on any incompatible change."""


class ParticipantKind(StrEnum):
    """What a participant is."""

    SIMULATED_HUMAN = "simulated_human"
    AI_SYSTEM = "ai_system"
    AGENT = "agent"
    HUMAN = "human"


class TerminationReason(StrEnum):
    """Why a conversation ended. A failure of the system under test is a result
    (``TARGET_ERROR``); an infrastructure failure is kept out of metrics."""

    GOAL_REACHED = "goal_reached"
    USER_STOP = "user_stop"
    TARGET_STOP = "target_stop"
    MAX_TURNS = "max_turns"
    BUDGET_EXHAUSTED = "budget_exhausted"
    TIMEOUT = "timeout"
    STALLED = "stalled"
    """The conversation went in circles: every recent turn repeated an earlier one."""
    TARGET_ERROR = "target_error"
    SIMULATOR_ERROR = "simulator_error"
    INFRASTRUCTURE_ERROR = "infrastructure_error"

    @property
    def is_error(self) -> bool:
        """Whether the conversation ended because something failed."""
        return self in _ERRORS


_ERRORS = frozenset(
    {
        TerminationReason.TARGET_ERROR,
        TerminationReason.SIMULATOR_ERROR,
        TerminationReason.INFRASTRUCTURE_ERROR,
    }
)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class ParticipantInfo(_Data):
    """Who takes part in a conversation.

    Attributes:
        id: Unique within the conversation; used as the speaker id of turns.
        name: Display name (kept in multi-party views).
        kind: Simulated human, AI system, agent or real human.
        profile: The participant's context Ψ_p, if it is simulated from one.
    """

    id: str
    name: str
    kind: ParticipantKind
    profile: Profile | None = None


class ModelCallRef(_Data):
    """A pointer from a turn to the model call(s) that produced it."""

    call_id: str
    role: str
    model: str


class Turn(_Data):
    """One turn ``c_t = (p_t, u_t)``.

    Attributes:
        speaker: The id of the participant who spoke.
        utterance: What they said (never contains hidden reasoning).
        time: Unix time at which the turn was appended.
        reasoning: Hidden chain-of-thought, logged but never shown to other participants.
        model_calls: References to the model calls that produced this turn.
        metadata: Free-form extra data (e.g. addressed participant, parsed fields).
    """

    speaker: str
    utterance: str
    time: float = Field(default_factory=time.time)
    reasoning: str | None = None
    model_calls: list[ModelCallRef] = Field(default_factory=list)
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ViewMessage:
    """One message of a participant's view, in chat-API shape.

    Attributes:
        role: ``assistant`` for the viewer's own turns, ``user`` for everyone else's.
        content: The utterance.
        name: The speaker's display name.
    """

    role: Literal["user", "assistant"]
    content: str
    name: str


@dataclass(frozen=True, slots=True)
class View:
    """The history of a conversation as seen by one participant. Derived, never stored: a plain
    dataclass, cheap to build on every turn.

    Attributes:
        participant: The participant whose view this is.
        others: The other participants.
        messages: The turns, own as ``assistant`` and others' as ``user``.
        turn_index: Index of the turn about to be produced (0-based).
        conversation_id: The id of the conversation.
    """

    participant: ParticipantInfo
    others: list[ParticipantInfo]
    messages: list[ViewMessage]
    turn_index: int
    conversation_id: str

    def transcript(self, *, self_label: str | None = None) -> str:
        """Render the view as a plain-text transcript, one ``Name: utterance`` line per turn."""
        lines = []
        for m in self.messages:
            label = self_label if (m.role == "assistant" and self_label) else m.name
            lines.append(f"{label}: {m.content}")
        return "\n".join(lines)


class Conversation(_Data):
    """A conversation record: participants, turns, and why it ended.

    Attributes:
        id: Unique id (a work-item id when produced by a run).
        participants: Everyone who may speak.
        turns: The turns so far, in order.
        scenario_id: Which scenario produced it, if any.
        termination: Why it ended (``None`` while running).
        error: A one-line description of the error that ended it, if any.
        model_calls: The full record of every model call made for this conversation.
        metadata: Free-form data (seed, profile id, epoch...).
        events: What happened besides utterances, in order (a moderator's choice, an assistant
            deciding to stay silent, a sandbox agent's reflection...): JSON objects with at
            least ``type`` and, where it applies, ``turn`` (the index of the next turn).
        ended_by: Who ended it: a participant id (its stop signal or its error), ``"goal_check"``,
            or ``"loop"`` (max turns, budget, timeout, stalled).
    """

    schema_version: int = SCHEMA_VERSION
    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    participants: list[ParticipantInfo]
    turns: list[Turn] = Field(default_factory=list)
    scenario_id: str | None = None
    termination: TerminationReason | None = None
    error: str | None = None
    ended_by: str | None = None
    events: list[dict[str, object]] = Field(default_factory=list)
    model_calls: list[dict[str, object]] = Field(default_factory=list)
    usage: dict[str, int] = Field(default_factory=dict)
    started_at: float | None = None
    ended_at: float | None = None
    metadata: dict[str, str | int | float | bool | None] = Field(default_factory=dict)

    def participant(self, participant_id: str) -> ParticipantInfo:
        """Return the participant with this id.

        Raises:
            KeyError: If no participant has this id.
        """
        for p in self.participants:
            if p.id == participant_id:
                return p
        raise KeyError(f"no participant with id {participant_id!r}")

    def append(self, turn: Turn) -> None:
        """Append a turn, checking that its speaker takes part."""
        self.participant(turn.speaker)
        self.turns.append(turn)

    def view_for(self, participant_id: str) -> View:
        """Render the history from one participant's side.

        Own turns become ``assistant`` messages, everyone else's become ``user`` messages; each
        message keeps the speaker's display name so multi-party histories stay readable.
        """
        me = self.participant(participant_id)
        names = {p.id: p.name for p in self.participants}
        messages = [
            ViewMessage(
                role="assistant" if t.speaker == participant_id else "user",
                content=t.utterance,
                name=names[t.speaker],
            )
            for t in self.turns
        ]
        return View(
            participant=me,
            others=[p for p in self.participants if p.id != participant_id],
            messages=messages,
            turn_index=len(self.turns),
            conversation_id=self.id,
        )
