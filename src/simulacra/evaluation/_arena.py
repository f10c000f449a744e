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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError
from simulacra.evaluation._arena_fit import ELO_BASE as ELO_BASE
from simulacra.evaluation._arena_fit import ELO_SCALE as ELO_SCALE
from simulacra.evaluation._arena_fit import Battle, Ranking, SystemRating, bradley_terry, elo
from simulacra.evaluation._reliability import PairVerdict, PositionBias, compare_pair, position_bias
from simulacra.log import read_conversations, read_run
from simulacra.models import GenerateConfig, Model

# The rating half of the arena lives in ``_arena_fit``; its names (and the Elo scale constants)
# stay importable from here.
__all__ = [
    "ArenaReport",
    "Battle",
    "Ranking",
    "SystemRating",
    "arena",
    "bradley_terry",
    "elo",
]


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
