"""Persona consistency and drift over turns (survey §9.1): does a simulated user stay the
person it was given, and true to what it said before, as the conversation goes on?

Per user turn (numbered 1, 2, ... within its conversation):

- ``profile``: cosine similarity between the turn and the user's rendered profile plus goal
  (MiniLM sentence embeddings, or TF-IDF without them; the report names the encoder);
- ``self``: cosine similarity between the turn and the mean of the same user's earlier turns
  (from the second user turn on);
- ``judge:<dimension>``: with a judge, the scores of the versioned rubric
  ``persona_consistency`` (``profile_consistency``, ``self_consistency``, 1–5), asked per
  user turn with the profile and goal as the first context lines.

Each measure becomes a curve — per turn number, the mean over conversations with a 95%
bootstrap interval and n (``[{turn, mean, lo, hi, n}]``, ready to plot) — and a drift slope: the
least-squares slope of the measure on the turn number over all turns, with an interval from
resampling whole conversations (negative: consistency falls as the conversation goes on).
Embedding similarity also rewards repeating the profile's words, and its level depends on the
encoder: compare runs on the same encoder, and read a slope rather than a level.
"""

from __future__ import annotations

import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

from simulacra.conversation import Conversation
from simulacra.evaluation._judge import JudgeItem, Verdict
from simulacra.evaluation._metrics import _is_user
from simulacra.evaluation._population import Population
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles, bootstrap_mean
from simulacra.evaluation._vectors import embed
from simulacra.participants import render_profile

__all__ = [
    "DRIFT_RUBRIC",
    "CurvePoint",
    "DriftReport",
    "TurnConsistency",
    "drift_items",
    "drift_report",
    "profile_text",
]

DRIFT_RUBRIC = "persona_consistency"
"""The packaged rubric of the judge-based measure."""


@dataclass(frozen=True)
class CurvePoint:
    """One point of a consistency curve: the mean at a user-turn number, with its interval."""

    turn: int
    mean: float
    lo: float
    hi: float
    n: int


@dataclass(frozen=True)
class TurnConsistency:
    """The measures of one user turn.

    Attributes:
        conversation_id: Its conversation.
        turn_index: Its index among all turns of the conversation.
        user_turn: Its number among the user's turns (from 1).
        values: Measure → value (``self`` is absent on the first user turn).
    """

    conversation_id: str
    turn_index: int
    user_turn: int
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftReport:
    """Consistency curves and drift slopes of a population.

    Attributes:
        source: What was measured.
        encoder: The encoder of the embedding measures.
        n_conversations: Conversations with user turns.
        judge: The judge's id, when one was used; ``rubric`` its rubric ref.
        curves: Measure → points by user-turn number.
        slopes: Measure → least-squares slope per user turn (interval over conversations).
        means: Measure → mean over all turns (interval over conversations).
        turns: Every measured user turn.
        unscored: Judge verdicts without scores (left out).
    """

    source: str
    encoder: str | None
    n_conversations: int
    judge: str | None = None
    rubric: str | None = None
    curves: dict[str, list[CurvePoint]] = field(default_factory=dict)
    slopes: dict[str, Estimate] = field(default_factory=dict)
    means: dict[str, Estimate] = field(default_factory=dict)
    turns: list[TurnConsistency] = field(default_factory=list)
    unscored: int = 0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary (curves as lists of ``{turn, mean, lo, hi, n}``)."""

        return {
            "source": self.source,
            "encoder": self.encoder,
            "n_conversations": self.n_conversations,
            "judge": self.judge,
            "rubric": self.rubric,
            "unscored": self.unscored,
            "curves": {k: [asdict(p) for p in v] for k, v in self.curves.items()},
            "slopes": {k: _estimate_dict(v) for k, v in self.slopes.items()},
            "means": {k: _estimate_dict(v) for k, v in self.means.items()},
            "turns": [asdict(t) for t in self.turns],
        }


def profile_text(population: Population, conversation: Conversation) -> str:
    """The user's rendered profile and goal, as the user was given them."""

    users = _is_user(conversation)
    parts = []
    for p in conversation.participants:
        if p.id in users and p.profile is not None:
            parts.append(render_profile(p.profile)[0])
            break
    goal = population.goal_of(conversation)
    if goal:
        parts.append(goal)
    return "\n".join(parts)


def _user_turns(c: Conversation) -> list[int]:
    users = _is_user(c)
    return [i for i, t in enumerate(c.turns) if t.speaker in users]


def drift_items(population: Population, *, context_turns: int = 6) -> list[JudgeItem]:
    """One judge item per user turn: the profile and goal as ``[Profile]`` / ``[Goal]`` lines,
    then up to ``context_turns`` earlier turns, and the user turn as the response."""
    from simulacra.participants import render_profile

    items: list[JudgeItem] = []
    for c in population.conversations:
        names = {p.id: p.name for p in c.participants}
        users = _is_user(c)
        head = [
            f"[Profile] {render_profile(p.profile)[0]}"
            for p in c.participants
            if p.id in users and p.profile is not None
        ][:1]
        if goal := population.goal_of(c):
            head.append(f"[Goal] {goal}")
        lines = [f"{names.get(t.speaker, t.speaker)}: {t.utterance}" for t in c.turns]
        for i in _user_turns(c):
            items.append(
                JudgeItem(
                    id=f"{c.id}:{i}",
                    context=(*head, *lines[max(0, i - context_turns) : i]),
                    response=c.turns[i].utterance,
                    conversation_id=c.id,
                    turn_index=i,
                )
            )
    return items


def _mean(points: Sequence[tuple[float, float]]) -> float | None:
    return statistics.fmean(v for _, v in points) if points else None


def _slope(points: Sequence[tuple[float, float]]) -> float | None:
    if len(points) < 3:
        return None
    mx = statistics.fmean(x for x, _ in points)
    my = statistics.fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    if sxx <= 1e-12:
        return None
    return sum((x - mx) * (y - my) for x, y in points) / sxx


def _aggregate(
    report: DriftReport, per_conv: dict[str, dict[str, list[tuple[int, float]]]], *, seed: int
) -> None:
    measures = sorted({m for conv in per_conv.values() for m in conv})
    conv_ids = list(per_conv)
    rng = random.Random(seed)
    for m in measures:
        by_turn: dict[int, list[float]] = defaultdict(list)
        for cid in conv_ids:
            for turn, v in per_conv[cid].get(m, []):
                by_turn[turn].append(v)
        report.curves[m] = [
            CurvePoint(t, est.value, est.low, est.high, est.n)
            for t in sorted(by_turn)
            for est in [bootstrap_mean(by_turn[t], resamples=1000, seed=seed)]
        ]
        owners = [cid for cid in conv_ids if per_conv[cid].get(m)]
        allpoints = [(float(t), v) for cid in owners for t, v in per_conv[cid][m]]
        report.means[m] = _cluster(owners, per_conv, m, rng, _mean, allpoints)
        slope = _slope(allpoints)
        if slope is not None:
            report.slopes[m] = _cluster(owners, per_conv, m, rng, _slope, allpoints)


def _cluster(
    owners: Sequence[str],
    per_conv: dict[str, dict[str, list[tuple[int, float]]]],
    measure: str,
    rng: random.Random,
    stat: Callable[[Sequence[tuple[float, float]]], float | None],
    points: Sequence[tuple[float, float]],
    resamples: int = 1000,
) -> Estimate:
    """``stat`` of all points with a percentile interval from resampling conversations."""
    point = stat(points)
    assert point is not None
    samples: list[float] = []
    for _ in range(resamples):
        drawn = [owners[rng.randrange(len(owners))] for _ in owners]
        pts = [(float(t), v) for cid in drawn for t, v in per_conv[cid][measure]]
        if (value := stat(pts)) is not None:
            samples.append(value)
    low, high = _percentiles(samples, 0.95) if samples else (point, point)
    return Estimate(point, low, high, 0.95, len(owners))


def drift_report(
    population: Population,
    *,
    encoder: str = "auto",
    verdicts: Sequence[Verdict] | None = None,
    seed: int = 0,
) -> DriftReport:
    """Per-turn consistency, curves and drift slopes (see the module docstring).

    Args:
        population: Conversations with their goals (:func:`~simulacra.evaluation.
            load_population`).
        encoder: ``auto``, ``minilm`` or ``tfidf``.
        verdicts: Judge verdicts on :func:`drift_items` (item ids ``<conversation>:<turn>``).
        seed: Bootstrap seed.
    """
    convs = [c for c in population.conversations if _user_turns(c)]
    profiles = [profile_text(population, c) for c in convs]
    turn_ids = [(k, i) for k, c in enumerate(convs) for i in _user_turns(c)]
    texts = [convs[k].turns[i].utterance for k, i in turn_ids]
    vectors, name = embed([*profiles, *texts], encoder=encoder)
    pv, tv = vectors[: len(profiles)], vectors[len(profiles) :]
    judge = verdicts[0].judge if verdicts else None
    rubric = verdicts[0].rubric if verdicts else None
    by_item = {v.item_id: v for v in verdicts or ()}
    unscored = sum(v.error is not None for v in verdicts or ())
    report = DriftReport(population.source, name, len(convs), judge, rubric, unscored=unscored)
    per_conv: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    row = 0
    for k, c in enumerate(convs):
        earlier = None
        for number, i in enumerate(_user_turns(c), start=1):
            v = tv[row]
            row += 1
            values: dict[str, float] = {}
            if profiles[k].strip():
                values["profile"] = float(v @ pv[k])
            if earlier is not None:
                norm = float((earlier @ earlier) ** 0.5)
                if norm > 1e-9:
                    values["self"] = float(v @ earlier) / norm
            earlier = v if earlier is None else earlier + v
            verdict = by_item.get(f"{c.id}:{i}")
            if verdict is not None and verdict.error is None:
                values.update({f"judge:{d}": s for d, s in verdict.scores.items()})
            for m, value in values.items():
                per_conv[c.id][m].append((number, value))
            report.turns.append(TurnConsistency(c.id, i, number, values))
    _aggregate(report, per_conv, seed=seed)
    return report
