"""Correlation with bootstrap intervals (Pearson, Spearman), seeded and dependency-free."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence

from simulacra.evaluation._stats import Estimate, _percentiles

__all__ = ["bootstrap_correlation", "pearson", "ranks", "spearman"]


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r, or ``None`` when it is undefined (fewer than 2 pairs, or a constant side)."""
    n = len(x)
    if n != len(y):
        raise ValueError("x and y differ in length")
    if n < 2:
        return None
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def ranks(values: Sequence[float]) -> list[float]:
    """Ranks from 1, ties given their average rank."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    out = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            out[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return out


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's ρ (Pearson's r of the ranks, ties averaged), or ``None`` when undefined."""
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    return pearson(ranks(x), ranks(y))


def bootstrap_correlation(
    x: Sequence[float],
    y: Sequence[float],
    *,
    method: str = "pearson",
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Estimate | None:
    """A correlation with a percentile-bootstrap interval over resampled pairs.

    Resamples where the correlation is undefined (a constant side) are skipped. Returns ``None``
    when the correlation of the data itself is undefined.

    Args:
        x: First variable.
        y: Second variable, paired with ``x``.
        method: ``"pearson"`` or ``"spearman"``.
        level: Confidence level.
        resamples: Bootstrap resamples.
        seed: Seed of the resampling.
    """
    fn: Callable[[Sequence[float], Sequence[float]], float | None]
    if method == "pearson":
        fn = pearson
    elif method == "spearman":
        fn = spearman
    else:
        raise ValueError(f"method must be 'pearson' or 'spearman', got {method!r}")
    point = fn(x, y)
    if point is None:
        return None
    rng = random.Random(seed)
    n = len(x)
    samples: list[float] = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        r = fn([x[i] for i in idx], [y[i] for i in idx])
        if r is not None:
            samples.append(r)
    if not samples:
        return Estimate(point, point, point, level, n)
    low, high = _percentiles(samples, level)
    return Estimate(point, low, high, level, n)
