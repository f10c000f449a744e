"""Role consistency of role-play characters (survey §3.3, B.3): does the character stay in role?

The lexical checker (:func:`check_consistency`, the cheap default) flags a character's turn when it

- ``fourth_wall``: says or hints that it is an AI, a language model, an assistant or a character,
  or sets itself apart from the character it plays ("As Ada Lovelace, I cannot...");
- ``anachronism``: mentions something the character cannot know — an ``unknown_topics`` entry or a
  common anachronism family invented after the boundary's ``cutoff`` (package data
  ``data/anachronisms.yaml``, each family with an earliest year) — that the other side did not
  bring up;
- ``year_after_cutoff``: names a year, decade or century after the cutoff that was not asked about;
- ``answered_probe``: the previous message asked about an unknown topic and the reply's first two
  sentences carry no decline or deflect marker ("I know nothing of...", "What is this...?",
  "let us speak of...");
- ``assistant_voice``: speaks like a chat assistant ("How can I help?", "I'm sorry, but I can't
  assist with that"), writes both sides of the dialogue, or leaks its instructions (rules shared
  with :func:`role_violation`).

Catchphrase use is measured per turn but is informational only: it never makes a turn out of
character. Every flag names its rule and the words that triggered it, so results can be audited.
The rules are transparent heuristics with known false positives (a 19th-century "computer" was a
person; list such words in ``known_topics``) and false negatives (an anachronism paraphrased in
words of the time, or a confident wrong answer): :func:`judge_consistency` is the model-based
alternative.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from simulacra.conversation import Conversation
from simulacra.evaluation._lexicon import AnachronismFamily, anachronism_families, lexicon
from simulacra.evaluation._role import role_violation
from simulacra.evaluation._stats import Estimate, wilson
from simulacra.profiles import RolePlay

__all__ = [
    "CONSISTENCY_RULES",
    "AnachronismFamily",
    "ConsistencyReport",
    "Flag",
    "TurnCheck",
    "anachronism_families",
    "check_consistency",
    "consistency_flags",
    "roleplay_speakers",
]

CONSISTENCY_RULES = (
    "fourth_wall",
    "anachronism",
    "year_after_cutoff",
    "answered_probe",
    "assistant_voice",
)
LEXICAL_CHECKER = "lexical/roleplay_consistency@1"

_FOURTH_WALL = [
    r"\bas an? (ai|a\.i\.|artificial intelligence|(large )?language model|llm|chatbot|bot|"
    r"(virtual |ai |digital )?assistant)\b",
    r"\bi('m| am) (just |only |merely |not |simply )?(an? )?(ai|a\.i\.|artificial intelligence|"
    r"(large )?language model|llm|chatbot|bot|computer program|(fictional )?character|"
    r"(virtual |ai |digital )?assistant)\b",
    r"\b(my|the) (training data|knowledge cutoff|training cutoff|programming)\b",
    r"\bi (was|have been|am) (trained|programmed|created by|developed by|made by)\b",
    r"\bas a (fictional )?character\b",
    r"\b(playing|role-?playing|portraying|pretending to be) (the role|a role|a character|"
    r"the character|a part)\b",
    r"\b(in|out of|break(ing)?) character\b",
    r"\brole-?play\b",
    r"\b(openai|anthropic|alibaba cloud|qwen|gpt-?\d)\b",
    r"\bi (do not|don't|cannot|can't) have (personal )?(opinions|feelings|emotions|a body|"
    r"real-time|access)\b",
]
_DECLINE = [
    r"\b(i|we) (do not|don't|dont|cannot|can't|could not|couldn't|can scarcely|am unable to) "
    r"(know|say|tell|understand|comprehend|fathom|imagine|follow|recall|recogni[sz]e|place|"
    r"speak|answer|claim|make)\b",
    r"\b(i|we) know (nothing|not|little|naught|of no)\b",
    r"\bnot knowledgeable\b",
    r"\bknow (nothing|naught|little) (of|about)\b",
    r"\b(never|not) (yet )?(heard|seen|encountered|come across|met with)\b",
    r"\bnot (familiar|acquainted)\b",
    r"\bunfamiliar\b",
    r"\bunknown to me\b",
    r"\bno (idea|notion|knowledge|acquaintance|inkling|understanding)\b",
    r"\bwhat (is|are|be|might be|manner of|sort of|kind of)\b[^.!?]{0,40}\?",
    r"\b(strange|curious|peculiar|odd|unfamiliar|unusual|foreign) (word|term|name|notion|thing|"
    r"contraption|device|idea|expression|phrase)\b",
    r"\b(beyond|outside) (my|our) (ken|knowledge|understanding|experience)\b",
    r"\b(puzzl|baffl|perplex|bewilder|mystif)\w*",
    r"\bwhat do you mean\b",
    r"\bpray,? (tell|explain)\b",
    r"\bi('m| am) not (sure|certain) what\b",
    r"\b(let us|let's|let me|shall we|i would rather|i'd rather|i prefer to) (rather |instead )?"
    r"(speak|talk|turn|return|discuss)\b",
]
_ASSISTANT_VOICE = [
    r"\bhow (can|may) i (help|assist)",
    r"\bi('d| would| will|'ll) be (happy|glad|delighted) to (help|assist)",
    r"\bis there anything else\b",
    r"\bfeel free to\b",
    r"\blet me know if you (need|have)\b",
    r"\bi can help you\b",
    r"\bi('m| am) sorry, but i (can't|cannot|can not|am unable to) (assist|help|engage|provide|"
    r"discuss|answer)",
    r"\bi (can't|cannot) (assist|help) with that\b",
    r"\b(please )?(don't|do not) hesitate to ask\b",
    r"```",
]
# A year needs a cue ("in 1903", "the 1990s"): a bare "2000 cards" is a number.
_YEAR = re.compile(
    r"(?:\b(?:in|by|since|until|till|from|after|before|around|circa|during|year|it is|it's|"
    r"now)\s+"
    r"(1[0-9]{3}|20[0-9]{2})\b(?!')|\b(1[0-9]{3}|20[0-9]{2})('?s)\b)",
    re.IGNORECASE,
)
_CENTURY = re.compile(
    r"\b(\d{1,2})(st|nd|rd|th)[\s-]+century\b|\b(twentieth|twenty[\s-]first|nineteenth|"
    r"eighteenth)[\s-]+century\b",
    re.IGNORECASE,
)
_CENTURY_WORDS = {"eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty-first": 21}


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_FOURTH_WALL_RE = _compile(_FOURTH_WALL)
_DECLINE_RE = _compile(_DECLINE)
_ASSISTANT_RE = _compile(_ASSISTANT_VOICE)


@dataclass(frozen=True)
class Flag:
    """Why a turn is out of character.

    Attributes:
        rule: One of :data:`CONSISTENCY_RULES`, or ``judge`` for a judge's verdict.
        reason: What triggered it (the matched words, or the judge's explanation).
    """

    rule: str
    reason: str


@dataclass(frozen=True)
class TurnCheck:
    """The verdict on one turn of a role-play character.

    Attributes:
        conversation_id: The conversation.
        turn_index: Index of the turn in the conversation.
        speaker: The character's participant id.
        utterance: What it said.
        flags: Why it is out of character (empty: in character).
        catchphrases: The card's catchphrases it used (informational).
        error: Why the turn could not be scored (a judge's unparseable answer), if so.
    """

    conversation_id: str
    turn_index: int
    speaker: str
    utterance: str
    flags: tuple[Flag, ...] = ()
    catchphrases: tuple[str, ...] = ()
    error: str | None = None

    @property
    def scored(self) -> bool:
        """Whether the turn has a verdict."""
        return self.error is None

    @property
    def in_character(self) -> bool:
        """Scored and not flagged."""
        return self.error is None and not self.flags


@dataclass(frozen=True)
class ConsistencyReport:
    """Per-turn verdicts and the share of in-character turns.

    Attributes:
        checker: Which checker and version produced it (e.g. ``lexical/roleplay_consistency@1``).
        turns: One :class:`TurnCheck` per checked turn.
    """

    checker: str
    turns: tuple[TurnCheck, ...] = field(default_factory=tuple)

    @property
    def n(self) -> int:
        """Scored turns."""
        return sum(1 for t in self.turns if t.scored)

    @property
    def in_character(self) -> int:
        """Scored turns without a flag."""
        return sum(1 for t in self.turns if t.in_character)

    @property
    def unscored(self) -> int:
        """Turns without a verdict (judge failures); not part of :attr:`share`."""
        return len(self.turns) - self.n

    @property
    def share(self) -> Estimate:
        """In-character turns ÷ scored turns, with a 95% Wilson interval."""
        return wilson(self.in_character, self.n)

    def by_rule(self) -> dict[str, int]:
        """How many turns each rule flagged (a turn may be flagged by several)."""
        counts: Counter[str] = Counter()
        for t in self.turns:
            counts.update({f.rule for f in t.flags})
        return dict(counts)

    def catchphrase_share(self) -> float:
        """Share of scored turns using at least one catchphrase (informational)."""
        n = self.n
        used = sum(1 for t in self.turns if t.scored and t.catchphrases)
        return used / n if n else float("nan")

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready summary with every turn."""
        share = self.share
        return {
            "checker": self.checker,
            "n": self.n,
            "in_character": self.in_character,
            "share": None if self.n == 0 else round(share.value, 4),
            "ci95": None if self.n == 0 else [round(share.low, 4), round(share.high, 4)],
            "unscored": self.unscored,
            "by_rule": self.by_rule(),
            "catchphrase_share": None if self.n == 0 else round(self.catchphrase_share(), 4),
            "turns": [
                {
                    "conversation_id": t.conversation_id,
                    "turn_index": t.turn_index,
                    "speaker": t.speaker,
                    "utterance": t.utterance,
                    "in_character": t.in_character if t.scored else None,
                    "flags": [{"rule": f.rule, "reason": f.reason} for f in t.flags],
                    "catchphrases": list(t.catchphrases),
                    **({"error": t.error} if t.error else {}),
                }
                for t in self.turns
            ],
        }


def _found(pattern: re.Pattern[str], text: str) -> list[str]:
    return sorted({m.group(0).lower() for m in pattern.finditer(text)})


def _opening(text: str, sentences: int = 2) -> str:
    """The first sentences of a reply: a decline comes first ("I know nothing of it"); a
    trailing "I'm not sure what will happen next" after an explanation is no decline."""
    parts = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=sentences)
    return " ".join(parts[:sentences])


def _late_years(text: str, cutoff: int) -> list[str]:
    late = []
    for m in _YEAR.finditer(text):
        decade = m.group(2) is not None
        year = int(m.group(2) or m.group(1))
        if (year > cutoff and not decade) or (decade and year > cutoff - cutoff % 10):
            late.append(f"{year}s" if decade else str(year))
    for m in _CENTURY.finditer(text):
        number = (
            int(m.group(1))
            if m.group(1)
            else _CENTURY_WORDS[re.sub(r"[\s-]+", "-", m.group(3).lower())]
        )
        if (number - 1) * 100 + 1 > cutoff:
            late.append(m.group(0))
    return late


def consistency_flags(
    utterance: str, profile: RolePlay, *, previous: str | None = None
) -> list[Flag]:
    """The lexical rules that flag one turn of a role-play character.

    Args:
        utterance: The character's turn.
        profile: The character (its boundary and card drive the rules).
        previous: The other side's message just before it (to tell an answered probe from a
            declined one, and an echoed word from a new one).

    Returns:
        The flags, one per rule that fired (empty: in character).
    """
    lex = lexicon(profile)
    text = utterance.strip()
    before = previous or ""
    flags: list[Flag] = []
    wall = _found(_FOURTH_WALL_RE, text) + _found(lex.self_reference, text)
    if wall:
        flags.append(Flag("fourth_wall", f"mentions {', '.join(wall)}"))
    probed = [t for t in lex.topics if t.pattern.search(before)]
    probed_names = {t.name for t in probed}
    for topic in lex.topics:
        words = _found(topic.pattern, text)
        if words and topic.name not in probed_names:
            flags.append(Flag("anachronism", f"{', '.join(words)}: {topic.why}"))
    if lex.cutoff is not None:
        asked = set(_late_years(before, lex.cutoff))
        late = [y for y in _late_years(text, lex.cutoff) if y not in asked]
        if late:
            flags.append(Flag("year_after_cutoff", f"{', '.join(late)} is after {lex.cutoff}"))
    if probed and text and not _DECLINE_RE.search(_opening(text)):
        names = ", ".join(t.name for t in probed)
        flags.append(Flag("answered_probe", f"asked about {names}; no decline or deflection"))
    violation = role_violation(text)
    assistant = _found(_ASSISTANT_RE, text)
    if violation in ("empty", "writes_dialogue", "instruction_leak"):
        flags.append(Flag("assistant_voice", violation))
    elif assistant:
        flags.append(Flag("assistant_voice", f"sounds like an assistant: {', '.join(assistant)}"))
    return flags


def used_catchphrases(utterance: str, profile: RolePlay) -> tuple[str, ...]:
    """The card's catchphrases found in a turn."""
    return tuple(c for c, pattern in lexicon(profile).catchphrases if pattern.search(utterance))


def roleplay_speakers(conversation: Conversation) -> dict[str, RolePlay]:
    """The participants of a conversation that play a role-play character, by id (a hybrid
    profile counts when one of its parts is a role-play character)."""
    found: dict[str, RolePlay] = {}
    for p in conversation.participants:
        if isinstance(p.profile, RolePlay):
            found[p.id] = p.profile
            continue
        for part in getattr(p.profile, "parts", None) or ():
            if isinstance(part, RolePlay):
                found[p.id] = part
    return found


def character_turns(
    conversations: Conversation | Iterable[Conversation],
    *,
    profile: RolePlay | None = None,
    speaker: str | None = None,
) -> Iterator[tuple[Conversation, int, RolePlay, str | None]]:
    """Every turn of a role-play character: ``(conversation, turn index, profile, previous
    message)``.

    Args:
        conversations: One conversation or many.
        profile: The character (default: each participant's own role-play profile).
        speaker: The character's participant id (default: every role-play participant, or with
            ``profile`` given and no role-play participant, the participants that are not first
            to speak).

    Raises:
        ValueError: If ``speaker`` is given but has no role-play profile and no ``profile``.
    """
    items = [conversations] if isinstance(conversations, Conversation) else conversations
    for conversation in items:
        cast = roleplay_speakers(conversation)
        if speaker is not None:
            chosen = {speaker: profile or cast.get(speaker)}
        elif cast:
            chosen = {pid: profile or p for pid, p in cast.items()}
        elif profile is not None:
            first = conversation.turns[0].speaker if conversation.turns else None
            chosen = {p.id: profile for p in conversation.participants if p.id != first}
        else:
            continue
        for index, turn in enumerate(conversation.turns):
            if turn.speaker not in chosen:
                continue
            character = chosen[turn.speaker]
            if character is None:
                raise ValueError(f"participant {turn.speaker!r} has no role-play profile")
            previous = next(
                (
                    t.utterance
                    for t in reversed(conversation.turns[:index])
                    if t.speaker != turn.speaker
                ),
                None,
            )
            yield conversation, index, character, previous


def check_consistency(
    conversations: Conversation | Iterable[Conversation],
    *,
    profile: RolePlay | None = None,
    speaker: str | None = None,
) -> ConsistencyReport:
    """Check every turn of the role-play characters in one or more conversations (lexical rules).

    Args:
        conversations: One conversation or many (e.g. ``read_conversations(run_dir)``).
        profile: The character (default: each participant's own role-play profile).
        speaker: Only this participant's turns.

    Returns:
        Per-turn flags and the in-character share with a Wilson 95% interval.
    """
    checks = [
        TurnCheck(
            conversation_id=conversation.id,
            turn_index=index,
            speaker=conversation.turns[index].speaker,
            utterance=conversation.turns[index].utterance,
            flags=tuple(
                consistency_flags(conversation.turns[index].utterance, character, previous=previous)
            ),
            catchphrases=used_catchphrases(conversation.turns[index].utterance, character),
        )
        for conversation, index, character, previous in character_turns(
            conversations, profile=profile, speaker=speaker
        )
    ]
    return ConsistencyReport(checker=LEXICAL_CHECKER, turns=tuple(checks))
