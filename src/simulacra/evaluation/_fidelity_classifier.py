"""Fidelity's distinguishability view: can a text classifier tell simulated from real user
turns? Cross-validated ROC AUC of a TF-IDF logistic regression, folds grouped by dialogue, with
a bootstrap over dialogues (the fast rank-sum AUC keeps that loop cheap). Split from
:mod:`simulacra.evaluation._fidelity`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles

__all__ = ["MIN_TURNS", "Distinguishability"]

MIN_TURNS = 10
"""The fewest user turns per side the classifier accepts."""


@dataclass(frozen=True)
class Distinguishability:
    """How well a classifier tells simulated from real user turns.

    Attributes:
        auc: Cross-validated ROC AUC of the out-of-fold scores, with a bootstrap interval over
            dialogues; ``n`` is the number of turns classified (both sides, balanced).
        fold_aucs: The AUC of each fold.
        per_side: Turns per side after balancing.
        folds: Number of folds.
    """

    auc: Estimate
    fold_aucs: tuple[float, ...]
    per_side: int
    folds: int

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "auc": _estimate_dict(self.auc),
            "fold_aucs": list(self.fold_aucs),
            "per_side": self.per_side,
            "folds": self.folds,
        }


def _distinguishability(
    real: list[tuple[str, str]],
    sim: list[tuple[str, str]],
    *,
    seed: int,
    folds: int = 5,
    resamples: int = 1000,
) -> Distinguishability:
    """AUC of a classifier telling simulated (1) from real (0) turns; items are (dialogue, text).

    Folds keep each dialogue's turns together (``StratifiedGroupKFold``; a simulated dialogue
    and the real one of the same goal share a group): with turns of one dialogue or goal on both
    sides of a split, its names and numbers would give it away. The interval resamples
    dialogues, not turns.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped,unused-ignore]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped,unused-ignore]
    from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped,unused-ignore]
    from sklearn.model_selection import StratifiedGroupKFold  # type: ignore[import-untyped,unused-ignore]
    from sklearn.pipeline import make_pipeline, make_union  # type: ignore[import-untyped,unused-ignore]

    rng = random.Random(seed)
    k = min(len(real), len(sim))
    items = [(g, t, 0) for g, t in rng.sample(real, k)]
    items += [(g, t, 1) for g, t in rng.sample(sim, k)]
    groups = [g for g, _, _ in items]
    texts = [t for _, t, _ in items]
    labels = np.array([y for _, _, y in items])
    scores = np.zeros(2 * k)
    fold_aucs = []
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, labels, groups):
        model = make_pipeline(
            make_union(
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
            ),
            LogisticRegression(max_iter=1000),
        )
        model.fit([texts[i] for i in train], labels[train])
        scores[test] = model.predict_proba([texts[i] for i in test])[:, 1]
        if len(set(labels[test].tolist())) == 2:
            fold_aucs.append(float(roc_auc_score(labels[test], scores[test])))
    auc = float(roc_auc_score(labels, scores))
    by_group: dict[tuple[int, str], list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault((int(labels[i]), g), []).append(i)
    pos = [ix for (y, _), ix in by_group.items() if y == 1]
    neg = [ix for (y, _), ix in by_group.items() if y == 0]
    boots = []
    for _ in range(resamples):
        idx = [i for ix in rng.choices(pos, k=len(pos)) for i in ix]
        idx += [i for ix in rng.choices(neg, k=len(neg)) for i in ix]
        boots.append(_auc(labels[idx], scores[idx]))
    low, high = _percentiles(boots, 0.95)
    return Distinguishability(Estimate(auc, low, high, 0.95, 2 * k), tuple(fold_aucs), k, folds)


def _auc(labels: Any, scores: Any) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) identity, ties averaged; equal to
    ``roc_auc_score`` and much faster inside a bootstrap loop."""
    from scipy.stats import rankdata  # type: ignore[import-untyped,unused-ignore]

    ranks = rankdata(scores)
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
