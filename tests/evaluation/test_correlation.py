"""The one bootstrap-correlation implementation behind ``correlate`` and trait agreement."""

from __future__ import annotations

import random

import pytest
from scipy import stats

from simulacra.evaluation import _correlation
from simulacra.evaluation._correlation import bootstrap_correlation
from simulacra.evaluation._meta import correlate


def _pairs(n: int = 150) -> tuple[list[float], list[float]]:
    rng = random.Random(5)
    xs = [rng.gauss(0, 1) for _ in range(n)]
    return xs, [x + rng.gauss(0, 1) for x in xs]


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_fast_path_equals_pure_python(method: str, monkeypatch: pytest.MonkeyPatch) -> None:
    xs, ys = _pairs()
    fast = bootstrap_correlation(xs, ys, method=method, resamples=200, seed=2)
    monkeypatch.setattr(_correlation, "_vectorised", lambda *a: None)
    slow = bootstrap_correlation(xs, ys, method=method, resamples=200, seed=2)
    assert fast is not None and slow is not None
    assert (fast.value, fast.low, fast.high) == pytest.approx((slow.value, slow.low, slow.high))


def test_correlate_is_the_same_implementation() -> None:
    xs, ys = _pairs()
    for method in ("pearson", "spearman", "kendall"):
        a = correlate(xs, ys, method=method, resamples=100, seed=1)
        b = bootstrap_correlation(xs, ys, method=method, resamples=100, seed=1, min_n=3)
        assert a == b
    kendall = correlate(xs, ys, method="kendall", resamples=50)
    assert kendall is not None and kendall.value == pytest.approx(stats.kendalltau(xs, ys)[0])
    assert correlate([1, 2], [2, 1]) is None  # meta-evaluation needs 3 items
    assert bootstrap_correlation([1, 2], [2, 1]) is not None
    with pytest.raises(ValueError, match="method must be one of"):
        bootstrap_correlation(xs, ys, method="cosine")
