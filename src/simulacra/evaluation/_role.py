"""A lexical detector of simulated-user turns that break role.

Small models asked to play a user often answer *as the assistant* ("Sure! Here is...", "How can I
help you?"), leak their instructions ("The conversation has not started yet"), or write both sides
of the dialogue. It also flags a turn that mostly repeats
what the other side said (small models copy the bot's last message). This detector flags those
turns with transparent rules. It is a heuristic: it
measures the failure modes we have seen, not every possible one, and every flag names its rule so
results can be audited.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from simulacra.evaluation._stats import wilson

__all__ = ["ROLE_VIOLATIONS", "RoleAdherence", "role_adherence", "role_violation"]

# The measuring instrument, kept apart from the validity gate's detectors
# (participants/_validity.py ASSISTANT_PATTERNS): the gate regenerates what its own patterns flag,
# so a metric that reused them would report only what the gate already removed. The two lists
# overlap where both ought to catch the same slip; a phrase added to the gate is not added here
# unless it was found by reading transcripts, not by reading the gate.
_ASSISTANT_PATTERNS = [
    r"^\s*(sure|certainly|of course|absolutely|great question)\b[!,.]",
    r"\bhow (can|may) i (help|assist)",
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
]
_LEAK_PATTERNS = [
    r"\bthe conversation (has not started|so far)\b",
    r"\byour goal\b",
    r"\bnext message\b",
    r"\bmessage text only\b",
    r"\b(the|my|these) notes\b",
    r"###",
]
_DIALOGUE_PATTERN = r"(?m)^\s*(assistant|user|system)\s*:"

ROLE_VIOLATIONS = (
    "empty",
    "speaks_as_assistant",
    "instruction_leak",
    "writes_dialogue",
    "echoes_other",
)

_WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _echoes(text: str, other: str) -> bool:
    """Whether ``text`` mostly repeats ``other``: 85% of its words (at least four) occur in it, or
    its first five words are ``other``'s first five words. (An answer naturally reuses some words
    of the question: "Did you sign up for a trial?" / "I signed up for a free trial".)"""
    mine, theirs = _words(text), _words(other)
    if not mine or not theirs:
        return False
    if len(mine) >= 5 and mine[:5] == theirs[:5]:
        return True
    their_set = set(theirs)
    shared = sum(1 for w in mine if w in their_set)
    return len(mine) >= 4 and shared / len(mine) >= 0.85


def role_violation(utterance: str, *, others: Sequence[str] = ()) -> str | None:
    """The first role violation found in a simulated user's turn, or ``None``.

    Args:
        utterance: The simulated user's turn.
        others: The other participants' earlier turns; a turn that mostly repeats one of them is
            ``echoes_other`` (a small model copying the bot instead of answering it).

    Returns one of :data:`ROLE_VIOLATIONS`.
    """
    text = utterance.strip()
    if not text:
        return "empty"
    if any(_echoes(text, o) for o in others):
        return "echoes_other"
    lowered = text.lower()
    if re.search(_DIALOGUE_PATTERN, lowered):
        return "writes_dialogue"
    if any(re.search(p, lowered) for p in _LEAK_PATTERNS):
        return "instruction_leak"
    if any(re.search(p, lowered) for p in _ASSISTANT_PATTERNS):
        return "speaks_as_assistant"
    return None


@dataclass(frozen=True)
class RoleAdherence:
    """Share of simulated-user turns that stay in role, with a 95% Wilson interval."""

    turns: int
    adherent: int
    violations: dict[str, int]

    @property
    def rate(self) -> float:
        """Adherent turns ÷ turns."""
        return self.adherent / self.turns if self.turns else float("nan")

    def wilson_interval(self, z: float = 1.96) -> tuple[float, float]:
        """95% Wilson score interval of :attr:`rate`."""
        estimate = wilson(self.adherent, self.turns, z=z)
        return (estimate.low, estimate.high)


def role_adherence(
    utterances: Iterable[str | tuple[str, Sequence[str]]],
) -> RoleAdherence:
    """Score a set of simulated-user turns, each a string or ``(turn, other_turns_before_it)``."""
    counts = {v: 0 for v in ROLE_VIOLATIONS}
    turns = adherent = 0
    for item in utterances:
        u, others = (item, ()) if isinstance(item, str) else item
        turns += 1
        v = role_violation(u, others=others)
        if v is None:
            adherent += 1
        else:
            counts[v] += 1
    return RoleAdherence(turns=turns, adherent=adherent, violations=counts)
