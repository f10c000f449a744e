"""Shared pieces of the AI–AI paradigms: a model-played agent and the bookkeeping of calls made
outside the conversation loop (task specifier, position polls, judge)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence

from simulacra._json import parse_json_object
from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    View,
)
from simulacra.errors import ModelError
from simulacra.models import CallLog, ChatMessage, GenerateConfig, Model, Usage
from simulacra.participants import Reply, call_ref, clean_utterance
from simulacra.prompts import get_template

__all__ = [
    "ModelAgent",
    "TurnBuilder",
    "error_conversation",
    "error_reason",
    "merge_calls",
    "one_line",
    "parse_json_object",
    "slug",
]

TurnBuilder = Callable[[View], tuple[str, str]]
"""Renders the single user message of a transcript-framed agent: ``(text, template_ref)``."""


class ModelAgent:
    """A participant played by a model under a fixed system prompt (an AI–AI agent).

    Two framings: ``chat`` (the history as chat messages, own turns as ``assistant``; a kickoff
    ``user`` message when the agent speaks first) or, with ``turn``, a transcript rendered into
    one ``user`` message. Labels a small model adds ("Name:") and any continuation into another
    speaker's line are stripped; the ``done_token`` (matched loosely: ``CAMEL_TASK_DONE`` without
    its brackets counts) ends the conversation with this agent's stop signal.

    Args:
        model: The model that plays the agent.
        id: Participant id.
        name: Display name (the role name, e.g. "Python Programmer").
        kind: Participant kind (``agent`` by default).
        system: The rendered system prompt.
        templates: Refs (``id@version``) of the templates that built ``system``.
        kickoff: The template id of the first ``user`` message in chat framing.
        turn: Builds the ``user`` message in transcript framing (instead of chat framing).
        done_token: A token with which this agent ends the conversation.
        shape: Applied to the cleaned text (e.g. keep only a student's first question).
        config: Per-call generation options.
    """

    def __init__(
        self,
        model: Model,
        *,
        id: str,
        name: str,
        system: str,
        templates: Sequence[str],
        kind: ParticipantKind = ParticipantKind.AGENT,
        kickoff: str | None = None,
        turn: TurnBuilder | None = None,
        done_token: str | None = None,
        shape: Callable[[str], str] | None = None,
        config: GenerateConfig | None = None,
    ) -> None:
        self.model = model
        self.info = ParticipantInfo(id=id, name=name, kind=kind)
        self.system = ChatMessage(role="system", content=system)
        self.templates = list(templates)
        self.kickoff = get_template(kickoff) if kickoff else None
        self.turn = turn
        self.config = config
        self.shape = shape
        self._done = _token_pattern(done_token) if done_token else None

    def build_messages(self, view: View) -> tuple[list[ChatMessage], list[str]]:
        """The request for this view, and the refs of the templates used."""
        messages = [self.system]
        refs = list(self.templates)
        if self.turn is not None:
            text, ref = self.turn(view)
            messages.append(ChatMessage(role="user", content=text))
            refs.append(ref)
            return messages, refs
        if self.kickoff is not None and (not view.messages or view.messages[0].role != "user"):
            messages.append(ChatMessage(role="user", content=self.kickoff.render()))
            refs.append(self.kickoff.ref)
        messages.extend(ChatMessage(role=m.role, content=m.content) for m in view.messages)
        return messages, refs

    async def respond(self, view: View) -> Reply:
        """Generate this agent's next turn (raises the model's error: the loop records it)."""
        messages, refs = self.build_messages(view)
        others = [p.name for p in view.others]
        per_call = GenerateConfig(stop=[f"\n{n}:" for n in others] or None).merged(self.config)
        output = await self.model.generate(messages, config=per_call, templates=refs)
        text = output.text
        done = False
        if self._done is not None and self._done.search(text):
            done = True
            text = self._done.sub("", text)
        text = clean_utterance(text, name=self.info.name, other_names=others)
        if self.shape is not None:
            text = self.shape(text)
        return Reply(utterance=text, stop=done, model_calls=[call_ref(self.model, output)])


def _token_pattern(token: str) -> re.Pattern[str]:
    core = token.strip().strip("<>[]#").strip()
    if not core:
        return re.compile(re.escape(token))
    return re.compile(rf"[<\[#]*\s*{re.escape(core)}\s*[>\]#]*", re.IGNORECASE)


def slug(name: str) -> str:
    """A participant id from a display name (``"Python Programmer"`` → ``python_programmer``)."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "agent"


def one_line(error: BaseException) -> str:
    """``"TypeName: first line of the message"``."""
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def error_reason(error: BaseException) -> TerminationReason:
    """How a failed call of a simulated agent ends a conversation (as in the loop)."""
    if isinstance(error, ModelError) and error.retryable:
        return TerminationReason.INFRASTRUCTURE_ERROR
    return TerminationReason.SIMULATOR_ERROR


def merge_calls(conversation: Conversation, log: CallLog, *, first: bool = False) -> None:
    """Add calls made outside the loop (recorded in ``log``) to the record and its usage;
    ``first``: they were made before the loop's calls."""
    if not log.calls:
        return
    if first:
        conversation.model_calls[:0] = log.calls
    else:
        conversation.model_calls.extend(log.calls)
    usage = Usage.model_validate(conversation.usage) + log.usage
    conversation.usage = usage.model_dump(exclude_none=True)


def error_conversation(
    participants: Sequence[ParticipantInfo],
    *,
    conversation_id: str,
    scenario_id: str,
    who: str,
    error: BaseException,
    metadata: dict[str, str | int | float | bool | None],
) -> Conversation:
    """The record of a conversation that failed before its first turn (e.g. the task specifier)."""
    now = time.time()
    return Conversation(
        id=conversation_id,
        participants=list(participants),
        scenario_id=scenario_id,
        termination=error_reason(error),
        error=f"{who}: {one_line(error)}",
        ended_by=who,
        started_at=now,
        ended_at=now,
        metadata=dict(metadata),
    )
