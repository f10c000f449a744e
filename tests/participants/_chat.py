"""A goal-state user talking to a scripted assistant, for the goal-state tests."""

from __future__ import annotations

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.conversation import View
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants import GoalStateUser

BOT = ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM)


def echo_notes(messages: list[ChatMessage], config: GenerateConfig) -> str:
    """A model that 'writes' the notes of the last message as the user's message."""
    return messages[-1].content.removeprefix("Notes: ").split("\n")[0]


class Chat:
    """The user's turns, each after what the assistant is scripted to say."""

    def __init__(self, user: GoalStateUser) -> None:
        self.user = user
        self.c = Conversation(participants=[user.info, BOT])

    def view(self) -> View:
        return self.c.view_for(self.user.info.id)

    async def turn(self, bot_says: str | None = None) -> tuple[str, bool, dict[str, object]]:
        if bot_says is not None:
            self.c.append(Turn(speaker="assistant", utterance=bot_says))
        reply = await self.user.respond(self.view())
        self.c.append(Turn(speaker=self.user.info.id, utterance=reply.utterance))
        return reply.utterance, reply.stop, dict(reply.metadata)
