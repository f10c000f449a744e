"""Length bias of a judge: does it score long responses up (or down) more than people do?

For items with a judge score, a human score and a length (words of the response; of the whole
dialogue at dialogue level): Spearman's ρ of the judge with length, of the humans with length,
and the **partial** Spearman of judge and human with length held fixed,

    ρ_jh·ℓ = (ρ_jh − ρ_jℓ ρ_hℓ) / √((1 − ρ_jℓ²)(1 − ρ_hℓ²)),

each with a percentile-bootstrap interval over resampled items. A judge whose length correlation
is further from zero than the humans' over-uses length; a partial ρ well under the plain one
means that much of its agreement is length. :func:`debias_length` removes the length trend from
a judge's scores: the residual of the score's rank regressed on the length's rank (ordinary
least squares), so that the debiased scores have zero Spearman-style linear rank correlation with
length.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from simulacra.evaluation._correlation import bootstrap_correlation, ranks, spearman
from simulacra.evaluation._judge import JudgeItem, _last_text
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles

__all__ = ["LengthBias", "debias_length", "item_length", "length_bias", "partial_spearman"]


def item_length(item: JudgeItem) -> int:
    """Words of the response, or of every turn of a dialogue-level item."""
    if item.response is not None:
        return len(item.response.split())
    return sum(len(_last_text([line]).split()) for line in item.context)


def partial_spearman(x: Sequence[float], y: Sequence[float], z: Sequence[float]) -> float | None:
    """Spearman's ρ of ``x`` and ``y`` with ``z`` held fixed, or ``None`` when undefined (a
    constant variable, or ``|ρ_xz|`` or ``|ρ_yz|`` of 1)."""
    rxy, rxz, ryz = spearman(x, y), spearman(x, z), spearman(y, z)
    if rxy is None or rxz is None or ryz is None:
        return None
    denom = (1 - rxz * rxz) * (1 - ryz * ryz)
    if denom <= 1e-12:
        return None
    return max(-1.0, min(1.0, (rxy - rxz * ryz) / math.sqrt(denom)))


@dataclass(frozen=True)
class LengthBias:
    """Length correlations of a judge and of the humans, and their partial agreement.

    Attributes:
        n: Items with a judge score.
        judge_length: Spearman of judge score and length.
        human_length: Spearman of human score and length.
        judge_human: Spearman of judge and human (for comparison with the partial one).
        partial: Partial Spearman of judge and human, length held fixed.
    """

    n: int
    judge_length: Estimate | None
    human_length: Estimate | None
    judge_human: Estimate | None
    partial: Estimate | None

    @property
    def over_uses_length(self) -> bool | None:
        """The judge's length correlation is further from zero than the humans'."""
        if self.judge_length is None or self.human_length is None:
            return None
        return abs(self.judge_length.value) > abs(self.human_length.value)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready."""

        def d(e: Estimate | None) -> dict[str, float] | None:
            return None if e is None else _estimate_dict(e)

        return {
            "n": self.n,
            "judge_length_spearman": d(self.judge_length),
            "human_length_spearman": d(self.human_length),
            "judge_human_spearman": d(self.judge_human),
            "partial_spearman_given_length": d(self.partial),
            "judge_over_uses_length": self.over_uses_length,
        }


def _bootstrap_partial(
    x: list[float], y: list[float], z: list[float], *, resamples: int, seed: int
) -> Estimate | None:
    point = partial_spearman(x, y, z)
    if point is None:
        return None
    rng = random.Random(seed)
    n = len(x)
    samples = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        r = partial_spearman([x[i] for i in idx], [y[i] for i in idx], [z[i] for i in idx])
        if r is not None:
            samples.append(r)
    if not samples:
        return Estimate(point, point, point, 0.95, n)
    low, high = _percentiles(samples, 0.95)
    return Estimate(point, low, high, 0.95, n)


def length_bias(
    scores: Sequence[float | None],
    humans: Sequence[float],
    lengths: Sequence[float],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> LengthBias:
    """Length correlations and the partial judge–human Spearman (items without a judge score
    are left out)."""
    kept = [(s, h, ln) for s, h, ln in zip(scores, humans, lengths, strict=True) if s is not None]
    xs = [float(s) for s, _, _ in kept]
    ys = [float(h) for _, h, _ in kept]
    zs = [float(ln) for _, _, ln in kept]

    def corr(a: list[float], b: list[float]) -> Estimate | None:
        return bootstrap_correlation(
            a, b, method="spearman", resamples=resamples, seed=seed, min_n=3
        )

    return LengthBias(
        n=len(kept),
        judge_length=corr(xs, zs),
        human_length=corr(ys, zs),
        judge_human=corr(xs, ys),
        partial=_bootstrap_partial(xs, ys, zs, resamples=resamples, seed=seed)
        if len(kept) >= 4
        else None,
    )


def debias_length(scores: Sequence[float | None], lengths: Sequence[float]) -> list[float | None]:
    """Scores with the length trend removed: residuals of rank(score) on rank(length).

    Items without a score stay ``None``; with fewer than 3 scores (or a constant length) the
    ranks of the scores are returned unchanged.
    """
    idx = [i for i, s in enumerate(scores) if s is not None]
    out: list[float | None] = [None] * len(scores)
    rs = ranks([float(scores[i]) for i in idx])  # type: ignore[arg-type]
    rl = ranks([float(lengths[i]) for i in idx])
    n = len(idx)
    if n < 3:
        for i, r in zip(idx, rs, strict=True):
            out[i] = r
        return out
    ms, ml = sum(rs) / n, sum(rl) / n
    sll = sum((v - ml) ** 2 for v in rl)
    slope = sum((a - ms) * (b - ml) for a, b in zip(rs, rl, strict=True)) / sll if sll else 0.0
    for i, a, b in zip(idx, rs, rl, strict=True):
        out[i] = a - ms - slope * (b - ml)
    return out
