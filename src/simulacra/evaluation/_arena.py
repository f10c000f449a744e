"""Arena (survey §6, G.5): rank several target systems from pairwise judgments of their
conversations with the same simulated users, as VideoAutoArena and Chatbot Arena do.

- :class:`Battle` is one judged comparison of two systems (``a`` wins, ``b`` wins, or a tie).
- :func:`bradley_terry` fits the Bradley–Terry model ``P(i beats j) = p_i / (p_i + p_j)`` by the
  minorise–maximise iteration of Hunter (2004), ties counted as half a win for each side, and
  bootstraps the battles for intervals. :func:`elo` replays the battles as online Elo updates
  (order-dependent: the interval resamples *and* reshuffles). Both are usable on any battles,
  not only those made here.
- :func:`arena` pairs the conversations of several runs by (scenario, profile, epoch) — the
  same simulated user, same seed — and asks a judge model which system did better, in both
  orders (:func:`~simulacra.evaluation.compare_pair`); only an order-consistent verdict is a
  win, an order-dependent one is a tie, an unanswered one is left out and counted.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.evaluation._reliability import PairVerdict, PositionBias, compare_pair, position_bias
from simulacra.evaluation._stats import Estimate, _percentiles
from simulacra.models import GenerateConfig, Model

__all__ = [
    "ArenaReport",
    "Battle",
    "Ranking",
    "SystemRating",
    "arena",
    "bradley_terry",
    "elo",
]

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
    if not battles:
        raise ValueError("no battles")
    systems = _systems(battles)
    point = _bt_fit(battles, systems, prior, iterations, tol)
    rng = random.Random(seed)
    boots = [
        _bt_fit(rng.choices(battles, k=len(battles)), systems, prior, 2000, 1e-8)
        for _ in range(resamples)
    ]
    return _ranking("bradley_terry", battles, point, boots, resamples, level)


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
    if not battles:
        raise ValueError("no battles")
    systems = _systems(battles)
    point = _elo_replay(battles, systems, k)
    rng = random.Random(seed)
    boots = [
        _elo_replay(rng.choices(battles, k=len(battles)), systems, k) for _ in range(resamples)
    ]
    return _ranking("elo", battles, point, boots, resamples, level)


@dataclass(frozen=True)
class ArenaReport:
    """Systems ranked from judged pairs of their conversations.

    Attributes:
        systems: System name → its run directory (or ``""`` for conversations given directly).
        n_keys: (scenario, profile, epoch) keys that every pair compared had in common.
        battles: The order-consistent outcomes (order-dependent verdicts are ties).
        unanswered: Comparisons the judge did not answer in both orders (left out).
        bradley_terry: Bradley–Terry ranking.
        elo: Elo ranking.
        position_bias: Flip rate and first-position win rate of the judge over these pairs.
        judge: The judge's name.
        verdicts: Per comparison: key, systems and both orders' answers.
    """

    systems: dict[str, str]
    n_keys: int
    battles: tuple[Battle, ...]
    unanswered: int
    bradley_terry: Ranking
    elo: Ranking
    position_bias: PositionBias
    judge: str
    verdicts: tuple[dict[str, str | None], ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "judge": self.judge,
            "systems": self.systems,
            "n_keys": self.n_keys,
            "n_battles": len(self.battles),
            "unanswered": self.unanswered,
            "ties": sum(b.winner == "tie" for b in self.battles),
            "bradley_terry": self.bradley_terry.to_dict(),
            "elo": self.elo.to_dict(),
            "position_bias": self.position_bias.to_dict(),
            "verdicts": list(self.verdicts),
        }


def _key(c: Conversation) -> str:
    profile = c.metadata.get("profile_id") or next(
        (p.profile.profile_id() for p in c.participants if p.profile is not None), ""
    )
    return f"{c.scenario_id}|{profile}|{c.metadata.get('epoch', 0)}"


def _load(
    runs: Sequence[str | Path] | Mapping[str, Sequence[Conversation]],
) -> tuple[dict[str, str], dict[str, dict[str, Conversation]]]:
    from simulacra.runs import read_conversations, read_run

    if isinstance(runs, Mapping):
        return {n: "" for n in runs}, {n: {_key(c): c for c in cs} for n, cs in runs.items()}
    names: dict[str, str] = {}
    convs: dict[str, dict[str, Conversation]] = {}
    for run in runs:
        path = Path(run)
        if not path.is_dir():
            raise ConfigError(f"run directory not found: {path}")
        base = str(read_run(path).get("name") or path.name)
        name, n = base, 2
        while name in names:
            name, n = f"{base}#{n}", n + 1
        names[name] = str(path)
        convs[name] = {_key(c): c for c in read_conversations(path)}
    return names, convs


def _lines(c: Conversation, turns: Sequence[int]) -> list[str]:
    names = {p.id: p.name for p in c.participants}
    return [
        f"{names.get(c.turns[i].speaker, c.turns[i].speaker)}: {c.turns[i].utterance}"
        for i in turns
    ]


def _split(x: Conversation, y: Conversation, max_chars: int) -> tuple[list[str], str, str]:
    """The turns both conversations share (the context) and each one's rest, bounded."""
    shared = 0
    for tx, ty in zip(x.turns, y.turns, strict=False):
        if tx.speaker != ty.speaker or tx.utterance != ty.utterance:
            break
        shared += 1
    context = _lines(x, range(shared))
    rest_x = "\n".join(_lines(x, range(shared, len(x.turns))))
    rest_y = "\n".join(_lines(y, range(shared, len(y.turns))))
    return context, rest_x[:max_chars], rest_y[:max_chars]


CRITERION = (
    "the same user talked to two assistants; which continuation of the conversation served "
    "the user better (helpful, correct, on task)"
)


async def arena(
    runs: Sequence[str | Path] | Mapping[str, Sequence[Conversation]],
    judge: Model,
    *,
    criterion: str = CRITERION,
    max_chars: int = 1500,
    limit: int | None = None,
    config: GenerateConfig | None = None,
    prior: float = 0.5,
    resamples: int = 1000,
    seed: int = 0,
) -> ArenaReport:
    """Judge every pair of systems on the conversations they share and rank the systems.

    Args:
        runs: Run directories (a system is named by its run's ``name``) or a mapping of system
            name → conversations.
        judge: The pairwise judge model; asked twice per comparison, the order swapped.
        criterion: What "better" means, in the judge prompt.
        max_chars: Bound on each side's transcript shown to the judge.
        limit: At most this many keys per pair of systems (the first, sorted).
        config: Judge generation options (default temperature 0, 100 tokens).
        prior: Passed to :func:`bradley_terry`.
        resamples: Bootstrap resamples of both rankings.
        seed: Seeds the bootstraps.

    Raises:
        ConfigError: With fewer than two systems, a missing run, or two systems that share no
            (scenario, profile, epoch).
    """
    names, convs = _load(runs)
    if len(names) < 2:
        raise ConfigError(f"an arena needs at least 2 systems, got {len(names)}")
    battles: list[Battle] = []
    verdicts: list[PairVerdict] = []
    records: list[dict[str, str | None]] = []
    keys_seen: set[str] = set()
    unanswered = 0
    for a, b in itertools.combinations(names, 2):
        shared = sorted(set(convs[a]) & set(convs[b]))
        if not shared:
            raise ConfigError(f"systems {a!r} and {b!r} share no (scenario, profile, epoch)")
        for key in shared[:limit] if limit else shared:
            keys_seen.add(key)
            context, x, y = _split(convs[a][key], convs[b][key], max_chars)
            v = await compare_pair(
                judge, context=context, x=x, y=y, criterion=criterion, config=config
            )
            verdicts.append(v)
            records.append({"key": key, "a": a, "b": b, "forward": v.forward, "swapped": v.swapped})
            if v.winner is None:
                unanswered += 1
                continue
            winner: Literal["a", "b", "tie"] = (
                "a" if v.winner == "x" else "b" if v.winner == "y" else "tie"
            )
            battles.append(Battle(a, b, winner, id=key))
    if not battles:
        raise ConfigError(f"the judge answered none of {len(verdicts)} comparisons")
    return ArenaReport(
        systems=names,
        n_keys=len(keys_seen),
        battles=tuple(battles),
        unanswered=unanswered,
        bradley_terry=bradley_terry(battles, prior=prior, resamples=resamples, seed=seed),
        elo=elo(battles, resamples=resamples, seed=seed),
        position_bias=position_bias(verdicts),
        judge=judge.name,
        verdicts=tuple(records),
    )
