"""Meta-evaluation: how well a judge's scores agree with human ratings (survey §6.2, E.3).

Spearman's ρ, Kendall's τ-b and Pearson's r (one implementation for the whole package:
:mod:`simulacra.evaluation._correlation`), each with a percentile-bootstrap
interval over resampled items and its n, at the items' own level (turn or dialogue), at dialogue
level for turn items that name their dialogue (means per dialogue on both sides), and at system
level for items that name their system (means per system). A bootstrap interval over fewer than
:data:`MIN_INTERVAL_N` units (8; typically systems) is not meaningful — resampling three systems
gives ``1.000 [1.000, 1.000]`` — so the report flags it (``interval_meaningful: false``).
Items the judge could not score (``None``) are left out and counted.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from simulacra.evaluation._correlation import CORRELATIONS, bootstrap_correlation
from simulacra.evaluation._ratings import RatedItem
from simulacra.evaluation._stats import Estimate

__all__ = ["CORRELATIONS", "MIN_INTERVAL_N", "MetaReport", "correlate", "meta_evaluate"]

#: Fewest units (items, dialogues or systems) for which a bootstrap interval is reported as
#: meaningful.
MIN_INTERVAL_N = 8


def correlate(
    x: Sequence[float],
    y: Sequence[float],
    *,
    method: str = "spearman",
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Estimate | None:
    """A correlation with a percentile-bootstrap interval, or ``None`` when undefined (fewer
    than 3 items or a constant side): :func:`~simulacra.evaluation._correlation.
    bootstrap_correlation` with the meta-evaluation defaults.

    Args:
        x: Judge scores.
        y: Human ratings, paired with ``x``.
        method: ``spearman``, ``kendall`` or ``pearson``.
        resamples: Bootstrap resamples (resamples with a constant side are skipped).
        level: Confidence level.
        seed: Seed of the resampling.
    """
    return bootstrap_correlation(
        x, y, method=method, resamples=resamples, level=level, seed=seed, min_n=3
    )


@dataclass(frozen=True)
class MetaReport:
    """Correlations of a judge with human ratings.

    Attributes:
        judge: The judge's id.
        rubric: Its rubric ref, if any.
        dataset: What the ratings are.
        n_items: Items given.
        n_unscored: Items the judge could not score (left out).
        levels: Level → method → estimate (``None`` if undefined).
    """

    judge: str
    rubric: str | None
    dataset: str
    n_items: int
    n_unscored: int
    levels: dict[str, dict[str, Estimate | None]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "judge": self.judge,
            "rubric": self.rubric,
            "dataset": self.dataset,
            "n_items": self.n_items,
            "n_unscored": self.n_unscored,
            "levels": {
                lv: {
                    m: None
                    if e is None
                    else {
                        "value": e.value,
                        "low": e.low,
                        "high": e.high,
                        "level": e.level,
                        "n": e.n,
                        "interval_meaningful": e.n >= MIN_INTERVAL_N,
                    }
                    for m, e in ms.items()
                }
                for lv, ms in self.levels.items()
            },
        }


def _grouped(pairs: list[tuple[str, float, float]]) -> tuple[list[float], list[float]]:
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for key, s, h in pairs:
        groups[key].append((s, h))
    xs = [statistics.fmean(s for s, _ in g) for g in groups.values()]
    ys = [statistics.fmean(h for _, h in g) for g in groups.values()]
    return xs, ys


def meta_evaluate(
    rated: Sequence[RatedItem],
    scores: Sequence[float | None],
    *,
    judge: str,
    rubric: str | None = None,
    dataset: str = "",
    methods: Sequence[str] = CORRELATIONS,
    resamples: int = 1000,
    seed: int = 0,
) -> MetaReport:
    """Correlate judge scores with human ratings at every level the data supports.

    Args:
        rated: The rated items.
        scores: The judge's score of each item (``None``: not scored).
        judge: The judge's id.
        rubric: The rubric ref.
        dataset: A name for the ratings.
        methods: Correlations to compute.
        resamples: Bootstrap resamples.
        seed: Bootstrap seed.
    """
    if len(rated) != len(scores):
        raise ValueError("one score per rated item is needed")
    kept = [(r, s) for r, s in zip(rated, scores, strict=True) if s is not None]
    report = MetaReport(judge, rubric, dataset, len(rated), len(rated) - len(kept))
    by_level: dict[str, tuple[list[float], list[float]]] = {}
    for level in ("turn", "dialogue"):
        own = [(r, s) for r, s in kept if r.level == level]
        if own:
            by_level[level] = ([s for _, s in own], [r.human for r, _ in own])
    turn_dialogue = [
        (r.item.conversation_id, s, r.human)
        for r, s in kept
        if r.level == "turn" and r.item.conversation_id is not None
    ]
    if turn_dialogue and "dialogue" not in by_level:
        by_level["dialogue (mean of turns)"] = _grouped(turn_dialogue)
    systems = [(r.system, s, r.human) for r, s in kept if r.system is not None]
    if systems:
        by_level["system"] = _grouped(systems)
    for level, (xs, ys) in by_level.items():
        report.levels[level] = {
            m: correlate(xs, ys, method=m, resamples=resamples, seed=seed) for m in methods
        }
    return report
