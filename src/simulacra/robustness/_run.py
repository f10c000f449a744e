"""Run a baseline config and each shifted config, then report the change of every metric."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from simulacra._atomic import write_text_atomic
from simulacra.conversation import Conversation, TerminationReason
from simulacra.evaluation._judge import JudgeItem, Verdict, conversation_items, judge_run
from simulacra.evaluation._robustness import RobustnessReport, ShiftReport, compare_runs
from simulacra.models import Model
from simulacra.participants import TaskGoal, task_success
from simulacra.robustness._shifts import Shift, ShiftedConfig, apply_shift, attack_succeeded
from simulacra.runs import RunConfig, execute_run, read_conversations

__all__ = ["Judge", "run_robustness", "task_checks"]


class Judge(Protocol):
    """What the report needs of a judge (:class:`~simulacra.evaluation.RubricJudge`,
    :class:`~simulacra.evaluation.BaselineJudge`)."""

    name: str

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]: ...


def task_checks(config: RunConfig) -> dict[str, Callable[[Conversation], bool]] | None:
    """``task_success`` against each scenario's structured goal (``None`` when no scenario has
    one: success is then ``goal_reached``)."""
    tasks: dict[str, TaskGoal] = {s.id: s.task for s in config.scenarios if s.task is not None}
    if not tasks:
        return None

    def check(c: Conversation) -> bool:
        task = tasks.get(c.scenario_id or "")
        if task is None:
            return c.termination == TerminationReason.GOAL_REACHED
        return task_success(task, c).success

    return {"task_success": check}


async def _judge_scores(judge: Judge, run_dir: Path, convs: list[Conversation]) -> dict[str, float]:
    verdicts = await judge.judge(conversation_items(convs, level="turn", side="target"))
    judge_run(run_dir, verdicts)
    per: dict[str, list[float]] = {}
    for v in verdicts:
        if v.overall is not None and v.conversation_id is not None:
            per.setdefault(v.conversation_id, []).append(v.overall)
    return {cid: sum(xs) / len(xs) for cid, xs in per.items()}


async def run_robustness(
    config: RunConfig,
    shifts: Sequence[Shift],
    output_dir: Path,
    *,
    config_path: Path | None = None,
    judge: Judge | None = None,
    paraphrase_model: Model | None = None,
    on_run: Callable[[str, Path], None] | None = None,
    seed: int = 0,
) -> RobustnessReport:
    """Run the baseline and every shifted config; write ``report.json`` and ``report.md``.

    Every shift is applied (and so validated) before anything runs. Runs go to
    ``output_dir/runs/<shift>/``.

    Args:
        config: The baseline config.
        shifts: The shifts, each compared with the baseline.
        output_dir: The report directory.
        config_path: The config file (recorded; relative persona files are found beside it).
        judge: Scores every target turn of every run (``judge``, mean per conversation).
        paraphrase_model: The model of ``paraphrase:llm``.
        on_run: Called with (label, run directory) after each run.
        seed: Bootstrap seed.

    Raises:
        ConfigError: A shift does not apply, or a run cannot start.
    """
    base_dir = config_path.parent if config_path is not None else None
    shifted: list[ShiftedConfig] = [
        await apply_shift(config, s, paraphrase_model=paraphrase_model, base_dir=base_dir)
        for s in shifts
    ]
    output_dir.mkdir(parents=True, exist_ok=True)
    runs = output_dir / "runs"

    async def run(label: str, cfg: RunConfig) -> tuple[Path, list[Conversation]]:
        result = await execute_run(cfg, config_path=config_path, output_dir=runs / label)
        if on_run is not None:
            on_run(label, result.directory)
        return result.directory, list(read_conversations(result.directory))

    base_dir_run, base_convs = await run("baseline", config)
    attacks = [s.arg for s in shifts if s.kind == "adversarial" and s.arg]
    measures = {f"attack:{k}": (lambda c, k=k: float(attack_succeeded(c, k))) for k in attacks}
    checks = task_checks(config)
    base_scores = await _judge_scores(judge, base_dir_run, base_convs) if judge else None
    report = RobustnessReport(
        config=str(config_path) if config_path else config.name,
        baseline_run=str(base_dir_run),
        judge=judge.name if judge else None,
    )
    for item in shifted:
        run_dir, convs = await run(item.shift.slug, item.config)
        scores: Any = None
        if judge is not None and base_scores is not None:
            scores = (base_scores, await _judge_scores(judge, run_dir, convs))
        metrics = compare_runs(
            base_convs, convs, checks=checks, measures=measures, judge_scores=scores, seed=seed
        )
        report.shifts.append(
            ShiftReport(item.shift.label, str(run_dir), item.changes, item.notes, metrics)
        )
    write_text_atomic(output_dir / "report.json", json.dumps(report.to_dict(), indent=2) + "\n")
    write_text_atomic(output_dir / "report.md", report.to_markdown())
    return report
