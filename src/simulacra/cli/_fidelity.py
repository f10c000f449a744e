"""``simulacra fidelity RUN_DIR --reference MULTIWOZ|RUN_DIR`` (Sim2Real fidelity of a run's
simulated users against real users: MultiWOZ, or any reference run — an imported corpus or a
human-played run). Everything is checked before anything is written."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError
from simulacra.evaluation._stats import Estimate


def _write_json(path: Path, data: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _interval(e: Estimate) -> str:
    return f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"


@click.command("fidelity")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--reference",
    required=True,
    type=click.Path(path_type=Path),
    help="The real dialogues: a MultiWOZ file (.json or .zip), or a run directory of real "
    "conversations (simulacra data import, or runs played by people with simulacra play).",
)
@click.option("--limit", type=int, help="Compare at most this many simulated conversations.")
@click.option("--user", "user_id", default="user", show_default=True, help="The user's id.")
@click.option("--seed", default=0, show_default=True)
@click.option(
    "--baseline/--no-baseline",
    default=True,
    show_default=True,
    help="Also compare two samples of real dialogues (real against real).",
)
@click.option(
    "--large-baseline",
    is_flag=True,
    help="Also compare the two halves of the whole reference (real against real, large).",
)
@click.option(
    "--human-likeness/--no-human-likeness",
    default=True,
    show_default=True,
    help="Also report lexical z-scores and the behavioural fingerprint (human-likeness).",
)
@click.option(
    "--judge", "judge_spec", help="Model of the calibrated pairwise judge (off if unset)."
)
@click.option("--judge-pairs", default=12, show_default=True, type=click.IntRange(min=1))
@click.option("--judge-samples", default=3, show_default=True, type=click.IntRange(min=3))
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def fidelity_command(
    run_dirs: tuple[Path, ...],
    reference: Path,
    limit: int | None,
    user_id: str,
    seed: int,
    baseline: bool,
    large_baseline: bool,
    human_likeness: bool,
    judge_spec: str | None,
    judge_pairs: int,
    judge_samples: int,
    output: Path | None,
) -> None:
    """Compare the simulated user turns of RUN_DIRS (one run, or the runs of a study, each
    conversation with its own run's goals) with real user turns (Sim2Real)."""
    from simulacra.datasets._multiwoz import multiwoz_dialogues
    from simulacra.evaluation._fidelity import fidelity_report
    from simulacra.evaluation._study import max_turns_flags, study_population
    from simulacra.runs import read_conversations, read_run

    for run_dir in run_dirs:
        if not run_dir.is_dir():
            raise ConfigError(f"run directory not found: {run_dir}")
    if not reference.exists():
        raise ConfigError(f"reference not found: {reference}")
    run_dir = Path(" + ".join(str(r) for r in run_dirs))
    population = study_population(run_dirs)
    convs = population.conversations
    if limit is not None:
        convs = convs[:limit]
    real: list[Any]
    if reference.is_dir():
        read_run(reference)
        real = list(read_conversations(reference))
    else:
        real = list(multiwoz_dialogues(reference, with_turns=True))
    judge = None
    if judge_spec is not None:
        from simulacra.evaluation._pairwise_judge import model_ask
        from simulacra.models import get_model

        judge = model_ask(get_model(judge_spec, role="judge"), seed=seed)
    report = fidelity_report(
        convs,
        real,
        user_id=user_id,
        seed=seed,
        baseline=baseline,
        human_likeness=human_likeness,
        tasks=population.tasks,
        judge=judge,
        judge_options={
            "judge_pairs_n": judge_pairs,
            "judge_samples": judge_samples,
            "judge_model": judge_spec,
        },
    )
    how = f"{report.n_paired} paired by goal" if report.paired else "unpaired: whole reference"
    click.echo(
        f"{run_dir}: {report.n_simulated} simulated vs {report.n_reference} real dialogues ({how})"
    )
    base = report.baseline
    click.echo(
        f"  {'quantity':<24} {'stat':<10} {'value [95% CI]':<28} real / simulated"
        + (f"   real vs real ({base.per_half} + {base.per_half} dialogues)" if base else "")
    )
    for name, c in report.comparisons.items():
        e = c.value
        centre = "value" if "value" in c.real else "mean"
        real_s = c.real.get(centre, max((v for k, v in c.real.items() if k != "n"), default=0))
        sim_s = c.simulated.get(
            centre, max((v for k, v in c.simulated.items() if k != "n"), default=0)
        )
        ref = base.comparisons.get(name) if base else None
        click.echo(
            f"  {name:<24} {c.statistic:<10} {e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"
            f"{'':<8} {real_s:.3f} / {sim_s:.3f}" + (f"   {_interval(ref.value)}" if ref else "")
        )
    for name, why in report.skipped.items():
        click.echo(f"  {name:<24} skipped: {why}")
    flags = max_turns_flags(convs)
    for name, why in flags.items():
        click.echo(f"  {name:<24} flag: {why}")
    d = report.distinguishability
    click.echo(
        f"  distinguishability AUC  {d.auc.value:.3f} [{d.auc.low:.3f}, {d.auc.high:.3f}] "
        f"({d.per_side} turns per side, {d.folds}-fold; 0.5 = indistinguishable)"
    )
    if base:
        click.echo(
            f"  real vs real AUC        {_interval(base.distinguishability.auc)} "
            f"({base.distinguishability.per_side} turns per side)"
        )
    elif baseline:
        click.echo("  real vs real: skipped (too few real dialogues to split)")
    large = None
    if large_baseline:
        from simulacra.evaluation._study import large_baseline as whole_reference

        large = whole_reference(real, seed=seed)
        if large is None:
            click.echo("  real vs real (large): skipped (too few real dialogues to split)")
        else:
            click.echo(
                f"  real vs real AUC, large {_interval(large.distinguishability.auc)} "
                f"({large.per_half} + {large.per_half} dialogues)"
            )
    if report.human_likeness is not None:
        from simulacra.evaluation._human_likeness import table_lines

        for line in table_lines(report.human_likeness):
            click.echo(line)
    if output:
        data: dict[str, object] = {"run": str(run_dir), "reference": str(reference)}
        if len(run_dirs) > 1:
            data["runs"] = [str(r) for r in run_dirs]
        data.update(report.to_dict())
        if flags:
            data["flags"] = flags
        if large is not None:
            data["baseline_large"] = large.to_dict()
        _write_json(output, data)
        click.echo(f"report -> {output}")
