"""The AI of a group chat (MUCA, survey Appendix C.4): when to speak, whom to address, what to say.

Each time the assistant is offered the floor it first decides **when** — a cheap call that
answers ``{"speak": true|false, "to": "<user name>"}`` — and stays silent with
``Reply(skip=True)`` (kept as a ``pass`` event in ``conversation.events``). If it speaks, a
second call writes **what** it says to **whom**: ``Reply.addressed`` is the chosen user's id and
the message starts with ``@Name``. A message that mentions the assistant (``@Assistant``) is
always answered, without a decision call.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence

from simulacra.conversation import ParticipantInfo, ParticipantKind, View, ViewMessage
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.orchestration import mentioned
from simulacra.participants import Reply, call_ref, clean_utterance

__all__ = ["GroupAssistant", "pending_message"]

_Meta = dict[str, str | int | float | bool | None]


def pending_message(
    messages: Sequence[ViewMessage], *, assistant_name: str, own_role: str = "assistant"
) -> int | None:
    """Index of the message the assistant should answer now: among the messages since its own
    last one, the latest that mentions ``@assistant_name``, else the latest; ``None`` when no one
    else has written since its last message.

    The same rule scores addressee accuracy (:func:`group_chat_report`), so what the assistant
    treats as "the question" and what the metric checks agree.
    """
    tag = f"@{assistant_name}".casefold()
    latest: int | None = None
    for i in range(len(messages) - 1, -1, -1):
        m = messages[i]
        if m.role == own_role:
            break
        if tag in m.content.casefold():
            return i
        if latest is None:
            latest = i
    return latest


class GroupAssistant:
    """An assistant model in a channel with several users.

    Args:
        model: The model that writes the assistant's messages.
        system_prompt: What the assistant is (the group framing is added to it).
        id: Participant id.
        name: Display name; users address it with ``@name``.
        decide: Ask ``decision_model`` whether to speak each time (``False``: always speak).
        decision_model: The model of the speak/silence decision (default: ``model``).
        history: How many recent messages the assistant's calls see.
        mention: Start each message with ``@Name`` of the addressed user if the model did not
            mention them.
        config: Per-call options of the message call.
        decision_config: Per-call options of the decision call (default: at most 32 tokens,
            temperature 0).
    """

    def __init__(
        self,
        model: Model,
        *,
        system_prompt: str | None = None,
        id: str = "assistant",
        name: str = "Assistant",
        decide: bool = True,
        decision_model: Model | None = None,
        history: int = 30,
        mention: bool = True,
        config: GenerateConfig | None = None,
        decision_config: GenerateConfig | None = None,
    ) -> None:
        self.model = model
        self.decision_model = decision_model or model
        self.system_prompt = system_prompt
        self.decide = decide
        self.history = max(1, history)
        self.mention = mention
        self.config = config
        self.decision_config = GenerateConfig(max_tokens=32, temperature=0.0).merged(
            decision_config
        )
        self.info = ParticipantInfo(id=id, name=name, kind=ParticipantKind.AI_SYSTEM)

    def _framing(self, users: Sequence[ParticipantInfo]) -> str:
        names = ", ".join(u.name for u in users)
        base = f"{self.system_prompt}\n\n" if self.system_prompt else ""
        return (
            f"{base}You are {self.info.name}, the AI assistant of a group chat with {names}. "
            "Each message starts with the name of who wrote it."
        )

    def _recent(self, view: View) -> list[ViewMessage]:
        return view.messages[-self.history :]

    def decision_messages(self, view: View, users: Sequence[ParticipantInfo]) -> list[ChatMessage]:
        """The request of the speak/silence decision."""
        me = self.info.name
        lines = [f"{m.name}: {m.content}" for m in self._recent(view)]
        prompt = (
            "The chat so far:\n\n" + "\n".join(lines) + f"\n\nShould {me} write a message now? "
            f"Speak when someone asks {me} something or a request to {me} is still open; stay "
            "silent when the users are talking among themselves or nothing needs an answer. "
            'Answer in JSON: {"speak": true or false, "to": "<name of the user to answer>"}'
        )
        return [
            ChatMessage(role="system", content=self._framing(users)),
            ChatMessage(role="user", content=prompt),
        ]

    def reply_messages(
        self, view: View, users: Sequence[ParticipantInfo], to: ParticipantInfo
    ) -> list[ChatMessage]:
        """The request of the message itself: the recent chat as chat messages (others' as
        ``user`` with their names, consecutive ones merged), then whom to answer."""
        system = self._framing(users) + (
            f" Write only {self.info.name}'s next message: one short message that answers "
            f"{to.name}, starting with @{to.name}."
        )
        messages = [ChatMessage(role="system", content=system)]
        for m in self._recent(view):
            content = m.content if m.role == "assistant" else f"{m.name}: {m.content}"
            if len(messages) > 1 and messages[-1].role == m.role:
                messages[-1] = ChatMessage(
                    role=m.role, content=f"{messages[-1].content}\n{content}"
                )
            else:
                messages.append(ChatMessage(role=m.role, content=content))
        if messages[-1].role != "user":
            messages.append(ChatMessage(role="user", content=f"(answer {to.name})"))
        return messages

    async def respond(self, view: View) -> Reply:
        users = [p for p in view.others if p.kind is not ParticipantKind.AI_SYSTEM] or list(
            view.others
        )
        by_name = {u.name: u for u in users}
        index = pending_message(view.messages, assistant_name=self.info.name)
        if index is None or view.messages[index].name not in by_name:
            return Reply(
                utterance="",
                skip=True,
                metadata={"decision": "silent", "decided_by": "rule", "reason": "nothing new"},
            )
        author = by_name[view.messages[index].name]
        meta: _Meta = {"responds_to": index}
        calls = []
        to = author
        if mentioned(view.messages[index].content, [self.info]) == self.info.id:
            meta.update(decision="speak", decided_by="mention")
        elif not self.decide:
            meta.update(decision="speak", decided_by="always")
        else:
            output = await self.decision_model.generate(
                self.decision_messages(view, users), config=self._decision_config(users)
            )
            calls.append(call_ref(self.decision_model, output))
            speak, chosen, problem = _parse_decision(output.text, users)
            if problem is not None:
                meta.update(decision="speak", decided_by="fallback", reason=problem)
            elif not speak:
                meta.update(decision="silent", decided_by="model", call_id=output.call_id)
                return Reply(utterance="", skip=True, model_calls=calls, metadata=meta)
            else:
                meta.update(decision="speak", decided_by="model")
                to = chosen or author
        config = GenerateConfig(stop=[f"\n{u.name}:" for u in users]).merged(self.config)
        output = await self.model.generate(self.reply_messages(view, users, to), config=config)
        calls.append(call_ref(self.model, output))
        text = clean_utterance(
            output.text, name=self.info.name, other_names=[u.name for u in users]
        )
        text = _drop_self_mention(text, self.info.name)
        if self.mention and mentioned(text, [to]) is None:
            text = f"@{to.name} {text}".strip()
        return Reply(utterance=text, addressed=to.id, model_calls=calls, metadata=meta)

    def _decision_config(self, users: Sequence[ParticipantInfo]) -> GenerateConfig:
        schema = {
            "type": "object",
            "properties": {
                "speak": {"type": "boolean"},
                "to": {"type": "string", "enum": [u.name for u in users]},
            },
            "required": ["speak", "to"],
        }
        return self.decision_config.merged(GenerateConfig(json_schema=schema))


def _parse_decision(
    text: str, users: Sequence[ParticipantInfo]
) -> tuple[bool, ParticipantInfo | None, str | None]:
    """``(speak, addressee, problem)``; a problem means the answer was unusable."""
    try:
        data = json.loads(text)
    except ValueError:
        return True, None, "malformed decision (not JSON)"
    if not isinstance(data, dict) or not isinstance(data.get("speak"), bool):
        return True, None, "malformed decision (no boolean 'speak')"
    to = data.get("to")
    if not data["speak"]:
        return False, None, None
    if not isinstance(to, str):
        return True, None, None
    wanted = to.strip().lstrip("@").strip().casefold()
    match = next((u for u in users if wanted in (u.name.casefold(), u.id.casefold())), None)
    if match is None:
        return True, None, f"unknown addressee {to[:60]!r}"
    return True, match, None


def _drop_self_mention(text: str, name: str) -> str:
    """Remove ``@name`` (the writer's own name), which small models copy from the chat."""
    return re.sub(rf"\s*@{re.escape(name)}(?!\w)", "", text, flags=re.IGNORECASE).strip()
