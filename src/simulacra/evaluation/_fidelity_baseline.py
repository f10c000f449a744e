"""Fidelity's real-against-real baseline: two disjoint samples of real dialogues measured
exactly like simulated against real, so a report shows what "indistinguishable" looks like at
its own sample size. Split from :mod:`simulacra.evaluation._fidelity`."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulacra.errors import MissingExtraError
from simulacra.evaluation._fidelity_classifier import (
    MIN_TURNS,
    Distinguishability,
    _distinguishability,
    _TextFeatures,
)
from simulacra.evaluation._fidelity_measures import (
    Comparison,
    _comparisons,
    _Dialogue,
    _from_corpus,
)

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets._multiwoz import MultiWOZDialogue

__all__ = ["RealBaseline"]


def _require() -> None:
    """Refuse a fidelity report without the ``eval`` extra (scipy, scikit-learn)."""
    try:
        import scipy  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
        import sklearn  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        raise MissingExtraError("eval", "the fidelity report") from None


@dataclass(frozen=True)
class RealBaseline:
    """Real against real: what "indistinguishable" looks like at the same sample size.

    Two disjoint random samples of real dialogues, as many each as the smaller side of the
    report's comparison (from the same domain combinations when the run is paired by goal),
    measured exactly like simulated against real. Divergences are biased upwards on finite
    samples, so a simulator is as close as the data can tell when its statistics fall within
    these values' intervals.

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


def _halves(
    reference: Sequence[MultiWOZDialogue | Conversation],
    compared: Sequence[MultiWOZDialogue | Conversation],
    paired: bool,
    n_simulated: int,
    *,
    seed: int,
) -> tuple[list[_Dialogue], list[_Dialogue]]:
    """Two disjoint random samples of real dialogues, as many each as the smaller side of the
    comparison (``compared`` real dialogues, ``n_simulated`` simulated ones; halves of the pool
    when it is smaller). When paired by goal, the pool keeps the domain combinations of the
    compared goals (hotel-only goals against hotel-only goals)."""
    pool = list(reference)
    if paired:
        wanted = {_domains(d) for d in compared}
        pool = [d for d in pool if _domains(d) in wanted]
    random.Random(seed + 1).shuffle(pool)
    per_half = min(len(compared), n_simulated, len(pool) // 2)
    a = [_from_corpus(d) for d in pool[:per_half]]
    b = [_from_corpus(d) for d in pool[per_half : 2 * per_half]]
    return a, b


def _turns(dialogues: list[_Dialogue]) -> list[tuple[str, str]]:
    return [(d.id, t) for d in dialogues for t in d.user_turns]


def _baseline(
    halves: tuple[list[_Dialogue], list[_Dialogue]],
    *,
    seed: int,
    resamples: int,
    features: _TextFeatures | None = None,
) -> RealBaseline | None:
    """The two samples of :func:`_halves` compared like simulated against real (``None`` when
    they are too small); ``features`` may hold their turns' n-gram counts already."""
    a, b = halves
    turns_a, turns_b = _turns(a), _turns(b)
    if len(a) < 2 or min(len(turns_a), len(turns_b)) < MIN_TURNS:
        return None
    comparisons, skipped = _comparisons(a, b, seed=seed, resamples=resamples)
    return RealBaseline(
        per_half=len(a),
        comparisons=comparisons,
        distinguishability=_distinguishability(turns_a, turns_b, seed=seed, features=features),
        skipped=skipped,
    )
