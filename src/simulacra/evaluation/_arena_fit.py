"""Rating systems from pairwise battles: Bradley-Terry by Hunter's (2004) MM iteration and
online Elo, both on the Elo scale with bootstrap intervals. Usable on any battles, not only
those :func:`~simulacra.evaluation._arena.arena` judges; split from that module, which pairs and
judges conversations."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from simulacra.evaluation._stats import Estimate, _percentiles

__all__ = ["Battle", "Ranking", "SystemRating", "bradley_terry", "elo"]

ELO_BASE = 1000.0
ELO_SCALE = 400.0
"""Ratings are on the Elo scale: ``rating = 1000 + 400 * log10(p)``; a 400-point gap is 10:1
odds of winning."""


@dataclass(frozen=True)
class Battle:
    """One judged comparison of two systems.

    Attributes:
        a: The first system's name.
        b: The second system's name.
        winner: ``"a"``, ``"b"`` or ``"tie"``.
        id: What was compared (e.g. the scenario/profile key), for the record.
    """

    a: str
    b: str
    winner: Literal["a", "b", "tie"]
    id: str | None = None

    def __post_init__(self) -> None:
        if self.a == self.b:
            raise ValueError(f"a battle needs two different systems, got {self.a!r} twice")
        if self.winner not in ("a", "b", "tie"):
            raise ValueError(f"winner must be 'a', 'b' or 'tie', got {self.winner!r}")

    @property
    def score_a(self) -> float:
        """``a``'s score: 1 for a win, 0.5 for a tie, 0 for a loss."""
        return {"a": 1.0, "b": 0.0, "tie": 0.5}[self.winner]


@dataclass(frozen=True)
class SystemRating:
    """One system's rating with its interval and record.

    Attributes:
        system: Its name.
        rating: On the Elo scale, with a bootstrap interval; ``n`` = its battles.
        wins: Battles won.
        losses: Battles lost.
        ties: Battles tied.
    """

    system: str
    rating: Estimate
    wins: int
    losses: int
    ties: int


@dataclass(frozen=True)
class Ranking:
    """Systems ordered by rating, best first.

    Attributes:
        method: ``bradley_terry`` or ``elo``.
        ratings: One entry per system, best first.
        n_battles: Battles used.
        resamples: Bootstrap resamples behind the intervals.
    """

    method: str
    ratings: tuple[SystemRating, ...]
    n_battles: int
    resamples: int

    def rating(self, system: str) -> float:
        """The point rating of one system."""
        for r in self.ratings:
            if r.system == system:
                return r.rating.value
        raise KeyError(system)

    def win_probability(self, a: str, b: str) -> float:
        """``P(a beats b)`` implied by the ratings (logistic on the Elo scale)."""
        return 1.0 / (1.0 + 10 ** ((self.rating(b) - self.rating(a)) / ELO_SCALE))

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "method": self.method,
            "n_battles": self.n_battles,
            "resamples": self.resamples,
            "ratings": [
                {
                    "system": r.system,
                    "rating": {"value": r.rating.value, "low": r.rating.low, "high": r.rating.high},
                    "battles": r.rating.n,
                    "wins": r.wins,
                    "losses": r.losses,
                    "ties": r.ties,
                }
                for r in self.ratings
            ],
        }


def _systems(battles: Sequence[Battle]) -> list[str]:
    return sorted({s for b in battles for s in (b.a, b.b)})


def _bt_fit(
    battles: Sequence[Battle], systems: list[str], prior: float, iterations: int, tol: float
) -> dict[str, float]:
    """Hunter's MM update ``p_i <- W_i / sum_j n_ij / (p_i + p_j)``; returns Elo-scale ratings.

    ``prior`` adds that many tied games between every pair of systems that met (half a win
    each way), which keeps the estimate finite when a system never lost or never won.
    """
    index = {s: i for i, s in enumerate(systems)}
    k = len(systems)
    games = [[0.0] * k for _ in range(k)]
    wins = [0.0] * k
    for b in battles:
        i, j = index[b.a], index[b.b]
        games[i][j] += 1
        games[j][i] += 1
        wins[i] += b.score_a
        wins[j] += 1 - b.score_a
    if prior > 0:
        for i, j in itertools.combinations(range(k), 2):
            if games[i][j] > 0:
                games[i][j] += prior
                games[j][i] += prior
                wins[i] += prior / 2
                wins[j] += prior / 2
    p = [1.0] * k
    for _ in range(iterations):
        new = []
        for i in range(k):
            denom = sum(games[i][j] / (p[i] + p[j]) for j in range(k) if games[i][j] > 0)
            new.append(wins[i] / denom if denom > 0 else p[i])
        # fix the scale: geometric mean 1 (a system that never won stays at 0 without a prior)
        positive = [x for x in new if x > 0]
        g = math.exp(sum(math.log(x) for x in positive) / len(positive)) if positive else 1.0
        new = [x / g for x in new]
        change = max(abs(a - b) for a, b in zip(new, p, strict=True))
        p = new
        if change < tol:
            break
    return {
        s: ELO_BASE + ELO_SCALE * math.log10(p[index[s]]) if p[index[s]] > 0 else -math.inf
        for s in systems
    }


def _record(battles: Sequence[Battle], system: str) -> tuple[int, int, int]:
    w = l_ = t = 0
    for b in battles:
        if system not in (b.a, b.b):
            continue
        if b.winner == "tie":
            t += 1
        elif (b.winner == "a") == (b.a == system):
            w += 1
        else:
            l_ += 1
    return w, l_, t


def _ranking(
    method: str,
    battles: Sequence[Battle],
    point: dict[str, float],
    boots: list[dict[str, float]],
    resamples: int,
    level: float,
) -> Ranking:
    ratings = []
    for s, value in point.items():
        samples = [b[s] for b in boots if s in b and math.isfinite(b[s])]
        low, high = _percentiles(samples, level) if samples else (math.nan, math.nan)
        w, l_, t = _record(battles, s)
        ratings.append(SystemRating(s, Estimate(value, low, high, level, w + l_ + t), w, l_, t))
    ratings.sort(key=lambda r: (-r.rating.value, r.system))
    return Ranking(method, tuple(ratings), len(battles), resamples)


def _fit_with_bootstrap(
    method: str,
    battles: Sequence[Battle],
    fit: Callable[[Sequence[Battle], list[str]], dict[str, float]],
    refit: Callable[[Sequence[Battle], list[str]], dict[str, float]] | None = None,
    *,
    resamples: int,
    level: float,
    seed: int,
) -> Ranking:
    """Point ratings from ``fit`` on the battles as given, intervals from ``refit`` (default
    ``fit``; a cheaper fit suffices per resample) on ``resamples`` seeded bootstrap resamples of
    them (drawn with replacement, so also in a random order)."""
    if not battles:
        raise ValueError("no battles")
    systems = _systems(battles)
    point = fit(battles, systems)
    rng = random.Random(seed)
    refit = refit or fit
    boots = [refit(rng.choices(battles, k=len(battles)), systems) for _ in range(resamples)]
    return _ranking(method, battles, point, boots, resamples, level)


def bradley_terry(
    battles: Sequence[Battle],
    *,
    prior: float = 0.5,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
    iterations: int = 10_000,
    tol: float = 1e-10,
) -> Ranking:
    """Bradley–Terry ratings (maximum likelihood by MM iteration) with bootstrap intervals.

    Args:
        battles: The judged comparisons; ties count half a win for each side.
        prior: Tied pseudo-games added between every pair that met (0: plain MLE, which is
            infinite for a system that never lost or never won).
        resamples: Bootstrap resamples of the battles (0: no interval).
        level: Interval level.
        seed: Seeds the bootstrap.
        iterations: Cap on MM iterations.
        tol: Stop when no strength changes by more than this.

    Returns:
        Systems on the Elo scale (``1000 + 400 log10 p``, geometric mean of ``p`` = 1).

    Raises:
        ValueError: Without battles.
    """
    return _fit_with_bootstrap(
        "bradley_terry",
        battles,
        lambda bs, systems: _bt_fit(bs, systems, prior, iterations, tol),
        lambda bs, systems: _bt_fit(bs, systems, prior, 2000, 1e-8),
        resamples=resamples,
        level=level,
        seed=seed,
    )


def _elo_replay(battles: Sequence[Battle], systems: list[str], k: float) -> dict[str, float]:
    r = dict.fromkeys(systems, ELO_BASE)
    for b in battles:
        expected = 1.0 / (1.0 + 10 ** ((r[b.b] - r[b.a]) / ELO_SCALE))
        r[b.a] += k * (b.score_a - expected)
        r[b.b] -= k * (b.score_a - expected)
    return r


def elo(
    battles: Sequence[Battle],
    *,
    k: float = 16.0,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> Ranking:
    """Online Elo ratings: every system starts at 1000, each battle moves both by
    ``k * (score - expected)``.

    The point rating replays the battles in the given order (Elo depends on it); the interval
    replays bootstrap resamples in random orders, so it covers order as well as sampling.

    Raises:
        ValueError: Without battles.
    """
    return _fit_with_bootstrap(
        "elo",
        battles,
        lambda bs, systems: _elo_replay(bs, systems, k),
        resamples=resamples,
        level=level,
        seed=seed,
    )
