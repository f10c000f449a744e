"""Judge reliability (survey §6.2, E.2–E.3): position bias of pairwise judges, and agreement.

- :func:`compare_pair` asks a judge which of two responses is better, twice, with the order
  swapped (symmetric prompting); the pair's verdict counts only when both orders agree.
  :func:`position_bias` summarises many such comparisons: the share of verdicts that flip when
  swapped (an order-consistent judge flips none) and the first-position win rate (0.5 for a
  judge without position bias), each with a Wilson interval.
- Agreement of raters or of ensemble members: Krippendorff's α (the ``krippendorff`` package),
  Cohen's κ (scikit-learn) and Fleiss' κ (implemented here; statsmodels is not a dependency).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from simulacra.errors import MissingExtraError, ModelError
from simulacra.evaluation._stats import Estimate, _estimate_dict, wilson
from simulacra.models import ChatMessage, GenerateConfig, Model

__all__ = [
    "PAIRWISE_SCHEMA",
    "Ensemble",
    "PairVerdict",
    "PositionBias",
    "cohen_kappa",
    "compare_pair",
    "ensemble",
    "fleiss_kappa",
    "krippendorff_alpha",
    "position_bias",
]

PAIRWISE_REF = "pairwise/better_response@1"
PAIRWISE_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "explanation": {"type": "string", "maxLength": 160},
        "better": {"type": "string", "enum": ["A", "B", "tie"]},
    },
    "required": ["explanation", "better"],
}
"""Explanation first, then ``better``: ``A``, ``B`` or ``tie``."""


@dataclass(frozen=True)
class PairVerdict:
    """Both orders of one pairwise comparison.

    Attributes:
        forward: Winner with ``x`` shown as A (``"x"``, ``"y"``, ``"tie"``; ``None``: no answer).
        swapped: Winner with ``y`` shown as A, in the same terms.
    """

    forward: str | None
    swapped: str | None

    @property
    def consistent(self) -> bool:
        """Both orders gave the same winner (or both a tie)."""
        return self.forward is not None and self.forward == self.swapped

    @property
    def winner(self) -> str | None:
        """The order-consistent winner, ``"tie"`` when the orders disagree, ``None`` if unknown."""
        if self.forward is None or self.swapped is None:
            return None
        return self.forward if self.consistent else "tie"


def _prompt(context: Sequence[str], a: str, b: str, criterion: str) -> str:
    return "\n".join(
        [
            f"Which response is better? Criterion: {criterion}",
            "",
            "Conversation so far:",
            *(context or ["(nothing yet)"]),
            "",
            f"Response A: {a}",
            f"Response B: {b}",
            "",
            'Answer in JSON: first "explanation" (one short sentence), then "better" '
            '("A", "B" or "tie").',
        ]
    )


def _parse_choice(text: str) -> str:
    match = re.search(r"\{.*\}", text, re.DOTALL)
    data = json.loads(match.group(0) if match else text)
    if not isinstance(data, dict) or data.get("better") not in ("A", "B", "tie"):
        raise ValueError("'better' is missing or not A/B/tie")
    return str(data["better"])


async def compare_pair(
    model: Model,
    *,
    context: Sequence[str],
    x: str,
    y: str,
    criterion: str = "which reply a user would rather get",
    config: GenerateConfig | None = None,
) -> PairVerdict:
    """Compare ``x`` and ``y`` in both orders; unparseable answers or failed calls give ``None``."""
    cfg = GenerateConfig(json_schema=PAIRWISE_SCHEMA, temperature=0.0, max_tokens=100).merged(
        config
    )
    results: list[str | None] = []
    for first, second in ((x, y), (y, x)):
        msg = ChatMessage(role="user", content=_prompt(context, first, second, criterion))
        try:
            out = await model.generate([msg], config=cfg, templates=[PAIRWISE_REF])
            choice = _parse_choice(out.text)
        except (ModelError, ValueError):
            results.append(None)
            continue
        if choice == "tie":
            results.append("tie")
        else:
            shown_first = choice == "A"
            results.append(
                ("x" if shown_first else "y") if first == x else ("y" if shown_first else "x")
            )
    return PairVerdict(forward=results[0], swapped=results[1])


@dataclass(frozen=True)
class PositionBias:
    """How much a pairwise judge's verdicts depend on the order of the responses.

    Attributes:
        n: Pairs answered in both orders.
        flip_rate: Share of pairs whose winner changes when the order is swapped.
        first_position_win_rate: Share of non-tie verdicts (both orders pooled) that chose the
            response shown first; 0.5 without position bias.
    """

    n: int
    flip_rate: Estimate
    first_position_win_rate: Estimate

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        e = {"flip_rate": self.flip_rate, "first_position_win_rate": self.first_position_win_rate}
        return {
            "n": self.n,
            **{k: _estimate_dict(v, level=False) for k, v in e.items()},
        }


def position_bias(verdicts: Sequence[PairVerdict]) -> PositionBias:
    """Summarise the position bias of pairwise verdicts."""
    done = [v for v in verdicts if v.forward is not None and v.swapped is not None]
    flips = sum(not v.consistent for v in done)
    first = total = 0
    for v in done:
        # forward shows x first; swapped shows y first
        for winner, shown_first in ((v.forward, "x"), (v.swapped, "y")):
            if winner != "tie":
                total += 1
                first += winner == shown_first
    return PositionBias(len(done), wilson(flips, len(done)), wilson(first, total))


def krippendorff_alpha(
    ratings: Sequence[Sequence[float | None]],
    *,
    level: Literal["nominal", "ordinal", "interval", "ratio"] = "ordinal",
) -> float:
    """Krippendorff's α of a raters × items table (``None`` = missing), by ``krippendorff``.

    Raises:
        MissingExtraError: If the ``krippendorff`` package is missing (extra ``eval``).
    """
    try:
        import krippendorff  # type: ignore[import-untyped,unused-ignore]
        import numpy as np
    except ImportError:
        raise MissingExtraError("eval", "Krippendorff's alpha") from None
    data = np.array([[np.nan if v is None else v for v in row] for row in ratings], dtype=float)
    return float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))


def cohen_kappa(
    a: Sequence[object],
    b: Sequence[object],
    *,
    weights: Literal["linear", "quadratic"] | None = None,
) -> float:
    """Cohen's κ of two raters (``sklearn.metrics.cohen_kappa_score``).

    Raises:
        MissingExtraError: If scikit-learn is missing (extra ``eval``).
    """
    try:
        from sklearn.metrics import cohen_kappa_score  # type: ignore[import-untyped,unused-ignore]
    except ImportError:
        raise MissingExtraError("eval", "Cohen's kappa") from None
    return float(cohen_kappa_score(list(a), list(b), weights=weights))


def fleiss_kappa(ratings: Sequence[Sequence[object]]) -> float:
    """Fleiss' κ of items × raters labels (every item rated by the same number of raters).

    ``P_i = (Σ_j n_ij² − m) / (m(m−1))``, ``P̄ = mean P_i``, ``p_j`` = share of all labels in
    category j, ``P_e = Σ p_j²``, ``κ = (P̄ − P_e) / (1 − P_e)`` (Fleiss 1971).

    Raises:
        ValueError: With fewer than 2 raters or unequal raters per item.
    """
    counts = [Counter(row) for row in ratings]
    m = len(ratings[0]) if ratings else 0
    if m < 2 or any(len(row) != m for row in ratings):
        raise ValueError("need the same number (>= 2) of raters for every item")
    n = len(ratings)
    p_bar = sum((sum(c * c for c in cnt.values()) - m) / (m * (m - 1)) for cnt in counts) / n
    totals: Counter[object] = Counter()
    for cnt in counts:
        totals.update(cnt)
    p_e = sum((t / (n * m)) ** 2 for t in totals.values())
    return 1.0 if p_e == 1 else (p_bar - p_e) / (1 - p_e)


@dataclass(frozen=True)
class Ensemble:
    """Members' scores of the same items, combined, with their agreement.

    Attributes:
        members: Member names (judges, prompts or samples).
        scores: The mean member score per item (``None`` where no member scored it).
        alpha_interval: Krippendorff's α, interval level.
        alpha_ordinal: Krippendorff's α, ordinal level.
        mean_pairwise_kappa: Mean quadratic-weighted Cohen's κ over member pairs (rounded
            scores, items both scored); ``None`` with one member.
    """

    members: tuple[str, ...]
    scores: tuple[float | None, ...]
    alpha_interval: float
    alpha_ordinal: float
    mean_pairwise_kappa: float | None


def ensemble(members: Mapping[str, Sequence[float | None]]) -> Ensemble:
    """Combine aligned per-item scores of several judges, prompts or samples.

    Raises:
        ValueError: With fewer than 2 members or members of different lengths.
    """
    names = tuple(members)
    rows = [list(members[n]) for n in names]
    if len(rows) < 2 or len({len(r) for r in rows}) != 1:
        raise ValueError("need at least 2 members scoring the same items")
    means: list[float | None] = []
    for column in zip(*rows, strict=True):
        got = [v for v in column if v is not None]
        means.append(sum(got) / len(got) if got else None)
    kappas = []
    for i in range(len(rows)):
        for j in range(i + 1, len(rows)):
            both = [
                (a, b)
                for a, b in zip(rows[i], rows[j], strict=True)
                if a is not None and b is not None
            ]
            if both and len({round(a) for a, _ in both} | {round(b) for _, b in both}) > 1:
                kappas.append(
                    cohen_kappa(
                        [round(a) for a, _ in both],
                        [round(b) for _, b in both],
                        weights="quadratic",
                    )
                )
    return Ensemble(
        members=names,
        scores=tuple(means),
        alpha_interval=krippendorff_alpha(rows, level="interval"),
        alpha_ordinal=krippendorff_alpha(rows, level="ordinal"),
        mean_pairwise_kappa=sum(kappas) / len(kappas) if kappas else None,
    )
