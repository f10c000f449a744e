"""A calibrated judge: ridge regression of a few cheap signals onto human ratings.

Features of an item (:data:`FEATURES`): the probability-weighted rubric score and its entropy
(:mod:`~simulacra.evaluation._weighted`), the likelihood features ``ll``, ``pmi`` and ``fed``
(:mod:`~simulacra.evaluation._likelihood`) and the cheap ``log_words``, ``overlap`` and
``asks_back``. Each rating set's human scores are turned into centred percentile ranks (ties
averaged; 0 = the set's median), so that sets on different scales (1–5, binary, 1–3) can be
pooled and what is learned is an ordering. The features are standardised with the training
means and deviations and the weights are the closed-form ridge solution
``w = (XᵀX + αI)⁻¹ Xᵀy`` (numpy only). One model per level (turn, dialogue).

:func:`leave_one_group_out` fits on every rating set but one and predicts the one left out —
the honest estimate of how the judge does on ratings it has not seen. The shipped model
(``evaluation/data/calibrated_judge.json``, with its data card) is refit by
``benchmarks/judge_agreement.py`` and by users on their own ratings with
``simulacra eval calibrate``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from simulacra.errors import ConfigError
from simulacra.evaluation._correlation import ranks
from simulacra.evaluation._judge import JudgeItem, Verdict
from simulacra.evaluation._likelihood import (
    FollowUps,
    cheap_features,
    likelihood_features,
    load_followups,
)
from simulacra.evaluation._logprob import EmbeddedScorer
from simulacra.evaluation._rubric import load_rubric
from simulacra.evaluation._weighted import WeightedRubricJudge

__all__ = [
    "FEATURES",
    "CalibratedJudge",
    "Calibration",
    "fit_calibration",
    "item_features",
    "leave_one_group_out",
    "load_calibrations",
    "save_calibrations",
]

FEATURES = (
    "rubric",
    "rubric_entropy",
    "ll",
    "pmi",
    "fed",
    "log_words",
    "overlap",
    "asks_back",
)
FORMAT = "simulacra-calibration"
RUBRICS = {"turn": "engagement", "dialogue": "satisfaction"}


@dataclass(frozen=True)
class Calibration:
    """A fitted ridge model of one level.

    Attributes:
        level: ``turn`` or ``dialogue``.
        features: Feature names, in the order of the weights.
        mean: Training mean of each feature.
        std: Training standard deviation of each feature (1 where it was constant).
        weights: Ridge weights of the standardised features.
        bias: Intercept.
        alpha: The ridge penalty.
        rubric: Rubric id of the ``rubric`` features.
        n: Training items.
        groups: Training rating sets → items.
    """

    level: str
    features: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    alpha: float
    rubric: str
    n: int
    groups: dict[str, int] = field(default_factory=dict)

    def predict(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        """The calibrated score of each feature row (a centred percentile-rank scale)."""
        out = []
        for row in rows:
            z = [
                (float(row[f]) - m) / s
                for f, m, s in zip(self.features, self.mean, self.std, strict=True)
            ]
            out.append(self.bias + sum(w * v for w, v in zip(self.weights, z, strict=True)))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "level": self.level,
            "features": list(self.features),
            "mean": list(self.mean),
            "std": list(self.std),
            "weights": list(self.weights),
            "bias": self.bias,
            "alpha": self.alpha,
            "rubric": self.rubric,
            "n": self.n,
            "groups": self.groups,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Calibration:
        """Read :meth:`to_dict`'s shape."""
        return cls(
            level=str(data["level"]),
            features=tuple(data["features"]),
            mean=tuple(float(v) for v in data["mean"]),
            std=tuple(float(v) for v in data["std"]),
            weights=tuple(float(v) for v in data["weights"]),
            bias=float(data["bias"]),
            alpha=float(data["alpha"]),
            rubric=str(data["rubric"]),
            n=int(data["n"]),
            groups={str(k): int(v) for k, v in dict(data.get("groups", {})).items()},
        )


def centred_ranks(values: Sequence[float]) -> list[float]:
    """Percentile ranks in ``(-0.5, 0.5)``, ties averaged."""
    n = len(values)
    return [(r - 0.5) / n - 0.5 for r in ranks(values)]


def fit_calibration(
    rows: Sequence[Mapping[str, float]],
    humans: Sequence[float],
    groups: Sequence[str],
    *,
    level: str,
    features: Sequence[str] = FEATURES,
    alpha: float = 10.0,
    rubric: str | None = None,
) -> Calibration:
    """Fit the ridge model on feature rows and human ratings; ``groups`` names each row's rating
    set (human scores are ranked within their set).

    Raises:
        ValueError: With fewer than 3 rows or mismatched lengths.
    """
    import numpy as np

    if not len(rows) == len(humans) == len(groups):
        raise ValueError("one human score and one group per feature row")
    if len(rows) < 3:
        raise ValueError(f"too few rated items to fit ({len(rows)})")
    y = np.zeros(len(rows))
    for g in dict.fromkeys(groups):
        idx = [i for i, gi in enumerate(groups) if gi == g]
        y[idx] = centred_ranks([humans[i] for i in idx])
    x = np.asarray([[float(r[f]) for f in features] for r in rows], dtype=float)
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std < 1e-9] = 1.0
    z = (x - mean) / std
    w = np.linalg.solve(z.T @ z + alpha * np.eye(z.shape[1]), z.T @ (y - y.mean()))
    counts: dict[str, int] = {}
    for g in groups:
        counts[g] = counts.get(g, 0) + 1
    return Calibration(
        level=level,
        features=tuple(features),
        mean=tuple(float(v) for v in mean),
        std=tuple(float(v) for v in std),
        weights=tuple(float(v) for v in w),
        bias=float(y.mean()),
        alpha=alpha,
        rubric=rubric or RUBRICS.get(level, "engagement"),
        n=len(rows),
        groups=counts,
    )


def leave_one_group_out(
    rows: Sequence[Mapping[str, float]],
    humans: Sequence[float],
    groups: Sequence[str],
    *,
    level: str,
    features: Sequence[str] = FEATURES,
    alpha: float = 10.0,
) -> dict[str, list[float]]:
    """For each rating set: predictions of a model fit on every *other* set (in row order)."""
    out: dict[str, list[float]] = {}
    for g in dict.fromkeys(groups):
        train = [i for i, gi in enumerate(groups) if gi != g]
        test = [i for i, gi in enumerate(groups) if gi == g]
        if len(train) < 3:
            continue
        model = fit_calibration(
            [rows[i] for i in train],
            [humans[i] for i in train],
            [groups[i] for i in train],
            level=level,
            features=features,
            alpha=alpha,
        )
        out[g] = model.predict([rows[i] for i in test])
    return out


def _package_file() -> Path:
    return Path(str(resources.files("simulacra.evaluation").joinpath("data"))) / (
        "calibrated_judge.json"
    )


def save_calibrations(
    path: str | Path,
    calibrations: Mapping[str, Calibration],
    *,
    model: str,
    card: Mapping[str, Any] | None = None,
) -> Path:
    """Write calibrations (level → model) with the judge model's spec and a data card,
    atomically."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "format": FORMAT,
        "version": 1,
        "model": model,
        "followups": load_followups().ref,
        "levels": {lv: c.to_dict() for lv, c in calibrations.items()},
        "card": dict(card or {}),
    }
    tmp = p.with_name(f".{p.name}.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, p)
    return p


def load_calibrations(path: str | Path | None = None) -> tuple[str, dict[str, Calibration]]:
    """``(model spec, level → calibration)`` of a calibration file (default: the shipped one).

    Raises:
        ConfigError: If the file is missing or not a calibration file.
    """
    p = Path(path) if path else _package_file()
    if not p.is_file():
        raise ConfigError(f"calibration file not found: {p}")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            raise ValueError(f"format is not {FORMAT!r}")
        levels = {lv: Calibration.from_dict(c) for lv, c in data["levels"].items()}
        return str(data["model"]), levels
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(f"{p}: not a calibration file ({exc})") from None


async def item_features(
    scorer: EmbeddedScorer,
    items: Sequence[JudgeItem],
    *,
    level: str,
    followups: FollowUps | None = None,
    max_turns: int = 8,
    rubric: str | None = None,
    rubric_scorer: EmbeddedScorer | None = None,
) -> list[dict[str, float]]:
    """Every feature of :data:`FEATURES` for each item (rubric first for all items, then the
    likelihoods: each pass keeps its own prompt prefix in the model's cache; a second
    ``rubric_scorer`` of the same model keeps the rubric's prefix warm across calls)."""
    judge = WeightedRubricJudge(
        rubric_scorer or scorer, load_rubric(rubric or RUBRICS[level]), max_context=max_turns
    )
    verdicts = await judge.judge(items)
    rows: list[dict[str, float]] = []
    for item, v in zip(items, verdicts, strict=True):
        if v.overall is None:
            raise ConfigError(f"item {item.id}: the rubric judge gave no score ({v.error})")
        entropy = [val for k, val in v.details.items() if k.endswith(":entropy")]
        rows.append({"rubric": v.overall, "rubric_entropy": sum(entropy) / len(entropy)})
    for item, row in zip(items, rows, strict=True):
        row.update(likelihood_features(scorer, item, followups=followups, max_turns=max_turns))
        row.update(cheap_features(item, max_turns=max_turns))
    return rows


class CalibratedJudge:
    """The calibrated judge: features from the embedded model, combined by the ridge model.

    Args:
        scorer: The embedded model the calibration was fit with.
        calibrations: Level → calibration (default: the shipped file's).
        max_turns: Dialogue items: use the last this many turns.
    """

    def __init__(
        self,
        scorer: EmbeddedScorer,
        calibrations: Mapping[str, Calibration] | None = None,
        *,
        max_turns: int = 8,
        name: str | None = None,
    ) -> None:
        self.scorer = scorer
        self.calibrations = dict(calibrations or load_calibrations()[1])
        self.max_turns = max_turns
        self.name = name or f"{scorer.name}+calibrated@1"

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """One verdict per item: ``score`` on the centred percentile-rank scale, features in
        details."""
        out: list[tuple[int, Verdict]] = []
        for level in ("turn", "dialogue"):
            turn = level == "turn"
            idx = [i for i, it in enumerate(items) if (it.response is not None) == turn]
            own = [items[i] for i in idx]
            if not own:
                continue
            cal = self.calibrations.get(level)
            if cal is None:
                raise ConfigError(f"the calibration has no {level}-level model")
            rows = await item_features(
                self.scorer, own, level=level, max_turns=self.max_turns, rubric=cal.rubric
            )
            for i, item, row, score in zip(idx, own, rows, cal.predict(rows), strict=True):
                out.append(
                    (
                        i,
                        Verdict(
                            item_id=item.id,
                            judge=self.name,
                            rubric=f"calibration/{level}@1",
                            scores={"score": score},
                            details=row,
                            conversation_id=item.conversation_id,
                            turn_index=item.turn_index,
                        ),
                    )
                )
        return [v for _, v in sorted(out, key=lambda p: p[0])]
