"""Fidelity's real-against-real baseline: two disjoint samples of real dialogues measured
exactly like simulated against real, so a report shows what "indistinguishable" looks like at
its own sample size. Split from :mod:`simulacra.evaluation._fidelity`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulacra.evaluation._fidelity_classifier import (
    MIN_TURNS,
    Distinguishability,
    _distinguishability,
)
from simulacra.evaluation._fidelity_measures import Comparison, _comparisons, _from_corpus

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets._multiwoz import MultiWOZDialogue

__all__ = ["RealBaseline"]


@dataclass(frozen=True)
class RealBaseline:
    """Real against real: what "indistinguishable" looks like at the same sample size.

    Two disjoint random samples of real dialogues, as many each as the report compares (from
    the same domain combinations when the run is paired by goal), measured exactly like
    simulated against real. Divergences are biased upwards on finite samples, so a simulator
    is as close as the data can tell when its statistics fall within these values' intervals.

    Attributes:
        per_half: Real dialogues in each sample.
        comparisons: One entry per quantity (``real`` = first sample, ``simulated`` = second).
        distinguishability: The classifier test between the two samples (about 0.5).
        skipped: Quantities not compared, with why.
    """

    per_half: int
    comparisons: dict[str, Comparison]
    distinguishability: Distinguishability
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "per_half": self.per_half,
            "comparisons": {k: c.to_dict() for k, c in self.comparisons.items()},
            "distinguishability": self.distinguishability.to_dict(),
            "skipped": self.skipped,
        }


def _domains(d: MultiWOZDialogue | Conversation) -> frozenset[str]:
    goal = getattr(d, "goal", None)  # only MultiWOZ dialogues are paired by goal
    return frozenset(g.domain for g in goal.domains) if goal is not None else frozenset()


def _baseline(
    reference: Sequence[MultiWOZDialogue | Conversation],
    compared: Sequence[MultiWOZDialogue | Conversation],
    paired: bool,
    *,
    seed: int,
    resamples: int,
) -> RealBaseline | None:
    """Two disjoint random samples of as many real dialogues as ``compared`` (halves of the
    pool when it is smaller), compared like simulated against real. When paired by goal, the
    pool keeps the domain combinations of the compared goals (hotel-only goals against
    hotel-only goals)."""
    pool = list(reference)
    if paired:
        wanted = {_domains(d) for d in compared}
        pool = [d for d in pool if _domains(d) in wanted]
    random.Random(seed + 1).shuffle(pool)
    per_half = min(len(compared), len(pool) // 2)
    a = [_from_corpus(d) for d in pool[:per_half]]
    b = [_from_corpus(d) for d in pool[per_half : 2 * per_half]]
    turns_a = [(d.id, t) for d in a for t in d.user_turns]
    turns_b = [(d.id, t) for d in b for t in d.user_turns]
    if per_half < 2 or min(len(turns_a), len(turns_b)) < MIN_TURNS:
        return None
    comparisons, skipped = _comparisons(a, b, seed=seed, resamples=resamples)
    return RealBaseline(
        per_half=per_half,
        comparisons=comparisons,
        distinguishability=_distinguishability(turns_a, turns_b, seed=seed),
        skipped=skipped,
    )
