"""Fidelity's distinguishability view: can a text classifier tell simulated from real user
turns? Cross-validated ROC AUC of a TF-IDF logistic regression, folds grouped by dialogue, with
a bootstrap over dialogues. Split from :mod:`simulacra.evaluation._fidelity`.

Speed: each text's n-grams are counted once per report (:class:`_TextFeatures`, shared with the
real-vs-real baseline) and every fold takes its TF-IDF from those counts; the bootstrap AUCs
are computed for all resamples at once (:func:`_bootstrap_aucs`). Both give exactly the numbers
of refitting the vectorisers per fold and ranking each resample (tests compare them).

Texts are compared as typed: :func:`surface_text` undoes a corpus tokeniser's spacing on both
sides before any feature is counted."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles

__all__ = ["MIN_TURNS", "Distinguishability", "surface_text"]

MIN_TURNS = 10
"""The fewest user turns per side the classifier accepts."""


_SPACED_PUNCT = re.compile(r"\s+([.,!?;:%)])")
_SPACED_CLITIC = re.compile(r"\s+(n't|'s|'m|'re|'ll|'d|'ve)\b", re.IGNORECASE)


def surface_text(text: str) -> str:
    """``text`` with a corpus tokeniser's spacing undone ("4 stars ." → "4 stars.",
    "i do n't" → "i don't"): 94% of MultiWOZ 2.1's user turns were tokenised by the dataset's
    makers, which no person types; left in, a classifier tells any simulator from them by the
    spacing alone (0.88 → 0.74 AUC on one probe). Case, spelling and words stay as written."""
    text = _SPACED_PUNCT.sub(r"\1", " ".join(text.split()))
    return _SPACED_CLITIC.sub(r"\1", text)


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


class _TextFeatures:
    """The word 1-2-gram and char_wb 2-4-gram counts of some texts, each text analysed once.

    Every fold of every classifier reads its TF-IDF from these counts: the columns of the
    terms in its training texts (the vocabulary ``TfidfVectorizer`` fitted on them would have,
    in the same sorted order), then ``TfidfTransformer`` — the same features as the two
    vectorisers refitted per fold, without analysing each text again in every fold.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import CountVectorizer  # type: ignore[import-untyped,unused-ignore]

        unique = list(dict.fromkeys(texts))
        self.row = {t: i for i, t in enumerate(unique)}
        analysed = [surface_text(t) for t in unique]
        self.blocks = [
            CountVectorizer(analyzer=analyzer, ngram_range=grams, dtype=np.float64).fit_transform(
                analysed
            )
            for analyzer, grams in (("word", (1, 2)), ("char_wb", (2, 4)))
        ]

    def tfidf(self, train: Sequence[str], test: Sequence[str]) -> tuple[Any, Any]:
        """TF-IDF of the training and the test texts, fitted on the training texts."""
        import numpy as np
        from scipy import sparse  # type: ignore[import-untyped,unused-ignore]
        from sklearn.feature_extraction.text import TfidfTransformer  # type: ignore[import-untyped,unused-ignore]

        rows_train = [self.row[t] for t in train]
        rows_test = [self.row[t] for t in test]
        fitted, applied = [], []
        for counts in self.blocks:
            own = counts[rows_train]
            terms = np.flatnonzero(own.getnnz(axis=0))
            weights = TfidfTransformer(sublinear_tf=True)
            fitted.append(weights.fit_transform(own[:, terms]))
            applied.append(weights.transform(counts[rows_test][:, terms]))
        return sparse.hstack(fitted).tocsr(), sparse.hstack(applied).tocsr()


def _distinguishability(
    real: list[tuple[str, str]],
    sim: list[tuple[str, str]],
    *,
    seed: int,
    folds: int = 5,
    resamples: int = 1000,
    features: _TextFeatures | None = None,
) -> Distinguishability:
    """AUC of a classifier telling simulated (1) from real (0) turns; items are (dialogue, text).

    Folds keep each dialogue's turns together (``StratifiedGroupKFold``; a simulated dialogue
    and the real one of the same goal share a group): with turns of one dialogue or goal on both
    sides of a split, its names and numbers would give it away. The interval resamples
    dialogues, not turns. ``features`` holds the n-gram counts of (at least) these texts, when
    the caller has them already.
    """
    import numpy as np
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped,unused-ignore]
    from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped,unused-ignore]
    from sklearn.model_selection import StratifiedGroupKFold  # type: ignore[import-untyped,unused-ignore]
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped,unused-ignore]

    rng = random.Random(seed)
    k = min(len(real), len(sim))
    items = [(g, t, 0) for g, t in rng.sample(real, k)]
    items += [(g, t, 1) for g, t in rng.sample(sim, k)]
    groups = [g for g, _, _ in items]
    texts = [t for _, t, _ in items]
    labels = np.array([y for _, _, y in items])
    if features is None or any(t not in features.row for t in texts):
        features = _TextFeatures(texts)
    scores = np.zeros(2 * k)
    fold_aucs = []
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, labels, groups):
        x_train, x_test = features.tfidf([texts[i] for i in train], [texts[i] for i in test])
        # one BLAS thread: L-BFGS makes many small BLAS calls, and threads waiting on each
        # other (or on a busy core) made each fit up to 3x slower
        with threadpool_limits(1, user_api="blas"):
            model = LogisticRegression(max_iter=1000).fit(x_train, labels[train])
        scores[test] = model.predict_proba(x_test)[:, 1]
        if len(set(labels[test].tolist())) == 2:
            fold_aucs.append(float(roc_auc_score(labels[test], scores[test])))
    auc = float(roc_auc_score(labels, scores))
    by_group: dict[tuple[int, str], list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault((int(labels[i]), g), []).append(i)
    pos = [ix for (y, _), ix in by_group.items() if y == 1]
    neg = [ix for (y, _), ix in by_group.items() if y == 0]
    boots = _bootstrap_aucs(scores, pos, neg, rng, resamples)
    low, high = _percentiles(boots, 0.95)
    return Distinguishability(Estimate(auc, low, high, 0.95, 2 * k), tuple(fold_aucs), k, folds)


def _bootstrap_aucs(
    scores: Any, pos: list[list[int]], neg: list[list[int]], rng: random.Random, resamples: int
) -> list[float]:
    """The AUC of each bootstrap resample of dialogues (groups of item indices), all at once.

    A resample draws ``len(pos)`` positive and ``len(neg)`` negative groups with replacement
    (the draws of ``rng.choices(pos, k=len(pos))`` then ``rng.choices(neg, k=len(neg))``); its
    AUC is the rank-sum AUC of the drawn items, repeats included — computed from how often each
    group was drawn: per distinct score, the drawn positives times the drawn negatives below it
    plus half those tied. Every term is an integer or a half, so the result equals :func:`_auc`
    of the resample exactly.
    """
    import numpy as np
    from scipy import sparse  # type: ignore[import-untyped,unused-ignore]

    values, where = np.unique(scores, return_inverse=True)

    def table(groups: list[list[int]]) -> Any:  # group x distinct score: how many items
        rows = [g for g, ix in enumerate(groups) for _ in ix]
        cols = [where[i] for ix in groups for i in ix]
        ones = np.ones(len(rows))
        return sparse.csr_array((ones, (rows, cols)), shape=(len(groups), len(values)))

    tables = table(pos).T.tocsr(), table(neg).T.tocsr()
    out: list[float] = []
    for start in range(0, resamples, 100):
        drawn = []
        for groups in (pos, neg):  # per resample: positives, then negatives (as rng.choices)
            drawn.append(np.zeros((min(100, resamples - start), len(groups))))
        for row in range(len(drawn[0])):
            for side, groups in enumerate((pos, neg)):
                picks = rng.choices(range(len(groups)), k=len(groups))
                drawn[side][row] = np.bincount(picks, minlength=len(groups))
        p, n = ((t @ d.T).T for t, d in zip(tables, drawn, strict=True))
        below = np.cumsum(n, axis=1) - n
        num = (p * (below + 0.5 * n)).sum(axis=1)
        out.extend((num / (p.sum(axis=1) * n.sum(axis=1))).tolist())
    return out


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
