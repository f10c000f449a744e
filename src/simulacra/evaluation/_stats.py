"""Uncertainty for small samples: percentile bootstrap intervals (seeded, dependency-free) and
Wilson score intervals of proportions."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Estimate", "bootstrap_mean", "bootstrap_mean_difference", "wilson"]


@dataclass(frozen=True)
class Estimate:
    """A point estimate with a confidence interval."""

    value: float
    low: float
    high: float
    level: float = 0.95
    n: int = 0

    def __str__(self) -> str:
        return (
            f"{self.value:.3g} [{self.low:.3g}, {self.high:.3g}] ({self.level:.0%} CI, n={self.n})"
        )


def _estimate_dict(e: Estimate, *, level: bool = True) -> dict[str, float]:
    """An estimate as JSON: ``value``, ``low``, ``high``, ``level``, ``n`` — one shape for every
    report's ``to_dict``. ``level=False`` leaves ``level`` out, for the reports whose JSON never
    had it (kept so that their output does not change)."""
    out = {"value": e.value, "low": e.low, "high": e.high, "level": e.level, "n": e.n}
    if not level:
        del out["level"]
    return out


def _percentiles(samples: list[float], level: float) -> tuple[float, float]:
    samples.sort()
    tail = (1 - level) / 2
    lo = samples[int(tail * (len(samples) - 1))]
    hi = samples[int((1 - tail) * (len(samples) - 1))]
    return lo, hi


def bootstrap_mean(
    values: Sequence[float], *, level: float = 0.95, resamples: int = 2000, seed: int = 0
) -> Estimate:
    """Mean with a percentile-bootstrap interval."""
    if not values:
        raise ValueError("no values")
    rng = random.Random(seed)
    n = len(values)
    means = [statistics.fmean(rng.choices(values, k=n)) for _ in range(resamples)]
    low, high = _percentiles(means, level)
    return Estimate(statistics.fmean(values), low, high, level, n)


def bootstrap_mean_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    level: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> Estimate:
    """``mean(a) - mean(b)`` with a percentile-bootstrap interval (independent samples)."""
    if not a or not b:
        raise ValueError("no values")
    rng = random.Random(seed)
    diffs = [
        statistics.fmean(rng.choices(a, k=len(a))) - statistics.fmean(rng.choices(b, k=len(b)))
        for _ in range(resamples)
    ]
    low, high = _percentiles(diffs, level)
    return Estimate(statistics.fmean(a) - statistics.fmean(b), low, high, level, len(a) + len(b))


def wilson(successes: int, n: int, *, z: float = 1.96) -> Estimate:
    """A proportion ``successes / n`` with its Wilson score interval (95% for ``z=1.96``).

    ``n == 0`` gives NaN value and bounds rather than an error (an empty sample is data).
    """
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    level = math.erf(z / math.sqrt(2))
    if n == 0:
        nan = float("nan")
        return Estimate(nan, nan, nan, round(level, 4), 0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), round(level, 4), n)
