"""Task success of a conversation against a MultiWOZ-style goal, checked lexically in the
system's turns.

- **requests**: every requested slot was given — recognised by its shape (phone numbers,
  postcodes, train ids, prices, durations, times, addresses, car types) or its cue word, in a
  system sentence that is not a question;
- **constraints**: by default, no constraint is contradicted — no system sentence gives another
  area, price range or star rating without the wanted one (real systems seldom repeat the
  user's constraints: on the MultiWOZ validation dialogues only 45% of constraint values are
  echoed); with ``strict=True``, every final constraint value of the goal (``dontcare``
  excepted) must appear in the system's turns (``4`` as "4 stars", ``yes`` for
  parking/internet as the word itself). ``inform_rate`` is always the strict share;
- **booking**: each domain that wants a booking got a confirmation (a "booked" sentence or a
  reference number).

Limits: lexical only — a value the system paraphrased ("up north") is missed, a value it
merely repeated or mentioned among others counts, and a request is credited to a domain
when the sentence names none. It is a proxy of the MultiWOZ inform/success rates, which
check the offered entity against the database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.participants._agenda_nlu import (
    SystemNLU,
    clean_text,
    detect_slot_values,
    domain_of,
    value_pattern,
)
from simulacra.scenarios import DONTCARE, TaskGoal

__all__ = ["TaskSuccess", "task_goal_check", "task_success"]

_SENTENCE = re.compile(r"[^.?!\n]+[.?!]*")
_CONTRADICTABLE = frozenset({"area", "price range", "stars"})
_CUES = {"parking": r"\bparking\b", "internet": r"\b(internet|wifi|wi-fi)\b"}


@dataclass(frozen=True, slots=True)
class TaskSuccess:
    """The outcome of :func:`task_success`.

    Attributes:
        success: Every request answered, constraint matched and booking made.
        inform_rate: Share of constraints whose value the system said (1.0 when none).
        request_rate: Share of requested slots the system gave (1.0 when none).
        booked: Every wanted booking was confirmed.
        contradicted: Constraints the system contradicted, e.g. ``hotel-area=north``.
        missing: What was not found, e.g. ``hotel-phone``, ``hotel-area=north``,
            ``hotel-booking``.
    """

    success: bool
    inform_rate: float
    request_rate: float
    booked: bool
    missing: tuple[str, ...]
    contradicted: tuple[str, ...] = ()


def _system_texts(conversation: Conversation, user_id: str | None) -> list[str]:
    systems = {p.id for p in conversation.participants if p.kind is ParticipantKind.AI_SYSTEM}
    if not systems:
        others = {p.id for p in conversation.participants if p.id != user_id}
        systems = others if user_id is not None else set()
    return [t.utterance for t in conversation.turns if t.speaker in systems]


def task_success(
    goal: TaskGoal,
    system: Conversation | Sequence[str],
    *,
    user_id: str | None = None,
    strict: bool = False,
) -> TaskSuccess:
    """Check a conversation (or the system's utterances) against a goal, lexically.

    Args:
        goal: The user's task goal.
        system: The conversation (its ``ai_system`` turns are read; without one, every turn
            not by ``user_id``) or the system's utterances.
        user_id: The simulated user's id, when no participant is an ``ai_system``.
        strict: Require every constraint value to be said by the system (else: none
            contradicted).
    """
    texts = _system_texts(system, user_id) if isinstance(system, Conversation) else list(system)
    cleaned = [clean_text(t) for t in texts]
    sentences = [s.strip() for text in cleaned for s in _SENTENCE.findall(text) if s.strip()]
    whole = " \n ".join(cleaned)
    missing: list[str] = []
    unsaid: list[str] = []
    contradicted: list[str] = []
    constraints = matched = requests = answered = 0
    for d in goal.domains:
        for slot, value in d.inform.items():
            if value == DONTCARE:
                continue
            constraints += 1
            pattern = _CUES.get(slot)
            found = (
                re.search(pattern, whole) if pattern else value_pattern(slot, value).search(whole)
            )
            if found:
                matched += 1
            else:
                unsaid.append(f"{d.domain}-{slot}={value}")
            if slot in _CONTRADICTABLE and _contradicts(sentences, d.domain, slot, value):
                contradicted.append(f"{d.domain}-{slot}={value}")
        for slot in d.requests:
            requests += 1
            if any(
                (domain_of(s) in (None, d.domain))
                and any(found == slot for found, _ in detect_slot_values(s, d.domain))
                for s in sentences
            ):
                answered += 1
            else:
                missing.append(f"{d.domain}-{slot}")
    nlu = SystemNLU(goal)
    confirmations = sum(1 for text in texts for a in nlu.understand(text) if a.intent == "book")
    wanted = [d.domain for d in goal.domains if d.wants_booking]
    booked = confirmations >= len(wanted)
    if not booked:
        missing.extend(f"{d}-booking" for d in wanted[confirmations:])
    missing = (unsaid if strict else contradicted) + missing
    return TaskSuccess(
        success=not missing,
        inform_rate=matched / constraints if constraints else 1.0,
        request_rate=answered / requests if requests else 1.0,
        booked=booked,
        missing=tuple(missing),
        contradicted=tuple(contradicted),
    )


def _contradicts(sentences: Sequence[str], domain: str, slot: str, value: str) -> bool:
    wanted = value_pattern(slot, value)
    for s in sentences:
        if domain_of(s) not in (None, domain) or wanted.search(s):
            continue
        if any(k == slot and v and v != value for k, v in detect_slot_values(s, domain)):
            return True
    return False


def task_goal_check(
    goal: TaskGoal, *, user_id: str | None = None
) -> Callable[[Conversation], bool]:
    """A ``goal_check`` for :class:`~simulacra.StopConditions`: true once
    :func:`task_success` holds for the conversation so far."""

    def check(conversation: Conversation) -> bool:
        return task_success(goal, conversation, user_id=user_id).success

    return check
