"""The change of every metric between a baseline run and a shifted run (survey §6: robustness to
distribution shifts and adversarial users), each with a bootstrap CI of the difference.

Conversations pair up by id (a shift keeps scenario and profile ids, so work-item ids match):
the difference of paired conversations is bootstrapped over pairs; without pairs the two runs
are bootstrapped independently. Infrastructure failures are left out, as in every metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from simulacra.conversation import Conversation, TerminationReason
from simulacra.evaluation._metrics import SuccessCheck, compute_metrics
from simulacra.evaluation._stats import (
    Estimate,
    _estimate_dict,
    bootstrap_mean,
    bootstrap_mean_difference,
)

__all__ = ["MetricShift", "RobustnessReport", "ShiftReport", "compare_runs", "error_rate"]

Measure = Callable[[Conversation], float]

_REPORTED = ("success", "turns", "user_words_per_turn", "target_words_per_turn")


def error_rate(conversation: Conversation) -> float:
    """1 when the conversation ended in a target or simulator error."""
    return float(
        conversation.termination
        in (TerminationReason.TARGET_ERROR, TerminationReason.SIMULATOR_ERROR)
    )


@dataclass(frozen=True)
class MetricShift:
    """One metric under a shift.

    Attributes:
        baseline: Mean on the baseline run (bootstrap CI, n).
        shifted: Mean on the shifted run.
        difference: ``shifted - baseline`` with its bootstrap CI (paired when ``paired``).
        paired: Whether the difference was bootstrapped over paired conversations.
    """

    baseline: Estimate
    shifted: Estimate
    difference: Estimate
    paired: bool

    def to_dict(self) -> dict[str, object]:
        return {
            "baseline": _estimate_dict(self.baseline, level=False),
            "shifted": _estimate_dict(self.shifted, level=False),
            "difference": _estimate_dict(self.difference, level=False),
            "paired": self.paired,
        }


def _per_conversation(
    conversations: Sequence[Conversation],
    checks: Mapping[str, SuccessCheck] | None,
    measures: Mapping[str, Measure],
    scores: Mapping[str, float] | None,
) -> dict[str, dict[str, float]]:
    report = compute_metrics(
        conversations, metrics=("turns", "lengths", "success"), checks=checks, resamples=10
    )
    out: dict[str, dict[str, float]] = {}
    for c in conversations:
        row = {
            k: v
            for k, v in report.per_conversation[c.id].items()
            if k in _REPORTED or k.startswith("check:")
        }
        row["error_rate"] = error_rate(c)
        for name, measure in measures.items():
            row[name] = float(measure(c))
        if scores is not None and c.id in scores:
            row["judge"] = scores[c.id]
        out[c.id] = row
    return out


def compare_runs(
    baseline: Sequence[Conversation],
    shifted: Sequence[Conversation],
    *,
    checks: Mapping[str, SuccessCheck] | None = None,
    measures: Mapping[str, Measure] | None = None,
    judge_scores: tuple[Mapping[str, float], Mapping[str, float]] | None = None,
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, MetricShift]:
    """Every metric on both runs and its change.

    Args:
        baseline: The baseline run's conversations.
        shifted: The shifted run's conversations.
        checks: Task-success checks (default: ended with ``goal_reached``); ``success`` is all of
            them, each is also reported as ``check:<name>``.
        measures: Extra per-conversation measures (e.g. attack success), name → function.
        judge_scores: Per-conversation judge scores of (baseline, shifted), reported as ``judge``.
        resamples: Bootstrap resamples.
        seed: Bootstrap seed.
    """
    keep = [c for c in baseline if c.termination != TerminationReason.INFRASTRUCTURE_ERROR]
    keep_s = [c for c in shifted if c.termination != TerminationReason.INFRASTRUCTURE_ERROR]
    base_rows = _per_conversation(
        keep, checks, measures or {}, judge_scores[0] if judge_scores else None
    )
    shift_rows = _per_conversation(
        keep_s, checks, measures or {}, judge_scores[1] if judge_scores else None
    )
    names = list(dict.fromkeys(k for row in base_rows.values() for k in row))
    out: dict[str, MetricShift] = {}
    for name in names:
        a = {cid: row[name] for cid, row in base_rows.items() if name in row}
        b = {cid: row[name] for cid, row in shift_rows.items() if name in row}
        if not a or not b:
            continue
        pairs = sorted(a.keys() & b.keys())
        base_e = bootstrap_mean(list(a.values()), resamples=resamples, seed=seed)
        shift_e = bootstrap_mean(list(b.values()), resamples=resamples, seed=seed)
        if len(pairs) >= 2 and len(pairs) == len(a) == len(b):
            diff = bootstrap_mean([b[k] - a[k] for k in pairs], resamples=resamples, seed=seed)
            out[name] = MetricShift(base_e, shift_e, diff, True)
        else:
            diff = bootstrap_mean_difference(
                list(b.values()), list(a.values()), resamples=resamples, seed=seed
            )
            out[name] = MetricShift(base_e, shift_e, diff, False)
    return out


@dataclass
class ShiftReport:
    """One shift's effect.

    Attributes:
        shift: ``kind:arg``.
        run_dir: The shifted run.
        changes: The config fields the shift changed.
        notes: Anything the shift recorded.
        metrics: Metric → its change.
    """

    shift: str
    run_dir: str
    changes: list[str]
    notes: list[str] = field(default_factory=list)
    metrics: dict[str, MetricShift] = field(default_factory=dict)


@dataclass
class RobustnessReport:
    """A baseline run and the effect of each shift on it."""

    config: str
    baseline_run: str
    shifts: list[ShiftReport] = field(default_factory=list)
    judge: str | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "config": self.config,
            "baseline_run": self.baseline_run,
            "judge": self.judge,
            "shifts": [
                {
                    "shift": s.shift,
                    "run_dir": s.run_dir,
                    "changes": s.changes,
                    "notes": s.notes,
                    "metrics": {k: v.to_dict() for k, v in s.metrics.items()},
                }
                for s in self.shifts
            ],
        }

    def to_markdown(self) -> str:
        """One table per shift: metric, baseline, shifted, difference [95% CI]."""
        lines = [f"# Robustness report: {self.config}", "", f"Baseline run: `{self.baseline_run}`"]
        for s in self.shifts:
            lines += [
                "",
                f"## {s.shift}",
                "",
                f"Run: `{s.run_dir}`  ",
                f"Changed: {', '.join(s.changes)}",
            ]
            lines += [f"Note: {n}  " for n in s.notes]
            lines += [
                "",
                "| metric | baseline | shifted | difference [95% CI] | n |",
                "|---|---|---|---|---|",
            ]
            for name, m in s.metrics.items():
                d = m.difference
                pairing = "paired" if m.paired else "unpaired"
                lines.append(
                    f"| {name} | {m.baseline.value:.3f} | {m.shifted.value:.3f} | "
                    f"{d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}] | {m.shifted.n} ({pairing}) |"
                )
        return "\n".join(lines) + "\n"
