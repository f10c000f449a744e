"""Knowledge-boundary probes: ask a role-play character about what it cannot know, and score it.

:func:`knowledge_probes` builds questions from a character's boundary (each unknown topic, and a
spread of the anachronism families after its cutoff) plus an identity question.
:func:`run_probes` has an :class:`Interviewer` ask each question in its own short conversation
through the ordinary :func:`~simulacra.run_conversation` loop, and scores the character's answers
with :func:`~simulacra.evaluation.check_consistency`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, View
from simulacra.evaluation._consistency import (
    ConsistencyReport,
    anachronism_families,
    check_consistency,
)
from simulacra.models import GenerateConfig, Model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import ModelTarget, Participant, PromptedUser, Reply, render_profile
from simulacra.profiles import RolePlay
from simulacra.profiles._roleplay import topic_key

__all__ = [
    "Framing",
    "Interviewer",
    "Probe",
    "ProbeRun",
    "character_participant",
    "knowledge_probes",
    "run_probes",
]

Framing = Literal["user", "chat"]

_QUESTIONS = (
    "What do you think of {thing}?",
    "Tell me about {thing}.",
    "What can you tell me about {thing}?",
    "Do you know much about {thing}?",
)
_IDENTITY = "Who are you, and what year is it now?"
_GOAL = "Answer the interviewer's questions as yourself."
_INSTRUCTIONS = (
    "The other speaker is an interviewer, not an assistant: answer each question as yourself, "
    "in character, in one to three sentences."
)
CHARACTER_ID = "character"
_T = TypeVar("_T")


@dataclass(frozen=True)
class Probe:
    """One probe question.

    Attributes:
        question: What the interviewer asks.
        topic: What it is about (an unknown topic, a family name, or ``identity``).
        kind: ``boundary`` (the character cannot know it) or ``identity`` (who and when).
    """

    question: str
    topic: str
    kind: Literal["boundary", "identity"] = "boundary"


def _spread(items: list[_T], k: int) -> list[_T]:
    if k >= len(items):
        return items
    if k <= 1:
        return items[:k]
    step = (len(items) - 1) / (k - 1)
    return [items[round(i * step)] for i in range(k)]


def knowledge_probes(
    profile: RolePlay, *, limit: int | None = 8, identity: bool = True
) -> list[Probe]:
    """Probe questions for a character's knowledge boundary.

    Args:
        profile: The character.
        limit: At most this many probes (the identity probe included); ``None`` for all. The
            character's own unknown topics come first, then anachronism families after its
            cutoff, spread from just after it to the latest.
        identity: Add "Who are you, and what year is it now?".

    Returns:
        The probes, in asking order (deterministic).
    """
    boundary = profile.boundary_or_empty()
    known = {topic_key(t) for t in boundary.known_topics}
    topics: list[tuple[str, str]] = [(t, t) for t in boundary.unknown_topics]
    seen = {topic_key(t) for t in boundary.unknown_topics}
    year = boundary.cutoff_year
    if year is not None:
        for family in anachronism_families():
            keys = {topic_key(family.name), *(topic_key(t) for t in family.terms)}
            if family.year > year and not keys & (seen | known):
                topics.append((family.name, family.probe))
    room = None if limit is None else max(0, limit - (1 if identity else 0))
    own = len(boundary.unknown_topics)
    if room is not None and len(topics) > room:
        head = topics[: min(own, room)]
        topics = head + _spread(topics[own:], room - len(head))
    probes = [
        Probe(question=_QUESTIONS[i % len(_QUESTIONS)].format(thing=thing), topic=name)
        for i, (name, thing) in enumerate(topics)
    ]
    if identity and (limit is None or limit > 0):
        probes.append(Probe(question=_IDENTITY, topic="identity", kind="identity"))
    return probes


class Interviewer:
    """A scripted participant that asks the given questions in order, then stops.

    Args:
        questions: What to ask.
        id: Participant id.
        name: Display name.
    """

    def __init__(
        self, questions: Sequence[str], *, id: str = "interviewer", name: str = "Interviewer"
    ) -> None:
        self.questions = list(questions)
        self.info = ParticipantInfo(id=id, name=name, kind=ParticipantKind.SIMULATED_HUMAN)

    async def respond(self, view: View) -> Reply:
        """The next question, or a stop when none is left."""
        if not self.questions:
            return Reply(utterance="", stop=True)
        return Reply(utterance=self.questions.pop(0))


@dataclass(frozen=True)
class ProbeRun:
    """The outcome of :func:`run_probes`.

    Attributes:
        probes: The questions asked.
        conversations: One conversation per probe.
        report: The character's answers, checked.
        errors: One line per conversation that ended in an error (its probe has no answer).
    """

    probes: tuple[Probe, ...]
    conversations: tuple[Conversation, ...]
    report: ConsistencyReport
    errors: tuple[str, ...] = ()


def character_participant(
    profile: RolePlay,
    model: Model,
    *,
    framing: Framing = "user",
    config: GenerateConfig | None = None,
) -> Participant:
    """The character as a participant (id ``character``).

    ``framing="user"`` is a :class:`~simulacra.PromptedUser` with the role-play profile — how
    ``simulacra run`` plays a character; ``"chat"`` is a chat model whose system prompt is the
    rendered profile (RoleLLM-style role-play prompting).
    """
    if framing == "user":
        return PromptedUser(
            model,
            goal=_GOAL,
            profile=profile,
            id=CHARACTER_ID,
            instructions=_INSTRUCTIONS,
            config=config,
        )
    if framing == "chat":
        text, _ = render_profile(profile)
        return ModelTarget(
            model, system_prompt=text, id=CHARACTER_ID, name=profile.name, config=config
        )
    raise ValueError(f"framing must be 'user' or 'chat', got {framing!r}")


async def run_probes(
    profile: RolePlay,
    *,
    model: Model | None = None,
    character: Participant | None = None,
    probes: Sequence[Probe] | None = None,
    limit: int | None = 8,
    framing: Framing = "user",
    config: GenerateConfig | None = None,
) -> ProbeRun:
    """Ask a character its knowledge-boundary probes, one conversation each, and check answers.

    Args:
        profile: The character.
        model: The model that plays it (with ``framing``), unless ``character`` is given.
        character: A participant that plays it (any simulator; its answers are checked against
            ``profile``).
        probes: The questions (default: :func:`knowledge_probes` with ``limit``).
        limit: Number of default probes.
        framing: How ``model`` plays the character (see :func:`character_participant`).
        config: Generation options of the character's calls.

    Returns:
        The conversations and the lexical consistency report of the character's answers.

    Raises:
        ValueError: If neither ``model`` nor ``character`` is given.
    """
    if character is None:
        if model is None:
            raise ValueError("give a model or a character participant")
        character = character_participant(profile, model, framing=framing, config=config)
    asked = list(probes) if probes is not None else knowledge_probes(profile, limit=limit)
    conversations: list[Conversation] = []
    errors: list[str] = []
    for i, probe in enumerate(asked):
        conversation = await run_conversation(
            [Interviewer([probe.question]), character],
            stop=StopConditions(max_turns=2),
            conversation_id=f"probe-{i:03d}",
            scenario_id=f"probe:{probe.topic}",
            metadata={"probe": probe.topic, "probe_kind": probe.kind},
        )
        if conversation.termination is not None and conversation.termination.is_error:
            errors.append(f"{conversation.id}: {conversation.error}")
        conversations.append(conversation)
    report = check_consistency(conversations, profile=profile, speaker=character.info.id)
    return ProbeRun(tuple(asked), tuple(conversations), report, tuple(errors))
