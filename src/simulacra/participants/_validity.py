"""The simulator validity gate: every simulated-user turn is checked before it is said.

A simulated user that speaks as the assistant, leaks its instructions, writes both sides, echoes
the other side, repeats itself, says nothing, invents constraints or stops before its goal is
covered is a *simulator* fault. Counted as a fault of the system under test it would blame the
wrong party (peers report up to 30% of "agent failures" are the simulator's), so the gate:

1. runs per-turn :data:`DETECTORS` on each user reply (lexical rules, each named, plus an
   optional learned user-voice score);
2. regenerates a failing turn (new seed, the failure named in a hint) up to ``budget`` times
   through the user's :class:`Regenerable` ``regenerate`` method;
3. if it still fails, keeps the turn and marks it (``validity.invalid``, ``validity.reasons``);
   :func:`mark_simulator_validity` then flags the conversation ``simulator_invalid``.

Reports exclude flagged conversations from target metrics by default and show the simulator's
validity separately (:func:`simulator_validity`).

The rules are transparent heuristics for the failures seen on small models; real user turns
from MultiWOZ, Taskmaster and ABCD pass them (tested).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, View
from simulacra.participants._content import COPIED_KEY, NUMBER_WORDS, SAYS_KEY, unsaid
from simulacra.participants._protocol import Participant, Reply

__all__ = [
    "DEFAULT_DETECTORS",
    "DETECTORS",
    "Finding",
    "GatedUser",
    "Regenerable",
    "ValidityGate",
    "ValidityOptions",
    "assistant_like",
    "failed",
    "hint_for",
    "is_simulator_invalid",
    "mark_simulator_validity",
    "refused",
    "simulator_validity",
]

DETECTORS: dict[str, str] = {
    "empty": "says nothing, or a placeholder ('[your name]', '...')",
    "speaks_as_assistant": "speaks as the assistant: offers help, answers as the business, asks "
    "the other side for its details",
    "instruction_leak": "leaks its instructions or reasoning ('my goal is', 'as a customer', "
    "template words)",
    "writes_dialogue": "writes both sides or continues the transcript ('Assistant: ...')",
    "echoes_other": "repeats the other side's last message near-verbatim",
    "repeats_self": "repeats one of its own earlier turns near-verbatim",
    "invented_constraint": "states a number, price, time, day or month, or brings up a topic "
    "(hotel, restaurant, train...), that its goal, profile and the conversation do not contain",
    "premature_stop": "ends before its goal is covered while the other side has not refused or "
    "failed",
    "off_voice": "the learned user-voice scorer says it does not sound like a real user",
    "drops_content": "leaves out a value its turn was meant to state (the goal-state user's "
    "chosen content: 'day: thursday' worded as 'yes, please')",
}
"""Detector name → what it flags."""

DEFAULT_DETECTORS = tuple(DETECTORS)

HINTS: dict[str, str] = {
    "empty": "it was empty: write an actual message",
    "speaks_as_assistant": "it sounded like the assistant: you are the customer, so ask for "
    "what you want or answer with your own details; never offer help",
    "instruction_leak": "it mentioned your instructions: just talk, as the customer",
    "writes_dialogue": "it wrote the other side's lines too: write only your own message",
    "echoes_other": "it repeated the assistant's words: answer them in your own words",
    "repeats_self": "it repeated something you already said: move the conversation on",
    "invented_constraint": "it stated details that are not part of what you want: say only what "
    "your goal says, or that you don't mind",
    "premature_stop": "you ended too early: you still need something, so keep going",
    "off_voice": "it did not sound like a customer typing in a chat box: write short and "
    "informal, as a customer",
    "drops_content": "it left out what the notes say: mention every value in the notes",
}

# Lexical patterns (lower-cased text). The role-adherence metric (evaluation/_role.py) keeps its
# own, older list on purpose: the gate must not be graded by its own detectors alone.
ASSISTANT_PATTERNS = (
    r"^\s*(certainly|absolutely|great question)\b[!,.]",
    r"^\s*(sure|of course)\b[!,.]\s*(i can|i'd be|i would be|i will|i'll|let me|here)\b",
    r"\bhow (can|may) i (help|assist)",
    r"\bwhat can i do for you\b",
    r"\bi('d| would| will|'ll) be (happy|glad|delighted) to (help|assist)",
    r"\bas an ai\b",
    r"\bi('m| am) (an ai|a language model|an assistant|your assistant|here to help)",
    r"\bis there anything else\b",
    r"\bfeel free to\b",
    r"\blet me know if you (need|have)\b",
    r"\bhere (is|are) (a|an|the|some) ",
    r"\bi can help you\b",
    r"\banything else (i|we) can (help|assist|do)\b",
    r"\bif (i|we) can (help|assist|be of)\b",
    r"\b(do|would) you have any (other |specific |particular )?(criteria|preferences|"
    r"requirements)\b",
    r"\bwhat\b[^.?!]*\byou('d| would) (like|prefer)\b",
    r"\bi('m| am) sorry,? but i (can't|cannot|can not) (help|assist)",
    r"\bi (can't|cannot|can not) (help|assist) (you )?with (that|this)\b",
    r"\b(unable|not able) to (help|assist) you\b",
    r"\b(glad|happy) (you found|(that )?i (could|was able to) help|"
    r"to (have )?(helped|help|assist))",
    r"\bi can help (you )?with (that|this)\b",
    r"\b(any|have any) (other|more|further) questions\b",
    r"\bdon't hesitate to\b",
    r"\bwhat\b[^.?!]*\bdo you prefer\b",
    r"\b(what('s| is)|which is) your preferred\b",
    r"\bwhat (day|date|time)s?\b[^.?!]*\byou need\b",
    r"\bhow much (would |are |were )?you (be )?(willing|prepared|looking) to (pay|spend)\b",
    r"\bi('ll| will| can| could) get you (the|a|an|some)\b",
    r"\bthank you for (reaching out|contacting|choosing)",
    r"^\s*(hello|hi)[!,.]? (how can|welcome)",
    r"```",
    r"(?m)^\s*\d+\.\s+\*\*",
    # offering to act for the other side
    r"\bi('ll| will| can| could) (book|reserve|arrange|check|find|look up|get) [^.?!]*\bfor you\b",
    r"\bwould you like (me to|to (book|reserve|proceed|confirm))\b",
    r"\blet me (check|see if|look (it|that) up|find)\b",
    r"\bi (can't|cannot|couldn't|could not) find any (available|matching|rooms?|tables?|trains?)\b",
    r"\bwe (have|offer) (a |an |some |several |no )?(rooms?|tables?|availability|options?)\b",
    r"\byour (booking|reservation) (is|has been) (confirmed|booked|made)\b",
    # asking the other side for *its* (the customer's) details
    r"\bwhat (dates?|day|time) would you like\b",
    r"\bwould you prefer\b",
    r"\bwhat( \w+){1,2} (would|do) you (prefer|want|need)\b",
    r"\byou('re| are) (interested in|looking for)\?",
    r"\bwhat (\w+ )?(are|were) you (interested in|looking for|hoping for)\b",
    r"\bare you (interested in|looking to)\b",
    r"\byour (reservation|booking|stay|order) (is|has|will|details)\b",
    r"\bi need more (information|details) about your\b",
    r"\bhow many (people|guests|nights|tickets)( will| would| are| do)\b[^.?!]*\byou\b",
    r"\b(please )?(provide|share|give me|tell me) (me )?(with )?your (full )?(name|dates?|email|"
    r"phone|contact|booking|check-in|order)",
    r"\bmay i (have|get|know) your\b",
    r"\bcan i (have|get) your (full )?(name|email|phone|contact|dates?|check-in)\b",
    r"\bwhat is your (full )?(name|email|budget|preferred|check-in)\b",
)
LEAK_PATTERNS = (
    r"\bthe conversation (has not started|so far)\b",
    r"\byour goal\b",
    r"\bmy goal\b",
    r"\bnext message\b",
    r"\bmessage text only\b",
    r"###",
    r"\bas (a|the) (customer|user|simulated user)\b",
    r"\bi('m| am) (the customer|the user|a simulated)\b",
    r"\bstay in (role|character)\b",
    r"\{\{|\}\}",
    r'(?m)^\s*"?(thought|reasoning|message)"?\s*:',
    r"\bi should (say|ask|reply|respond|write)\b",
    r"\b(the|my|these) notes\b",
    r"(?m)^\s*(notes?|ask|message)\s*:",
    r"\s\|\s",
    r"\blet me think\b",
)
_DIALOGUE = r"(?m)^\s*(assistant|user|system|customer|agent|you|bot)\s*:"
_PLACEHOLDER = re.compile(
    r"^\W*$|\[(your|name|date|insert|customer)[^\]]*\]|<(your|name|date)[a-z _]*>|\bxxx+\b|"
    r"\blorem ipsum\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9']+")
_COURTESY = re.compile(r"\b(thanks?|thank you|bye|goodbye|good day|that's all|that is all)\b")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(NUMBER_WORDS)}
_TOPICS = frozenset(
    [
        "hotel",
        "guesthouse",
        "restaurant",
        "attraction",
        "museum",
        "train",
        "taxi",
        "hospital",
        "police",
        "flight",
        "cinema",
    ]
)
"""Topic words a user who copies another conversation's details brings up out of nowhere."""
_CALENDAR = frozenset(
    [
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
_REFUSAL = re.compile(
    r"\b(sorry|unfortunately|unable|can ?not|can't|couldn't|could not|no (availability|match|"
    r"rooms?|tables?|trains?|results?)|not available|fully booked|booked up|don't have|do not "
    r"have|isn't possible|is not possible|unsuccessful|there (is|are|was|were) no(?! (problems?|"
    r"issues?|need|charge|fee))|none of (them|"
    r"the|those)|no (\w+ ){0,2}(hotels?|guest ?houses?|restaurants?|places?|attractions?|"
    r"options?|taxis?|cars?|listings?|entries))\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _near_copy(text: str, other: str) -> bool:
    """``text`` mostly repeats ``other``: 85% of its words (at least four) occur in it, its first
    five words are ``other``'s, or the strings are 90% similar."""
    mine, theirs = _words(text), _words(other)
    if not mine or not theirs:
        return False
    if len(mine) >= 5 and mine[:5] == theirs[:5]:
        return True
    their_set = set(theirs)
    shared = sum(1 for w in mine if w in their_set)
    if len(mine) >= 4 and shared / len(mine) >= 0.85:
        return True
    return (
        len(mine) >= 3
        and difflib.SequenceMatcher(None, " ".join(mine), " ".join(theirs)).ratio() >= 0.9
    )


def assistant_like(text: str) -> bool:
    """Whether a message matches one of the speaks-as-the-assistant patterns."""
    lowered = text.lower()
    return any(re.search(p, lowered) for p in ASSISTANT_PATTERNS)


def _facts(text: str, *, topics: bool = False) -> set[str]:
    """Numbers (as digits), prices, times, weekdays and months a text states (and, with
    ``topics``, the topic words it brings up)."""
    out: set[str] = set()
    for tok in re.findall(r"[£$€]?\d[\d:.,]*|[a-z]+", text.lower()):
        tok = tok.strip(".,:").lstrip("£$€")
        if not tok:
            continue
        if tok[0].isdigit():
            out.add(tok.replace(",", ""))
        elif tok in _NUMBER_WORDS:
            out.add(_NUMBER_WORDS[tok])
        elif tok in _CALENDAR:
            out.add(tok)
    if topics:
        out |= {w for w in re.findall(r"[a-z]+", text.lower()) if w in _TOPICS}
    return out - {"1", "0"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One detector's objection to a turn."""

    detector: str
    detail: str = ""


@runtime_checkable
class Regenerable(Protocol):
    """A simulated user that can produce its turn again, differently (new seed, with a hint)."""

    info: ParticipantInfo

    async def respond(self, view: View) -> Reply: ...

    async def regenerate(self, view: View, *, attempt: int, hint: str) -> Reply:
        """Another try at the turn for ``view``; ``attempt`` counts from 1."""
        ...


class ValidityOptions(BaseModel):
    """The run config's ``validity:`` section.

    Attributes:
        enabled: Check simulated-user turns (default on).
        detectors: Which :data:`DETECTORS` run.
        budget: How many times a failing turn is regenerated.
        best_of: Draw this many candidates per turn and keep the valid one that sounds most like
            a real user (needs the user-voice scorer); 1 = off.
        exclude_invalid: Leave ``simulator_invalid`` conversations out of target metrics.
        voice_threshold: ``off_voice`` flags a turn whose user-voice score is below this.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    detectors: list[str] = Field(default_factory=lambda: list(DEFAULT_DETECTORS))
    budget: int = Field(default=2, ge=0, le=20)
    best_of: int = Field(default=1, ge=1, le=16)
    exclude_invalid: bool = True
    voice_threshold: float = Field(default=0.1, ge=0.0, le=1.0)

    @field_validator("detectors")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        for name in value:
            if name not in DETECTORS:
                close = difflib.get_close_matches(name, list(DETECTORS), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                known = ", ".join(DETECTORS)
                raise ValueError(f"unknown detector {name!r}{hint}; known: {known}")
        return list(dict.fromkeys(value))


VoiceScore = Callable[[str], float]
CoverageCheck = Callable[[Sequence[str], Sequence[str]], bool]
"""Given the user's turns so far (this one included) and the other side's, whether its goal is
covered."""


class ValidityGate:
    """The per-turn detectors for one simulated user.

    Args:
        options: Which detectors, budget, threshold.
        goal: The user's goal (for ``invented_constraint``).
        context: Other text the user may draw facts from (profile, instructions).
        covered: For ``premature_stop``: whether the goal is covered by the user's turns so far
            (``None``: the detector is skipped).
        voice: For ``off_voice`` and ``best_of``: P(real user) of a message (``None``: skipped).
        topics: ``invented_constraint`` also flags topic words (hotel, restaurant, train...)
            that nothing mentioned — for structured goals, whose domains are all known.
    """

    def __init__(
        self,
        options: ValidityOptions | None = None,
        *,
        goal: str = "",
        context: str = "",
        covered: CoverageCheck | None = None,
        voice: VoiceScore | None = None,
        topics: bool = False,
    ) -> None:
        self.options = options or ValidityOptions()
        self.detectors = frozenset(self.options.detectors)
        self.topics = topics
        self._allowed = _facts(f"{goal}\n{context}", topics=topics)
        self.covered = covered
        self.voice = voice

    def check(self, reply: Reply, view: View) -> list[Finding]:
        """What is wrong with ``reply`` as this user's next turn in ``view`` (empty: valid)."""
        text = reply.utterance.strip()
        own = [m.content for m in view.messages if m.role == "assistant"]
        others = [m.content for m in view.messages if m.role == "user"]
        found: list[Finding] = []

        def flag(detector: str, detail: str = "") -> None:
            if detector in self.detectors:
                found.append(Finding(detector, detail))

        if reply.stop and not text:
            pass  # a bare stop signal is not an empty turn
        elif _PLACEHOLDER.search(text):
            flag("empty", text[:40])
        if text:
            lowered = text.lower()
            if re.search(_DIALOGUE, lowered) or any(
                re.search(rf"(?m)^\s*{re.escape(p.name.lower())}\s*:", lowered) for p in view.others
            ):
                flag("writes_dialogue")
            leak = next((p for p in LEAK_PATTERNS if re.search(p, lowered)), None)
            if leak is not None:
                flag("instruction_leak", leak)
            role = next((p for p in ASSISTANT_PATTERNS if re.search(p, lowered)), None)
            if role is not None:
                flag("speaks_as_assistant", role)
            courtesy = len(_words(text)) <= 10 and _COURTESY.search(lowered) is not None
            if others and not courtesy and _near_copy(text, others[-1]):
                flag("echoes_other")
            if not courtesy and any(_near_copy(text, o) for o in own):
                flag("repeats_self")
            if "invented_constraint" in self.detectors:
                seen = set(self._allowed)
                for message in view.messages:
                    seen |= _facts(message.content, topics=self.topics)
                new = sorted(_facts(text, topics=self.topics) - seen)
                copied = reply.metadata.get(COPIED_KEY)
                if isinstance(copied, str) and copied:
                    new.append(copied)
                if new:
                    flag("invented_constraint", ",".join(new))
            if "off_voice" in self.detectors and self.voice is not None:
                score = self.voice(text)
                if score < self.options.voice_threshold:
                    flag("off_voice", f"{score:.3f}")
        says = reply.metadata.get(SAYS_KEY)
        if text and isinstance(says, str) and says and "drops_content" in self.detectors:
            left = unsaid(text, says.split(" | "))
            if left:
                flag("drops_content", ",".join(left))
        decided = reply.metadata.get("stop_reason") in ("refused", "patience")
        if (
            reply.stop
            and "premature_stop" in self.detectors
            and self.covered is not None
            and not decided
            and not failed(others)
            and not self.covered([*own, text], others)
        ):
            flag("premature_stop")
        return found


def refused(other_turns: Sequence[str]) -> bool:
    """Whether one of these turns of the other side refuses or fails ("sorry, we are fully
    booked"): a user who ends then has not stopped early."""
    return any(_REFUSAL.search(t) for t in other_turns)


def stuck(other_turns: Sequence[str]) -> bool:
    """Whether the other side's last turn says again, near-verbatim, what one of its two turns
    before it said (A, A or A, B, A): the user's last message went unanswered."""
    turns = list(other_turns)
    return len(turns) >= 2 and any(_near_copy(turns[-1], t) for t in turns[-3:-1])


def failed(other_turns: Sequence[str]) -> bool:
    """Whether the other side's last turns refuse (:func:`refused`) or are :func:`stuck`. A
    user who gives up then has not stopped early: the system under test failed it."""
    return refused(list(other_turns)[-2:]) or stuck(other_turns)


def hint_for(findings: Sequence[Finding]) -> str:
    """The instruction that names what was wrong with a rejected draft."""
    reasons = list(dict.fromkeys(HINTS[f.detector] for f in findings))
    return "Your previous draft was rejected: " + "; ".join(reasons) + "."


class GatedUser:
    """A simulated user whose every turn passes the :class:`ValidityGate`.

    Wraps any participant. A failing turn is regenerated through ``inner.regenerate`` (when the
    user is :class:`Regenerable`) up to ``options.budget`` times; every attempt's model calls
    stay on the turn (exact accounting). The turn's metadata records the gate's work:
    ``validity.regenerations``, ``validity.rejected`` (detectors of the rejected drafts),
    ``validity.invalid`` and ``validity.reasons`` (what still fails the kept turn).

    Args:
        inner: The simulated user.
        gate: Its detectors.
    """

    def __init__(self, inner: Participant, gate: ValidityGate) -> None:
        self.inner = inner
        self.gate = gate
        self.info = inner.info

    def __getattr__(self, name: str) -> object:
        # Everything else (goal, profile, model...) is the wrapped user's.
        return getattr(self.inner, name)

    async def _candidates(self, view: View, first: Reply) -> Reply:
        """With ``best_of`` > 1: the valid candidate that sounds most like a real user."""
        options, voice = self.gate.options, self.gate.voice
        if options.best_of <= 1 or voice is None or not isinstance(self.inner, Regenerable):
            return first
        pool = [first]
        for k in range(1, options.best_of):
            pool.append(await self.inner.regenerate(view, attempt=100 + k, hint=""))
        calls = [c for r in pool for c in r.model_calls]
        best = max(pool, key=lambda r: (not self.gate.check(r, view), voice(r.utterance)))
        return best.model_copy(
            update={
                "model_calls": calls,
                "metadata": {**best.metadata, "validity.best_of": len(pool)},
            }
        )

    async def respond(self, view: View) -> Reply:
        reply = await self._candidates(view, await self.inner.respond(view))
        findings = self.gate.check(reply, view)
        calls = list(reply.model_calls)
        rejected: list[str] = []
        attempts = 0
        while findings and attempts < self.gate.options.budget:
            if not isinstance(self.inner, Regenerable):
                break
            attempts += 1
            rejected.extend(f.detector for f in findings)
            reply = await self.inner.regenerate(view, attempt=attempts, hint=hint_for(findings))
            calls.extend(reply.model_calls)
            findings = self.gate.check(reply, view)
        metadata = dict(reply.metadata)
        metadata["validity.regenerations"] = attempts
        if rejected:
            metadata["validity.rejected"] = ",".join(dict.fromkeys(rejected))
        metadata["validity.invalid"] = bool(findings)
        if findings:
            metadata["validity.reasons"] = ",".join(dict.fromkeys(f.detector for f in findings))
        return reply.model_copy(update={"model_calls": calls, "metadata": metadata})


def _user_turns(conversation: Conversation) -> list[int]:
    simulated = {
        p.id for p in conversation.participants if p.kind == ParticipantKind.SIMULATED_HUMAN
    }
    return [i for i, t in enumerate(conversation.turns) if t.speaker in simulated]


def mark_simulator_validity(conversation: Conversation) -> Conversation:
    """Flag the conversation ``simulator_invalid`` when a kept user turn failed the gate, and
    record the gate's regenerations (``simulator_regenerations``). Returns it."""
    invalid = regenerations = 0
    gated = False
    for i in _user_turns(conversation):
        meta = conversation.turns[i].metadata
        if "validity.invalid" in meta:
            gated = True
        invalid += bool(meta.get("validity.invalid"))
        value = meta.get("validity.regenerations")
        regenerations += value if isinstance(value, int) else 0
    if gated:
        conversation.metadata["simulator_invalid"] = invalid > 0
        conversation.metadata["simulator_regenerations"] = regenerations
    return conversation


def is_simulator_invalid(conversation: Conversation) -> bool:
    """Whether the conversation was flagged ``simulator_invalid``."""
    return conversation.metadata.get("simulator_invalid") is True


def simulator_validity(conversations: Iterable[Conversation]) -> dict[str, object]:
    """The simulator's own validity over conversations: how many were gated, how many are
    ``simulator_invalid``, user turns, invalid turns, regenerations and the reasons that still
    fail kept turns (detector → count). Rates are computed by the reporting layer."""
    n = gated = invalid = turns = bad_turns = regenerations = 0
    reasons: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    for c in conversations:
        n += 1
        if "simulator_invalid" not in c.metadata:
            continue
        gated += 1
        invalid += is_simulator_invalid(c)
        for i in _user_turns(c):
            meta = c.turns[i].metadata
            turns += 1
            bad_turns += bool(meta.get("validity.invalid"))
            value = meta.get("validity.regenerations")
            regenerations += value if isinstance(value, int) else 0
            for key, counter in (("validity.reasons", reasons), ("validity.rejected", rejected)):
                text = meta.get(key)
                if isinstance(text, str) and text:
                    counter.update(text.split(","))
    return {
        "conversations": n,
        "gated": gated,
        "invalid": invalid,
        "user_turns": turns,
        "invalid_turns": bad_turns,
        "regenerations": regenerations,
        "reasons": dict(reasons.most_common()),
        "rejected": dict(rejected.most_common()),
    }
