"""The behavioural fingerprint of users: how they behave, not which words they use, computed by
one function on real and simulated dialogues alike (the markers of
:mod:`simulacra.profiles._markers`).

Features, each compared real against simulated with a divergence and a bootstrap interval that
resamples whole dialogues (the machinery of the fidelity report's distributional view):

- ``very_short_turns``: user turns of at most 3 words (share; Jensen-Shannon divergence);
- ``politeness``: user turns with a politeness marker (please, thanks, sorry...);
- ``questions``: user turns that ask the other side something;
- ``clarification_requests``: user turns asking the other side to clarify or repeat;
- ``trouble_reactions``: the user's next move after the other side reports an error, a failure
  or a refusal (ended, negative, clarify, retry, question, accept, other);
- ``disclosure_first_turn``: per dialogue with a structured goal, the share of the goal items
  the user said that were said in its first turn (Kolmogorov-Smirnov);
- ``disclosure_order``: each said goal item as ``slot@early|middle|late`` — which third of the
  user's turns first said it;
- ``ended_by``: who spoke last (user or system).

Binary features are compared as the Jensen-Shannon divergence (base 2) of the two sides' yes/no
shares of turns, which is 0 when the shares agree; the shares themselves are in ``real`` and
``simulated`` (key ``"1"``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from simulacra.evaluation._fidelity_measures import Comparison, Values, _compare, _draws
from simulacra.profiles import _markers as m
from simulacra.profiles._mine import UserDialogue, user_dialogue

if TYPE_CHECKING:
    from simulacra.datasets._multiwoz import MultiWOZDialogue

__all__ = ["FEATURES", "FingerprintDialogue", "fingerprint", "from_conversation", "from_corpus"]


FingerprintDialogue = UserDialogue
"""A dialogue reduced to what the fingerprint reads: the dialogue profile mining reads
(:class:`simulacra.profiles._mine.UserDialogue`), so both measure one thing. Its constructors
keep texts as typed (:func:`~simulacra.profiles._markers.surface_text`: a corpus tokeniser's
spacing undone on both sides), so "I 'm" in MultiWOZ counts as the one word people typed and the
pairwise judge never sees spacing no person types."""

from_conversation = user_dialogue
"""A conversation, ``user_id`` being the user and everyone else the system."""


def from_corpus(d: MultiWOZDialogue) -> FingerprintDialogue:
    """A real MultiWOZ dialogue (read with turns), with its goal's items."""
    return FingerprintDialogue(
        id=d.id,
        turns=tuple(
            ("user" if t.speaker == "user" else "system", m.surface_text(t.text)) for t in d.turns
        ),
        goal_items=tuple(m.goal_items(d.goal)),
    )


def _flags(test: Callable[[str], bool]) -> Callable[[FingerprintDialogue], list[str]]:
    def per_turn(d: FingerprintDialogue) -> list[str]:
        return ["1" if test(t) else "0" for t in d.user_turns]

    return per_turn


def _reactions(d: FingerprintDialogue) -> list[str]:
    out = []
    for i, (role, text) in enumerate(d.turns):
        if role != "system" or not m.is_system_trouble(text):
            continue
        nxt = next((t for r, t in d.turns[i + 1 :] if r == "user"), None)
        out.append(m.reaction(nxt))
    return out


def _said(d: FingerprintDialogue) -> list[tuple[str, int]]:
    return m.first_mentions(d.user_turns, d.goal_items) if d.goal_items else []


def _first_turn(d: FingerprintDialogue) -> list[float]:
    said = _said(d)
    return [sum(1 for _, i in said if i == 0) / len(said)] if said else []


def _order(d: FingerprintDialogue) -> list[str]:
    n = len(d.user_turns)
    out = []
    for slot, i in _said(d):
        third = 0 if n <= 1 else min(2, (3 * i) // n)
        out.append(f"{slot}@{('early', 'middle', 'late')[third]}")
    return out


def _ender(d: FingerprintDialogue) -> list[str]:
    return [d.turns[-1][0]] if d.turns else []


FEATURES: dict[str, tuple[str, Callable[[FingerprintDialogue], Sequence[Any]]]] = {
    "very_short_turns": ("js", _flags(m.is_short)),
    "politeness": ("js", _flags(m.is_polite)),
    "questions": ("js", _flags(m.is_question)),
    "clarification_requests": ("js", _flags(m.is_clarification)),
    "trouble_reactions": ("js", _reactions),
    "disclosure_first_turn": ("ks", _first_turn),
    "disclosure_order": ("js", _order),
    "ended_by": ("js", _ender),
}
"""Feature name -> (statistic, the values of one dialogue)."""


def feature_values(
    dialogues: Sequence[FingerprintDialogue],
) -> dict[str, list[list[Any]]]:
    """Each feature's values, one list per dialogue."""
    return {name: [list(fn(d)) for d in dialogues] for name, (_, fn) in FEATURES.items()}


def fingerprint(
    real: Sequence[FingerprintDialogue],
    simulated: Sequence[FingerprintDialogue],
    *,
    seed: int = 0,
    resamples: int = 500,
) -> tuple[dict[str, Comparison], dict[str, str]]:
    """Every feature, real against simulated, with a dialogue-bootstrap interval.

    Returns:
        The features compared, and those skipped with why (no values on one side: no structured
        goals, no errors or refusals from the system).
    """
    draws = _draws(len(real), len(simulated), seed=seed, resamples=resamples)
    rv, sv = feature_values(real), feature_values(simulated)
    out: dict[str, Comparison] = {}
    skipped: dict[str, str] = {}
    for name, (statistic, _) in FEATURES.items():
        r: Values = rv[name]
        s: Values = sv[name]
        if not any(r) or not any(s):
            side = "real" if not any(r) else "simulated"
            skipped[name] = f"no values on the {side} side"
            continue
        out[name] = _compare(name, statistic, r, s, draws)
    return out, skipped


def shares(values: Mapping[str, float]) -> str:
    """A side's summary for the table: the yes share of a binary feature, the mean of a number,
    else the commonest category with its share."""
    if "1" in values or "0" in values:
        return f"{values.get('1', 0.0):.3f}"
    if "mean" in values:
        return f"{values['mean']:.3f}"
    top = next(((k, v) for k, v in values.items() if k != "n"), None)
    return "—" if top is None else f"{top[0]} {top[1]:.2f}"
