"""Correlation with bootstrap intervals: the one implementation behind
:func:`~simulacra.evaluation.correlate` (meta-evaluation) and the psychometric trait agreement.

Pearson and Spearman are computed here without dependencies (the psychometric report runs
without the ``eval`` extra); Kendall's τ-b comes from ``scipy.stats`` (O(n log n), not worth
re-implementing). Resamples where the correlation is undefined (a constant side) are skipped; the
interval is the percentile interval of the remaining resamples.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Iterator, Sequence

from simulacra.errors import MissingExtraError
from simulacra.evaluation._stats import Estimate, _percentiles

__all__ = ["CORRELATIONS", "bootstrap_correlation", "kendall", "pearson", "ranks", "spearman"]

CORRELATIONS = ("spearman", "kendall", "pearson")


def pearson(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Pearson's r, or ``None`` when it is undefined (fewer than 2 pairs, or a constant side)."""
    n = len(x)
    if n != len(y):
        raise ValueError("x and y differ in length")
    if n < 2:
        return None
    x, y = _tame(x), _tame(y)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y, strict=True))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    if sxx <= 1e-12 or syy <= 1e-12:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _tame(values: Sequence[float]) -> Sequence[float]:
    """``values`` scaled into a range whose squares cannot overflow when they are huge (Pearson's
    r does not change with scale; 1e308 overflowed)."""
    top = max((abs(v) for v in values), default=0.0)
    return [v / top for v in values] if 1e150 < top < math.inf else values


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


def kendall(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's τ-b (``scipy.stats.kendalltau``), or ``None`` when undefined.

    Raises:
        MissingExtraError: Without scipy (extra ``eval``).
    """
    if len(x) != len(y):
        raise ValueError("x and y differ in length")
    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return None
    try:
        from scipy import stats  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise MissingExtraError("eval", "Kendall's tau") from None
    value = float(stats.kendalltau(x, y)[0])
    return None if math.isnan(value) else value


_METHODS: dict[str, Callable[[Sequence[float], Sequence[float]], float | None]] = {
    "pearson": pearson,
    "spearman": spearman,
    "kendall": kendall,
}


def _vectorised(
    method: str, xs: list[float], ys: list[float], rows: Iterator[list[int]]
) -> list[float] | None:
    """Pearson/Spearman of every resample with numpy (and scipy's ``rankdata``), when they are
    installed: the same resamples and values as the pure-Python loop, much faster on thousands
    of items. ``None`` when the fast path does not apply."""
    if method == "kendall":
        return None
    try:
        import numpy as np
        from scipy.stats import rankdata  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        return None
    a, b = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    out: list[float] = []
    while chunk := list(itertools.islice(rows, 200)):
        idx = np.asarray(chunk)
        xa, yb = a[idx], b[idx]
        if method == "spearman":
            xa, yb = rankdata(xa, axis=1), rankdata(yb, axis=1)
        xa = xa - xa.mean(axis=1, keepdims=True)
        yb = yb - yb.mean(axis=1, keepdims=True)
        sxx, syy = (xa * xa).sum(axis=1), (yb * yb).sum(axis=1)
        ok = (sxx > 1e-12) & (syy > 1e-12)
        r = (xa * yb).sum(axis=1)[ok] / np.sqrt(sxx[ok] * syy[ok])
        out.extend(float(v) for v in np.clip(r, -1.0, 1.0))
    return out


def bootstrap_correlation(
    x: Sequence[float],
    y: Sequence[float],
    *,
    method: str = "pearson",
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
    min_n: int = 2,
) -> Estimate | None:
    """A correlation with a percentile-bootstrap interval over resampled pairs.

    Returns ``None`` when the correlation of the data itself is undefined (fewer than
    ``min_n`` pairs, or a constant side).

    Args:
        x: First variable.
        y: Second variable, paired with ``x``.
        method: ``"pearson"``, ``"spearman"`` or ``"kendall"``.
        level: Confidence level.
        resamples: Bootstrap resamples.
        seed: Seed of the resampling.
        min_n: The fewest pairs for which a correlation is reported.
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {CORRELATIONS}, got {method!r}")
    fn = _METHODS[method]
    xs, ys = [float(v) for v in x], [float(v) for v in y]
    if len(xs) != len(ys):
        raise ValueError("x and y differ in length")
    n = len(xs)
    point = fn(xs, ys) if n >= max(2, min_n) else None
    if point is None:
        return None
    rng = random.Random(seed)
    rows = ([rng.randrange(n) for _ in range(n)] for _ in range(resamples))
    samples = _vectorised(method, xs, ys, rows)
    if samples is None:
        samples = []
        for idx in rows:
            r = fn([xs[i] for i in idx], [ys[i] for i in idx])
            if r is not None:
                samples.append(r)
    if not samples:
        return Estimate(point, point, point, level, n)
    low, high = _percentiles(samples, level)
    return Estimate(point, low, high, level, n)
