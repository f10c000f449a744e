"""Inter-annotator agreement and A/B win rates, each with a bootstrap interval (survey App. E.2).

Input is a table *item → annotator → value*. Every statistic is computed on the items that at
least two annotators rated and its interval by a percentile bootstrap that resamples whole items
(an item's ratings stay together), seeded:

- Krippendorff's α at the chosen level (``nominal``, ``ordinal``, ``interval``, ``ratio``);
- Cohen's κ when exactly two annotators rated (their common items; with a quadratic-weighted κ
  for ordinal and interval data);
- Fleiss' κ over the items rated by the most common number of annotators (it needs the same
  number per item; the annotators themselves need not be the same people);
- pairwise agreement: the share of annotator pairs on an item that gave the same value (and,
  for numeric scales, values at most one point apart).

:func:`win_rates` unblinds a pairwise study: each rating's winner is looked up in the key, and
a system's win rate counts a tie as half a win (interval: bootstrap over items).
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar

from simulacra.evaluation._reliability import cohen_kappa, fleiss_kappa, krippendorff_alpha
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles, wilson

__all__ = ["AgreementReport", "WinRates", "agreement", "win_rates"]

Level = Literal["nominal", "ordinal", "interval", "ratio"]
Table = Mapping[str, Mapping[str, object]]
T = TypeVar("T")


def _estimate_or_none(e: Estimate | None) -> dict[str, float | int] | None:
    if e is None:
        return None
    return _estimate_dict(e)


@dataclass(frozen=True)
class AgreementReport:
    """Agreement of annotators on one dimension.

    Attributes:
        level: Measurement level of α.
        n_items: Items rated by at least two annotators (the ones that count).
        n_ratings: Ratings on those items.
        annotators: Distinct annotators on those items.
        alpha: Krippendorff's α.
        percent_agreement: Share of same-item annotator pairs that agree exactly.
        within_one: Share of pairs at most one scale point apart (numeric levels).
        cohen_kappa: Cohen's κ (exactly two annotators), unweighted.
        cohen_kappa_quadratic: Quadratic-weighted κ (two annotators, ordinal/interval).
        fleiss_kappa: Fleiss' κ over ``fleiss_items`` items with ``fleiss_raters`` ratings each.
    """

    level: Level
    n_items: int
    n_ratings: int
    annotators: int
    alpha: Estimate | None
    percent_agreement: Estimate | None
    within_one: Estimate | None = None
    cohen_kappa: Estimate | None = None
    cohen_kappa_quadratic: Estimate | None = None
    fleiss_kappa: Estimate | None = None
    fleiss_items: int = 0
    fleiss_raters: int = 0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        out: dict[str, object] = {
            "level": self.level,
            "n_items": self.n_items,
            "n_ratings": self.n_ratings,
            "annotators": self.annotators,
            "fleiss_items": self.fleiss_items,
            "fleiss_raters": self.fleiss_raters,
        }
        for name in (
            "alpha",
            "percent_agreement",
            "within_one",
            "cohen_kappa",
            "cohen_kappa_quadratic",
            "fleiss_kappa",
        ):
            out[name] = _estimate_or_none(getattr(self, name))
        return out


def _finite(x: float | None) -> float | None:
    return x if x is not None and math.isfinite(x) else None


def _bootstrap(
    items: Sequence[T],
    stat: Callable[[Sequence[T]], float | None],
    *,
    resamples: int,
    seed: int,
    level: float = 0.95,
) -> Estimate | None:
    point = _finite(stat(items))
    if point is None:
        return None
    rng = random.Random(seed)
    samples = []
    for _ in range(resamples):
        value = _finite(stat(rng.choices(items, k=len(items))))
        if value is not None:
            samples.append(value)
    low, high = _percentiles(samples, level) if samples else (point, point)
    return Estimate(point, low, high, level, len(items))


def _alpha(items: Sequence[Mapping[str, object]], level: Level, coders: list[str]) -> float | None:
    if len({v for it in items for v in it.values()}) < 2:
        return None  # one value everywhere: α is undefined
    rows = [
        [_num(it.get(c)) if level != "nominal" else _code(it.get(c)) for it in items]
        for c in coders
    ]
    return krippendorff_alpha(rows, level=level)


_CODES: dict[object, float] = {}


def _code(value: object) -> float | None:
    """A stable number for a nominal label (α's implementation wants numbers)."""
    if value is None:
        return None
    return _CODES.setdefault(value, float(len(_CODES)))


def _num(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise ValueError(f"value {value!r} is not a number; use level='nominal'")


def _pairs(items: Sequence[Mapping[str, object]]) -> list[tuple[object, object]]:
    return [p for it in items for p in itertools.combinations(it.values(), 2)]


def _agree(items: Sequence[Mapping[str, object]], tolerance: float) -> float | None:
    pairs = _pairs(items)
    if not pairs:
        return None
    if tolerance == 0:
        return sum(a == b for a, b in pairs) / len(pairs)
    return sum(abs((_num(a) or 0.0) - (_num(b) or 0.0)) <= tolerance for a, b in pairs) / len(pairs)


def _cohen(
    items: Sequence[Mapping[str, object]], pair: tuple[str, str], weights: str | None
) -> float | None:
    both = [(it[pair[0]], it[pair[1]]) for it in items if pair[0] in it and pair[1] in it]
    if len(both) < 2 or len({v for ab in both for v in ab}) < 2:
        return None
    w: Literal["linear", "quadratic"] | None = "quadratic" if weights == "quadratic" else None
    return cohen_kappa([a for a, _ in both], [b for _, b in both], weights=w)


def _fleiss(items: Sequence[Mapping[str, object]]) -> float | None:
    if len({v for it in items for v in it.values()}) < 2:
        return None
    return fleiss_kappa([list(it.values()) for it in items])


def agreement(
    table: Table,
    *,
    level: Level = "ordinal",
    resamples: int = 1000,
    seed: int = 0,
) -> AgreementReport:
    """Agreement statistics of an item → annotator → value table.

    Args:
        table: The ratings (values: numbers for ordinal/interval/ratio, any labels for nominal).
        level: Measurement level of α (and whether ``within_one`` and weighted κ apply).
        resamples: Bootstrap resamples of items.
        seed: Bootstrap seed.

    Raises:
        ValueError: Fewer than two items rated by two or more annotators, or non-numeric values
            at a numeric level.
    """
    items = [dict(v) for v in table.values() if len(v) >= 2]
    if len(items) < 2:
        raise ValueError("agreement needs at least 2 items rated by 2 or more annotators")
    coders = sorted({a for it in items for a in it})
    numeric = level != "nominal"
    if numeric:
        for it in items:
            for v in it.values():
                _num(v)

    def boot(
        stat: Callable[[Sequence[Mapping[str, object]]], float | None], k: int
    ) -> Estimate | None:
        return _bootstrap(items, stat, resamples=resamples, seed=seed + k)

    report: dict[str, object] = {
        "alpha": boot(lambda s: _alpha(s, level, coders), 0),
        "percent_agreement": boot(lambda s: _agree(s, 0), 1),
        "within_one": boot(lambda s: _agree(s, 1), 2) if numeric else None,
    }
    if len(coders) == 2:
        pair = (coders[0], coders[1])
        report["cohen_kappa"] = boot(lambda s: _cohen(s, pair, None), 3)
        if numeric:
            report["cohen_kappa_quadratic"] = boot(lambda s: _cohen(s, pair, "quadratic"), 4)
    counts = Counter(len(it) for it in items)
    m = max(counts, key=lambda k: (counts[k], k))
    same = [it for it in items if len(it) == m]
    fleiss = (
        _bootstrap(same, _fleiss, resamples=resamples, seed=seed + 5) if len(same) >= 2 else None
    )
    return AgreementReport(
        level=level,
        n_items=len(items),
        n_ratings=sum(len(it) for it in items),
        annotators=len(coders),
        fleiss_kappa=fleiss,
        fleiss_items=len(same) if fleiss is not None else 0,
        fleiss_raters=m if fleiss is not None else 0,
        **report,  # type: ignore[arg-type]
    )


@dataclass(frozen=True)
class WinRates:
    """Unblinded results of a pairwise study.

    Attributes:
        systems: System (run) → ``{"wins", "losses", "ties", "win_rate"}`` (win rate: ties count
            half; interval: bootstrap over items).
        n_items: Items with at least one rating.
        n_ratings: Ratings.
        first_shown: Share of non-tie choices that picked the conversation shown as A (0.5
            without position bias), with a Wilson interval.
    """

    systems: dict[str, dict[str, object]] = field(default_factory=dict)
    n_items: int = 0
    n_ratings: int = 0
    first_shown: Estimate | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        systems = {
            s: {k: _estimate_or_none(v) if isinstance(v, Estimate) else v for k, v in row.items()}
            for s, row in self.systems.items()
        }
        return {
            "systems": systems,
            "n_items": self.n_items,
            "n_ratings": self.n_ratings,
            "first_shown": _estimate_or_none(self.first_shown),
        }


def win_rates(
    table: Mapping[str, Mapping[str, object]],
    sides: Mapping[str, tuple[str, str]],
    *,
    resamples: int = 1000,
    seed: int = 0,
) -> WinRates:
    """Win rate of each system from item → annotator → choice (``A``/``B``/``tie``).

    Args:
        table: The choices.
        sides: Item → (system shown as A, system shown as B), from the study's key.
        resamples: Bootstrap resamples of items.
        seed: Bootstrap seed.
    """
    rated = [(sides[tid], list(choices.values())) for tid, choices in table.items() if choices]
    first = sum(c == "A" for _, cs in rated for c in cs)
    decided = sum(c in ("A", "B") for _, cs in rated for c in cs)
    out = WinRates(
        n_items=len(rated),
        n_ratings=sum(len(cs) for _, cs in rated),
        first_shown=wilson(first, decided),
    )
    for system in sorted({s for pair, _ in rated for s in pair}):
        # Per item: the system's outcome of each rating (1 win, 0 loss, 0.5 tie).
        per_item = [
            [0.5 if c == "tie" else float(pair[0 if c == "A" else 1] == system) for c in cs]
            for pair, cs in rated
            if system in pair
        ]
        flat = [v for item in per_item for v in item]

        def mean_outcome(sample: Sequence[list[float]]) -> float | None:
            values = [v for item in sample for v in item]
            return sum(values) / len(values) if values else None

        out.systems[system] = {
            "wins": flat.count(1.0),
            "losses": flat.count(0.0),
            "ties": flat.count(0.5),
            "win_rate": _bootstrap(per_item, mean_outcome, resamples=resamples, seed=seed),
        }
    return out
