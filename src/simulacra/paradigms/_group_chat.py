"""The group chat paradigm (survey §4.4, Appendix C.4): many simulated humans, one AI.

``n`` simulated users, each with a profile and a private goal, and one AI assistant share a
channel. A turn policy picks which user writes next; the assistant is offered the floor after
every user message (``offer: every_turn``) or is one more candidate of the policy
(``offer: policy``), and decides itself whether to speak (:class:`GroupAssistant`).

A user who is done (their stop sentinel) leaves the chat instead of ending it: their last
message carries ``done: true`` (or, when it is empty, their ``pass`` event does); the
conversation ends with ``user_stop`` once every user is done, or by the run's stop conditions.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Awaitable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from simulacra.conversation import Conversation, ParticipantInfo, Turn, View
from simulacra.models import GenerateConfig
from simulacra.orchestration import (
    LLMModerator,
    StopConditions,
    TurnPolicy,
    WeightedRandom,
    get_policy,
    mentioned,
    run_conversation,
)
from simulacra.paradigms._group_assistant import GroupAssistant, _drop_self_mention
from simulacra.paradigms._registry import ParadigmContext, ParadigmOptions, register_paradigm
from simulacra.participants import Participant, PromptedUser, Reply
from simulacra.profiles import GeneralUser, Profile

__all__ = [
    "GroupAssistantOptions",
    "GroupChatOptions",
    "GroupUserOptions",
    "run_group_chat",
]

Offer = Literal["every_turn", "policy"]
PolicyName = Literal["round_robin", "addressed", "weighted_random", "moderator"]

_ID = r"^[A-Za-z0-9_.-]+$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class GroupUserOptions(_Strict):
    """One simulated user of the chat.

    Attributes:
        id: Unique id (speaker id of their turns).
        name: Display name, unique in the chat (default: the profile's name, else the id).
        profile: Who they are (any profile kind; default: a general user).
        goal: Their private goal (default: the scenario's goal).
    """

    id: str = Field(min_length=1, pattern=_ID)
    name: str | None = Field(default=None, min_length=1)
    profile: Profile | None = None
    goal: str | None = Field(default=None, min_length=1)

    def display_name(self) -> str:
        """The name shown in the chat."""
        if self.name:
            return self.name
        if self.profile is not None and "name" in self.profile.model_fields_set:
            return self.profile.name
        return self.id


class GroupAssistantOptions(_Strict):
    """The AI of the chat.

    Attributes:
        id: Participant id.
        name: Display name (users write ``@name``).
        model: The model role that writes its messages.
        system_prompt: What the assistant is.
        decide: Decide each time whether to speak (a cheap call); ``False``: always speak.
        decision_model: Model role of the decision (default: ``model``).
        offer: ``every_turn``: offered the floor after every user message; ``policy``: one more
            candidate of the turn policy.
        history: How many recent messages its calls see.
    """

    id: str = Field(default="assistant", min_length=1, pattern=_ID)
    name: str = Field(default="Assistant", min_length=1)
    model: str = "target"
    system_prompt: str | None = "You are a helpful assistant."
    decide: bool = True
    decision_model: str | None = None
    offer: Offer = "every_turn"
    history: int = Field(default=30, ge=1)


class GroupChatOptions(ParadigmOptions):
    """The ``paradigm: {type: group_chat, ...}`` section.

    Attributes:
        users: Two or more simulated users.
        assistant: The AI assistant.
        policy: Who of the users writes next: ``round_robin``, ``addressed`` (``@Name``),
            ``weighted_random`` (seeded, by ``weights`` or profile activity/extraversion) or
            ``moderator`` (an LLM picks; needs the ``moderator`` model role).
        weights: Explicit weights of ``weighted_random`` by participant id.
        moderator: The model role of the ``moderator`` policy.
        user_model: The model role that plays the users.
        first_speaker: The user who writes first (and says the scenario's ``opening``).
    """

    users: list[GroupUserOptions]
    assistant: GroupAssistantOptions = Field(default_factory=GroupAssistantOptions)
    policy: PolicyName = "weighted_random"
    weights: dict[str, float] = Field(default_factory=dict)
    moderator: str = "moderator"
    user_model: str = "user"
    first_speaker: str | None = None

    def model_roles(self) -> list[str]:
        """The user model, the assistant's model(s), and the moderator's if it is used."""
        roles = [self.user_model, self.assistant.model]
        if self.assistant.decide and self.assistant.decision_model:
            roles.append(self.assistant.decision_model)
        if self.policy == "moderator":
            roles.append(self.moderator)
        return roles

    @field_validator("users")
    @classmethod
    def _distinct_users(cls, users: list[GroupUserOptions]) -> list[GroupUserOptions]:
        if len(users) < 2:
            raise ValueError(f"a group chat needs at least 2 users, got {len(users)}")
        for label, values in (
            ("id", [u.id for u in users]),
            ("name", [u.display_name().casefold() for u in users]),
        ):
            seen: set[str] = set()
            for value in values:
                if value in seen:
                    raise ValueError(f"duplicate user {label} {value!r}")
                seen.add(value)
        return users

    @model_validator(mode="after")
    def _references(self) -> GroupChatOptions:
        ids = [u.id for u in self.users]
        a = self.assistant
        if a.id in ids or a.name.casefold() in {u.display_name().casefold() for u in self.users}:
            raise ValueError(f"assistant: id/name {a.id!r}/{a.name!r} is also a user's")
        refs = [("weights", k, [*ids, a.id]) for k in self.weights]
        if self.first_speaker is not None:
            refs.append(("first_speaker", self.first_speaker, ids))
        for where, ref, allowed in refs:
            if ref not in allowed:
                close = difflib.get_close_matches(ref, allowed, n=1, cutoff=0.5)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(
                    f"{where}: no participant {ref!r}{hint}; ids: {', '.join(allowed)}"
                )
        bad = next((k for k, w in self.weights.items() if not w >= 0), None)
        if bad is not None:
            raise ValueError(f"weights: {bad!r} must be >= 0")
        return self


class _Roster:
    """Who of the users is done (left the chat)."""

    def __init__(self, ids: Sequence[str]) -> None:
        self.ids = list(ids)
        self.done: set[str] = set()


class _Member:
    """A user of the chat: says who it addresses (``@Name``) and leaves when done."""

    def __init__(self, inner: Participant, roster: _Roster) -> None:
        self.inner = inner
        self.info = inner.info
        self.roster = roster

    async def respond(self, view: View) -> Reply:
        me = self.info.id
        if me in self.roster.done:
            return Reply(utterance="", skip=True, metadata={"reason": "left"})
        reply = await self.inner.respond(view)
        update: dict[str, object] = {}
        own = _drop_self_mention(reply.utterance, self.info.name)
        if own != reply.utterance:
            update["utterance"] = own
            reply = reply.model_copy(update={"utterance": own})
        if reply.addressed is None and reply.utterance:
            who = mentioned(reply.utterance, view.others, me)
            if who is not None:
                update["addressed"] = who
        if reply.stop:
            self.roster.done.add(me)
            update["metadata"] = {**reply.metadata, "done": True}
            if len(self.roster.done) < len(self.roster.ids):  # the others go on
                update["stop"] = False
                update["skip"] = not reply.utterance
        return reply.model_copy(update=update) if update else reply


class _Floor:
    """The group chat's turn policy: the assistant's opportunities plus a policy over the users
    still in the chat."""

    def __init__(
        self,
        base: TurnPolicy,
        users: Sequence[ParticipantInfo],
        assistant: ParticipantInfo,
        *,
        offer: Offer,
        roster: _Roster,
        first: str | None,
    ) -> None:
        self.base, self.users, self.assistant = base, list(users), assistant
        self.offer, self.roster, self.first = offer, roster, first

    def __call__(
        self,
        conversation: Conversation,
        participants: Sequence[ParticipantInfo],
        addressed: str | None,
    ) -> str | Awaitable[str]:
        turns = conversation.turns
        if not turns and self.first is not None:
            return self.first
        active = [u for u in self.users if u.id not in self.roster.done] or self.users
        aid = self.assistant.id
        if self.offer == "policy":
            return self.base(conversation, [*active, self.assistant], addressed)
        if turns and turns[-1].speaker != aid and not _passed_since(conversation, aid):
            return aid
        return self.base(conversation, active, addressed)


def _passed_since(conversation: Conversation, participant: str) -> bool:
    turn = len(conversation.turns)
    for event in reversed(conversation.events):
        if event.get("turn") != turn:
            return False
        if event.get("type") == "pass" and event.get("participant") == participant:
            return True
    return False


async def run_group_chat(
    users: Sequence[Participant],
    assistant: Participant,
    *,
    policy: str | TurnPolicy = "weighted_random",
    offer: Offer = "every_turn",
    first_speaker: str | None = None,
    stop: StopConditions | None = None,
    conversation_id: str | None = None,
    scenario_id: str | None = None,
    opening: str | None = None,
    metadata: dict[str, str | int | float | bool | None] | None = None,
) -> Conversation:
    """Run one group chat: ``users`` and one ``assistant`` in one channel.

    Args:
        users: The users (two or more), e.g. :class:`~simulacra.PromptedUser` s.
        assistant: The AI, e.g. a :class:`GroupAssistant`.
        policy: Which user writes next: a policy name, a :class:`~simulacra.orchestration.
            WeightedRandom` or :class:`~simulacra.orchestration.LLMModerator`, or any callable.
        offer: ``every_turn`` (the assistant may answer after every user message) or
            ``policy`` (the assistant is one more candidate of the policy).
        first_speaker: The user who writes first (default: the policy's choice).
        stop: Stop conditions.
        conversation_id: Id of the record.
        scenario_id: Recorded on the record.
        opening: A first message said verbatim by the first speaker.
        metadata: Recorded on the record.

    Raises:
        ValueError: Fewer than two users, duplicate ids, or an unknown ``first_speaker``.
    """
    if len(users) < 2:
        raise ValueError(f"a group chat needs at least 2 users, got {len(users)}")
    ids = [u.info.id for u in users]
    if first_speaker is not None and first_speaker not in ids:
        raise ValueError(f"first_speaker {first_speaker!r} is not a user ({', '.join(ids)})")
    roster = _Roster(ids)
    members = [_Member(u, roster) for u in users]
    first = first_speaker or (ids[0] if opening else None)
    floor = _Floor(
        get_policy(policy),
        [u.info for u in users],
        assistant.info,
        offer=offer,
        roster=roster,
        first=first,
    )
    meta: dict[str, str | int | float | bool | None] = {
        "assistant_id": assistant.info.id,
        "offer": offer,
        "users": len(users),
    }
    return await run_conversation(
        [*members, assistant],
        policy=floor,
        stop=stop,
        conversation_id=conversation_id,
        scenario_id=scenario_id,
        opening=[Turn(speaker=first, utterance=opening)] if opening and first else (),
        metadata={**meta, **(metadata or {})},
    )


def _group_instructions(options: GroupChatOptions, me: GroupUserOptions, topic: str) -> str:
    a = options.assistant.name
    others = [u.display_name() for u in options.users if u.id != me.id]
    shown = ", ".join(others[:10]) + (f" and {len(others) - 10} others" if len(others) > 10 else "")
    return (
        f"You are in a group chat with {shown} and {a}, an AI assistant. Everyone reads every "
        f"message. What the group is about: {topic}. To ask {a} something, start your message "
        f"with @{a}; to talk to someone else, use @Name."
    )


@register_paradigm("group_chat", options=GroupChatOptions)
async def group_chat(options: GroupChatOptions, ctx: ParadigmContext) -> Conversation:
    """The ``group_chat`` paradigm: build the users, the assistant and the policy from the
    options and the work item, and run the chat."""
    users: list[Participant] = []
    for i, spec in enumerate(options.users):
        name = spec.display_name()
        profile = (spec.profile or GeneralUser()).model_copy(update={"name": name})
        extra = _group_instructions(options, spec, ctx.goal)
        users.append(
            PromptedUser(
                ctx.models[options.user_model],
                goal=spec.goal or ctx.goal,
                profile=profile,
                id=spec.id,
                instructions=f"{extra}\n\n{ctx.instructions}" if ctx.instructions else extra,
                config=GenerateConfig(seed=(ctx.seed + i) % 2**32),
            )
        )
    a = options.assistant
    decision = ctx.models[a.decision_model] if a.decision_model else None
    assistant = GroupAssistant(
        ctx.models[a.model],
        system_prompt=a.system_prompt,
        id=a.id,
        name=a.name,
        decide=a.decide,
        decision_model=decision,
        history=a.history,
        config=GenerateConfig(seed=ctx.seed),
    )
    policy: str | TurnPolicy = options.policy
    if options.policy == "weighted_random":
        policy = WeightedRandom(options.weights, seed=ctx.seed)
    elif options.policy == "moderator":
        topic = re.sub(r"\s+", " ", ctx.goal).strip()
        policy = LLMModerator(ctx.models[options.moderator], instructions=f"Topic: {topic}")
    return await run_group_chat(
        users,
        assistant,
        policy=policy,
        offer=a.offer,
        first_speaker=options.first_speaker,
        stop=ctx.stop,
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=ctx.opening,
        metadata={"policy": options.policy},
    )
