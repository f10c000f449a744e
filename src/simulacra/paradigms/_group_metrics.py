"""Per-user trajectories and metrics of a group chat (survey Definition 4.1).

A many-humans–one-AI conversation ``τ = {τ^1, ..., τ^n}`` splits into one trajectory per user:
``τ^j`` holds user ``j``'s own turns and the assistant's turns addressed to ``j``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from simulacra.conversation import Conversation, ParticipantKind, Turn, ViewMessage
from simulacra.orchestration import mentioned
from simulacra.paradigms._group_assistant import pending_message

__all__ = [
    "GroupChatReport",
    "UserGoalCheck",
    "UserTrajectory",
    "addressee",
    "group_chat_report",
    "user_trajectories",
]

UserGoalCheck = Callable[[str, Conversation], bool]
"""``check(user_id, conversation) -> whether that user's goal was reached``."""


@dataclass(frozen=True)
class UserTrajectory:
    """One user's side of a group chat.

    Attributes:
        user_id: The user.
        user_turns: ``(turn index, turn)`` of the user's own messages.
        assistant_turns: ``(turn index, turn)`` of the assistant's messages addressed to them.
    """

    user_id: str
    user_turns: list[tuple[int, Turn]]
    assistant_turns: list[tuple[int, Turn]]

    @property
    def turns(self) -> list[tuple[int, Turn]]:
        """Both, in conversation order."""
        return sorted(self.user_turns + self.assistant_turns, key=lambda pair: pair[0])


def _assistant_id(conversation: Conversation) -> str:
    recorded = conversation.metadata.get("assistant_id")
    if isinstance(recorded, str):
        return recorded
    ais = [p.id for p in conversation.participants if p.kind is ParticipantKind.AI_SYSTEM]
    if len(ais) != 1:
        raise ValueError(f"expected one AI participant, found {len(ais)}; pass assistant_id")
    return ais[0]


def _users(conversation: Conversation, assistant_id: str) -> list[str]:
    return [p.id for p in conversation.participants if p.id != assistant_id]


def addressee(conversation: Conversation, turn: Turn) -> str | None:
    """Whom a turn addresses: its recorded ``addressed`` id, else its first ``@Name`` mention."""
    recorded = turn.metadata.get("addressed")
    if isinstance(recorded, str):
        return recorded
    return mentioned(turn.utterance, conversation.participants, turn.speaker)


def user_trajectories(
    conversation: Conversation, *, assistant_id: str | None = None
) -> dict[str, UserTrajectory]:
    """Split a group chat into one trajectory per user (in participant order).

    Args:
        conversation: The group chat.
        assistant_id: The AI (default: ``metadata["assistant_id"]`` or the one AI participant).
    """
    aid = assistant_id or _assistant_id(conversation)
    users = _users(conversation, aid)
    own: dict[str, list[tuple[int, Turn]]] = {u: [] for u in users}
    replies: dict[str, list[tuple[int, Turn]]] = {u: [] for u in users}
    for i, turn in enumerate(conversation.turns):
        if turn.speaker == aid:
            to = addressee(conversation, turn)
            if to in replies:
                replies[to].append((i, turn))
        elif turn.speaker in own:
            own[turn.speaker].append((i, turn))
    return {u: UserTrajectory(u, own[u], replies[u]) for u in users}


class GroupChatReport(BaseModel):
    """Metrics of one group chat.

    Attributes:
        turns: Number of turns.
        turn_share: Share of the turns of each participant (users and assistant).
        assistant_silences: How often the assistant was offered the floor and stayed silent.
        response_latency: Per user, the mean number of turns from one of their messages to the
            next assistant turn addressed to them (1 = the very next turn); ``None`` when none
            of their messages was answered.
        unanswered: Per user, their messages that no later assistant turn addressed to them.
        addressee_accuracy: Share of the assistant's turns addressed to the author of the
            message they answer (see :func:`group_chat_report`); ``None`` if none was scored.
        stated_done: Per user, whether they said they were done (their stop sentinel).
        goal_completed: Per user, the goal check's verdict (without one: ``stated_done``).
        goal_completion_rate: Share of users with ``goal_completed``.
    """

    model_config = ConfigDict(extra="forbid")

    turns: int
    turn_share: dict[str, float]
    assistant_silences: int
    response_latency: dict[str, float | None]
    unanswered: dict[str, int]
    addressee_accuracy: float | None
    stated_done: dict[str, bool]
    goal_completed: dict[str, bool]
    goal_completion_rate: float


def _stated_done(conversation: Conversation, users: list[str]) -> dict[str, bool]:
    done = dict.fromkeys(users, False)
    for turn in conversation.turns:
        if turn.metadata.get("done") is True and turn.speaker in done:
            done[turn.speaker] = True
    for event in conversation.events:
        who = event.get("participant")
        if event.get("type") == "pass" and event.get("done") is True and who in done:
            done[str(who)] = True
    if conversation.termination == "user_stop" and conversation.ended_by in done:
        done[conversation.ended_by] = True
    return done


def group_chat_report(
    conversation: Conversation,
    *,
    assistant_id: str | None = None,
    goal_check: UserGoalCheck | None = None,
) -> GroupChatReport:
    """Compute the metrics of a group chat in one pass over its turns (plus one over events).

    Addressee accuracy, the heuristic: an assistant turn answers the latest message since the
    assistant's previous turn that mentions ``@Assistant``, else the latest message since then
    (the rule :class:`GroupAssistant` itself follows); it is correct when it is addressed
    (``addressed`` on the turn, else its first ``@Name``) to that message's author. Assistant
    turns with no user message since the previous one are not scored.

    Args:
        conversation: The group chat.
        assistant_id: The AI (default: ``metadata["assistant_id"]`` or the one AI participant).
        goal_check: ``check(user_id, conversation)`` deciding each user's goal completion.
    """
    aid = assistant_id or _assistant_id(conversation)
    users = _users(conversation, aid)
    turns = conversation.turns
    counts = dict.fromkeys([*users, aid], 0)
    for t in turns:
        counts[t.speaker] = counts.get(t.speaker, 0) + 1
    share = {p: (n / len(turns) if turns else 0.0) for p, n in counts.items()}
    # Latency: walk backwards, remembering the next assistant turn addressed to each user.
    next_reply: dict[str, int] = {}
    waits: dict[str, list[int]] = {u: [] for u in users}
    unanswered = dict.fromkeys(users, 0)
    for i in range(len(turns) - 1, -1, -1):
        t = turns[i]
        if t.speaker == aid:
            to = addressee(conversation, t)
            if to is not None:
                next_reply[to] = i
        elif t.speaker in waits:
            if t.speaker in next_reply:
                waits[t.speaker].append(next_reply[t.speaker] - i)
            else:
                unanswered[t.speaker] += 1
    latency = {u: (sum(w) / len(w) if w else None) for u, w in waits.items()}
    # Addressee accuracy: the same "pending message" rule as the assistant's.
    name = conversation.participant(aid).name
    since: list[ViewMessage] = []
    authors: list[str] = []
    scored = correct = 0
    for t in turns:
        if t.speaker != aid:
            since.append(ViewMessage(role="user", content=t.utterance, name=t.speaker))
            authors.append(t.speaker)
            continue
        index = pending_message(since, assistant_name=name)
        if index is not None:
            scored += 1
            correct += addressee(conversation, t) == authors[index]
        since, authors = [], []
    silences = sum(
        1 for e in conversation.events if e.get("type") == "pass" and e.get("participant") == aid
    )
    stated = _stated_done(conversation, users)
    completed = {u: goal_check(u, conversation) for u in users} if goal_check else dict(stated)
    return GroupChatReport(
        turns=len(turns),
        turn_share=share,
        assistant_silences=silences,
        response_latency=latency,
        unanswered=unanswered,
        addressee_accuracy=correct / scored if scored else None,
        stated_done=stated,
        goal_completed=completed,
        goal_completion_rate=sum(completed.values()) / len(users) if users else 0.0,
    )
