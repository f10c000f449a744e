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
import weakref
from dataclasses import dataclass, field
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

        Views are built incrementally: each turn's messages are created once per conversation
        and each participant's list is extended with the turns added since its last view, so
        a view costs one list copy plus the new turns (linear in turns over a conversation, not
        quadratic). The returned view is a snapshot: later turns never change it. Turns are
        treated as append-only; replacing ``turns`` or truncating it is detected and the cache
        rebuilt, but editing the utterance of an earlier turn in place needs
        :meth:`forget_views`.
        """
        me = self.participant(participant_id)
        cache = _view_cache(self)
        mine = cache.messages_for(participant_id)
        return View(
            participant=me,
            others=[p for p in self.participants if p.id != participant_id],
            messages=list(mine),
            turn_index=len(self.turns),
            conversation_id=self.id,
        )

    def forget_views(self) -> None:
        """Drop the incremental view cache (after editing earlier turns in place)."""
        _VIEW_CACHES.pop(id(self), None)


@dataclass(slots=True)
class _ViewCache:
    """Messages of the views built so far: per turn, the two renderings (as seen by others and
    by the speaker), and per participant the list of its view's messages."""

    owner: weakref.ReferenceType[Conversation]
    turns: list[Turn]
    ids: list[str]
    names: list[str]
    speakers: list[str] = field(default_factory=list)
    as_other: list[ViewMessage] = field(default_factory=list)
    as_self: list[ViewMessage] = field(default_factory=list)
    last: tuple[Turn, str] | None = None
    per_participant: dict[str, list[ViewMessage]] = field(default_factory=dict)

    def valid(self, c: Conversation) -> bool:
        turns = c.turns
        if turns is not self.turns or len(turns) < len(self.speakers):
            return False
        if self.last is not None:
            turn, utterance = self.last
            if turns[len(self.speakers) - 1] is not turn or turn.utterance is not utterance:
                return False
        return self.names == [p.name for p in c.participants]

    def extend(self) -> None:
        turns = self.turns
        if len(turns) == len(self.speakers):
            return
        names = dict(zip(self.ids, self.names, strict=True))
        for i in range(len(self.speakers), len(turns)):
            t = turns[i]
            name = names[t.speaker]
            self.speakers.append(t.speaker)
            self.as_other.append(ViewMessage(role="user", content=t.utterance, name=name))
            self.as_self.append(ViewMessage(role="assistant", content=t.utterance, name=name))
        last = turns[-1]
        self.last = (last, last.utterance)

    def messages_for(self, participant_id: str) -> list[ViewMessage]:
        self.extend()
        mine = self.per_participant.setdefault(participant_id, [])
        speakers, as_self, as_other = self.speakers, self.as_self, self.as_other
        for i in range(len(mine), len(speakers)):
            mine.append(as_self[i] if speakers[i] == participant_id else as_other[i])
        return mine


_VIEW_CACHES: dict[int, _ViewCache] = {}
"""Incremental view caches by ``id(conversation)``, dropped when the conversation is collected.
Kept outside the model so that caching never changes a record's equality, copies or pickles."""


def _view_cache(conversation: Conversation) -> _ViewCache:
    key = id(conversation)
    cache = _VIEW_CACHES.get(key)
    if cache is not None and cache.owner() is conversation and cache.valid(conversation):
        return cache
    if cache is None or cache.owner() is not conversation:
        weakref.finalize(conversation, _VIEW_CACHES.pop, key, None)
    owner = weakref.ref(conversation)
    ids = [p.id for p in conversation.participants]
    names = [p.name for p in conversation.participants]
    cache = _ViewCache(owner=owner, turns=conversation.turns, ids=ids, names=names)
    _VIEW_CACHES[key] = cache
    return cache
