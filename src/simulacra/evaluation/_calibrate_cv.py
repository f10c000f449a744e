"""Cross-validating the calibrated judge within one rating set (issue #19).

:func:`~simulacra.evaluation._calibrate.leave_one_group_out` estimates how a calibration does on
another kind of data; :func:`k_fold_within_groups` estimates how it does on more ratings of the
same kind — the situation of a user who refits it on their own ratings with ``simulacra eval
calibrate``. Measured on the shipped rating sets (``benchmarks/judge_agreement.py``) the two
differ a lot: the sets disagree on what makes a response good, so a fit transfers poorly across
sets but well within one.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from simulacra.errors import ConfigError
from simulacra.evaluation._calibrate import FEATURES, fit_calibration

__all__ = ["k_fold_within_groups"]


def k_fold_within_groups(
    rows: Sequence[Mapping[str, float]],
    humans: Sequence[float],
    groups: Sequence[str],
    *,
    level: str,
    k: int = 5,
    seed: int = 0,
    features: Sequence[str] = FEATURES,
    alpha: float = 10.0,
) -> dict[str, list[float]]:
    """For each rating set: out-of-fold predictions of models fit on the *same* set only.

    Each set's items are shuffled (seeded) and dealt into ``k`` folds; every fold is predicted by
    a model fit on the set's other folds. This estimates what a calibration fitted on your own
    ratings does on new items of the same kind (``simulacra eval calibrate``), where
    :func:`leave_one_group_out` estimates what it does on another kind of data. Sets with fewer
    than ``k + 3`` items are left out. Predictions are in each set's row order.
    """
    if k < 2:
        raise ConfigError(f"k-fold cross-validation needs k >= 2, got {k}")
    out: dict[str, list[float]] = {}
    for g in dict.fromkeys(groups):
        idx = [i for i, gi in enumerate(groups) if gi == g]
        if len(idx) < k + 3:
            continue
        order = list(range(len(idx)))
        random.Random(f"{seed}:{g}").shuffle(order)
        preds: list[float] = [0.0] * len(idx)
        for fold in range(k):
            test = set(order[fold::k])
            train = [idx[j] for j in range(len(idx)) if j not in test]
            model = fit_calibration(
                [rows[i] for i in train],
                [humans[i] for i in train],
                [g] * len(train),
                level=level,
                features=features,
                alpha=alpha,
            )
            held = sorted(test)
            for j, p in zip(held, model.predict([rows[idx[j]] for j in held]), strict=True):
                preds[j] = p
        out[g] = preds
    return out
