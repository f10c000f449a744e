"""Simulator sensitivity: how much a target's scores depend on the simulated user that drove it
(issue #22).

The same scenarios are run against the same target(s) with each simulated-user configuration.
For every target metric this reports:

- each (simulator, target) mean with a bootstrap interval over work items (scenario, profile,
  epoch);
- per target, the **spread** across simulators (largest mean minus smallest) with an interval
  from a *paired* bootstrap: one resample of work items is applied to every simulator, since
  they ran the same items;
- with several targets, the **ranking stability**: Kendall's τ-b between the targets' means
  under each pair of simulators, averaged over the pairs, with the same paired bootstrap
  interval (1: every simulator ranks the targets alike; −1: a pair ranks them reversed).

Only work items that every (simulator, target) cell completed are compared.
"""

from __future__ import annotations

import itertools
import random
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from simulacra._validation import read_jsonl
from simulacra.conversation import TerminationReason
from simulacra.evaluation._population import run_population
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles
from simulacra.log import read_run
from simulacra.participants import is_simulator_invalid, task_success

__all__ = [
    "SensitivityReport",
    "Table",
    "kendall_tau",
    "run_metrics",
    "sensitivity_report",
]

Table = Mapping[str, Mapping[str, Mapping[str, Mapping[str, float]]]]
"""simulator -> target -> work item -> metric -> value."""


def kendall_tau(a: Sequence[float], b: Sequence[float]) -> float:
    """Kendall's τ-b of two paired sequences (NaN when either is constant)."""
    concordant = discordant = ties_a = ties_b = 0
    for i, j in itertools.combinations(range(len(a)), 2):
        da, db = a[i] - a[j], b[i] - b[j]
        if da == 0 and db == 0:
            continue
        if da == 0:
            ties_a += 1
        elif db == 0:
            ties_b += 1
        elif (da > 0) == (db > 0):
            concordant += 1
        else:
            discordant += 1
    n0 = concordant + discordant
    denom = ((n0 + ties_a) * (n0 + ties_b)) ** 0.5
    return (concordant - discordant) / denom if denom else float("nan")


@dataclass(frozen=True)
class SensitivityReport:
    """The simulator-sensitivity report.

    Attributes:
        simulators: Simulated-user configurations, in order.
        targets: Targets, in order.
        items: Work items compared (common to every cell).
        means: metric -> target -> simulator -> mean with interval.
        spread: metric -> target -> largest minus smallest simulator mean, with interval.
        ranking: metric -> mean Kendall τ-b over simulator pairs, with interval (only with two
            or more targets and simulators).
        pairwise_tau: metric -> ``"A vs B"`` -> τ-b of the target means under A and B.
    """

    simulators: list[str]
    targets: list[str]
    items: int
    means: dict[str, dict[str, dict[str, Estimate]]]
    spread: dict[str, dict[str, Estimate]]
    ranking: dict[str, Estimate]
    pairwise_tau: dict[str, dict[str, float]]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "simulators": self.simulators,
            "targets": self.targets,
            "items": self.items,
            "means": {
                m: {t: {s: _estimate_dict(e) for s, e in row.items()} for t, row in by_t.items()}
                for m, by_t in self.means.items()
            },
            "spread": {
                m: {t: _estimate_dict(e) for t, e in by_t.items()}
                for m, by_t in self.spread.items()
            },
            "ranking": {m: _estimate_dict(e) for m, e in self.ranking.items()},
            "pairwise_tau": self.pairwise_tau,
        }


def _interval(samples: list[float], value: float, n: int) -> Estimate:
    clean = [x for x in samples if x == x]
    low, high = _percentiles(clean, 0.95) if clean else (float("nan"), float("nan"))
    return Estimate(value, low, high, 0.95, n)


def sensitivity_report(table: Table, *, seed: int = 0, resamples: int = 1000) -> SensitivityReport:
    """Means, spreads and ranking stability of every metric (module docstring).

    Raises:
        ValueError: Fewer than two simulators, or no work item common to every cell.
    """
    sims = list(table)
    if len(sims) < 2:
        raise ValueError("sensitivity needs at least two simulated-user configurations")
    targets = list(table[sims[0]])
    cells = [(s, t) for s in sims for t in targets]
    common: set[str] = set(table[sims[0]].get(targets[0], {}))
    for s, t in cells:
        common &= set(table[s].get(t, {}))
    items = sorted(common)
    if not items:
        raise ValueError("no work item was completed by every simulator and target")
    metric_set: set[str] = {k for i in items for k in table[sims[0]][targets[0]][i]}
    for s, t in cells:  # a metric every cell measured (judge scores only where judged)
        metric_set &= {k for i in items for k in table[s][t][i]}
    metrics = sorted(metric_set)
    rng = random.Random(seed)
    draws = [rng.choices(range(len(items)), k=len(items)) for _ in range(resamples)]

    def mean(s: str, t: str, m: str, idx: Sequence[int]) -> float:
        vals = [table[s][t][items[i]].get(m) for i in idx]
        nums = [float(v) for v in vals if v is not None]
        return statistics.fmean(nums) if nums else float("nan")

    everything = list(range(len(items)))
    means: dict[str, dict[str, dict[str, Estimate]]] = {}
    spread: dict[str, dict[str, Estimate]] = {}
    ranking: dict[str, Estimate] = {}
    pairwise: dict[str, dict[str, float]] = {}
    for m in metrics:
        point = {(s, t): mean(s, t, m, everything) for s, t in cells}
        boot = [{(s, t): mean(s, t, m, d) for s, t in cells} for d in draws]
        means[m] = {
            t: {s: _interval([b[s, t] for b in boot], point[s, t], len(items)) for s in sims}
            for t in targets
        }
        spread[m] = {
            t: _interval(
                [max(b[s, t] for s in sims) - min(b[s, t] for s in sims) for b in boot],
                max(point[s, t] for s in sims) - min(point[s, t] for s in sims),
                len(items),
            )
            for t in targets
        }
        if len(targets) >= 2:
            pairs = list(itertools.combinations(sims, 2))

            def tau(p: Mapping[tuple[str, str], float], a: str, b: str) -> float:
                return kendall_tau([p[a, t] for t in targets], [p[b, t] for t in targets])

            pairwise[m] = {f"{a} vs {b}": tau(point, a, b) for a, b in pairs}
            taus = [v for v in pairwise[m].values() if v == v]
            value = statistics.fmean(taus) if taus else float("nan")
            samples = []
            for b in boot:
                ts = [x for a, c in pairs if (x := tau(b, a, c)) == x]
                samples.append(statistics.fmean(ts) if ts else float("nan"))
            ranking[m] = _interval(samples, value, len(items))
    return SensitivityReport(sims, targets, len(items), means, spread, ranking, pairwise)


def _judge_scores(directory: Path) -> dict[str, float]:
    path = directory / "judgments.jsonl"
    if not path.is_file():
        return {}
    sums: dict[str, list[float]] = {}
    for _, row in read_jsonl(path, on_invalid=lambda number, message: None):  # torn: skipped
        scores = row.get("scores")
        cid = row.get("conversation_id")
        if isinstance(scores, dict) and isinstance(cid, str):
            vals = [float(x) for x in scores.values() if isinstance(x, int | float)]
            if vals:
                sums.setdefault(cid, []).append(statistics.fmean(vals))
    return {cid: statistics.fmean(v) for cid, v in sums.items()}


def run_metrics(run_dir: str | Path) -> dict[str, dict[str, float]]:
    """The target metrics of each work item of a run: ``task_success`` (the lexical check
    against the scenario's structured goal, where there is one), ``goal_reached`` (ended with
    the goal reached), ``turns``, and ``judge`` (mean judge score, when ``judgments.jsonl``
    holds one). Conversations that a simulator or the infrastructure broke, or that the validity
    gate flagged ``simulator_invalid`` (unless the run's ``validity.exclude_invalid`` is off), are
    left out. Work items are keyed
    ``scenario|epoch|k``, ``k`` counting the conversations of that scenario and epoch in
    profile-id order (so simulators with different profiles still pair up)."""

    population = run_population(run_dir)
    judged = _judge_scores(Path(run_dir))
    config = read_run(Path(run_dir)).get("config") or {}
    validity = config.get("validity") if isinstance(config, dict) else None
    exclude = not isinstance(validity, dict) or validity.get("exclude_invalid", True) is not False
    keep = [
        c
        for c in population.conversations
        if c.termination
        not in (TerminationReason.SIMULATOR_ERROR, TerminationReason.INFRASTRUCTURE_ERROR)
        and not (exclude and is_simulator_invalid(c))
    ]
    keep.sort(
        key=lambda c: (
            c.scenario_id or "",
            c.metadata.get("epoch", 0),
            str(c.metadata.get("profile_id", "")),
        )
    )
    seen: dict[tuple[str, int], int] = {}
    out: dict[str, dict[str, float]] = {}
    for c in keep:
        group = (c.scenario_id or c.id, int(c.metadata.get("epoch", 0) or 0))
        k = seen[group] = seen.get(group, -1) + 1
        row = {
            "goal_reached": float(c.termination == TerminationReason.GOAL_REACHED),
            "turns": float(len(c.turns)),
        }
        task = population.task_of(c)
        if task is not None:
            row["task_success"] = float(task_success(task, c).success)
        if c.id in judged:
            row["judge"] = judged[c.id]
        out[f"{group[0]}|{group[1]}|{k}"] = row
    return out
