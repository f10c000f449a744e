"""Turn-taking policies: who speaks next."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence

from simulacra.conversation import Conversation, ParticipantInfo

__all__ = ["POLICIES", "TurnPolicy", "addressed", "alternate", "get_policy", "round_robin"]

TurnPolicy = Callable[[Conversation, Sequence[ParticipantInfo], str | None], str | Awaitable[str]]
"""``policy(conversation, participants, addressed_id) -> id of the next speaker`` (or an
awaitable of it, e.g. an LLM moderator).

``participants`` are in speaking order (the first speaks first); ``addressed_id`` is the id the last
speaker addressed, if any.
"""


def round_robin(
    conversation: Conversation, participants: Sequence[ParticipantInfo], addressed_id: str | None
) -> str:
    """Everyone in order, then again."""
    return participants[len(conversation.turns) % len(participants)].id


def alternate(
    conversation: Conversation, participants: Sequence[ParticipantInfo], addressed_id: str | None
) -> str:
    """Two participants taking turns (round robin restricted to two)."""
    if len(participants) != 2:
        raise ValueError(f"the 'alternate' policy needs 2 participants, got {len(participants)}")
    return round_robin(conversation, participants, addressed_id)


def _mentioned(text: str, participants: Sequence[ParticipantInfo], speaker: str) -> str | None:
    for p in participants:
        if p.id != speaker and re.search(rf"@{re.escape(p.name)}\b", text, flags=re.IGNORECASE):
            return p.id
    return None


def addressed(
    conversation: Conversation, participants: Sequence[ParticipantInfo], addressed_id: str | None
) -> str:
    """The participant the last speaker addressed (explicitly, or with ``@Name``) speaks next;
    otherwise the one after the last speaker in order."""
    if not conversation.turns:
        return participants[0].id
    last = conversation.turns[-1]
    ids = [p.id for p in participants]
    if addressed_id in ids and addressed_id != last.speaker:
        return addressed_id
    mentioned = _mentioned(last.utterance, participants, last.speaker)
    if mentioned is not None:
        return mentioned
    index = ids.index(last.speaker) if last.speaker in ids else -1
    return ids[(index + 1) % len(ids)]


POLICIES: dict[str, TurnPolicy] = {
    "alternate": alternate,
    "round_robin": round_robin,
    "addressed": addressed,
}


def get_policy(policy: str | TurnPolicy) -> TurnPolicy:
    """Look up a policy by name (or pass a callable through)."""
    if callable(policy):
        return policy
    try:
        return POLICIES[policy]
    except KeyError:
        raise ValueError(f"unknown turn policy {policy!r} (known: {', '.join(POLICIES)})") from None
