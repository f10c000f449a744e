"""``simulacra eval RUN_DIR`` (metrics and judges over a run) and ``simulacra eval meta RATINGS``
(a judge against human ratings). Everything is checked before anything is written."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from simulacra.cli._eval_common import (
    JUDGE_HELP,
    build_judge,
    check_eval_judge,
    estimate,
    write_json,
)
from simulacra.cli._eval_extra import register as register_extra
from simulacra.cli._eval_judges import length_section, read_rated
from simulacra.cli._eval_judges import register as register_judges
from simulacra.cli._eval_population import register as register_population
from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError

_ADAPTERS = ("predictive-engagement", "ab-redial", "topical-chat", "generic")


class _EvalGroup(click.Group):
    """``eval RUN_DIR ...`` runs the default subcommand ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("eval", cls=_EvalGroup)
def eval_command() -> None:
    """Evaluate a run (``eval RUN_DIR``) or a judge against human ratings (``eval meta``)."""


def _read_references(path: Path | None) -> tuple[dict[str, str], dict[str, list[str]]]:
    refs: dict[str, str] = {}
    facts: dict[str, list[str]] = {}
    if path is None:
        return refs, facts
    if not path.is_file():
        raise ConfigError(f"references file not found: {path}")
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            key = str(row["id"])
        except (ValueError, KeyError, TypeError):
            raise ConfigError(f"{path}:{n}: expected a JSON object with an 'id'") from None
        if "reference" in row:
            refs[key] = str(row["reference"])
        if "facts" in row:
            facts[key] = [str(f) for f in row["facts"]]
    return refs, facts


@eval_command.command("run")
@click.argument("run_dirs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--metrics", "metrics", multiple=True, help="Metric names, comma-separated; 'all'.")
@click.option("--references", type=click.Path(path_type=Path), help="JSONL: id, reference, facts.")
@click.option("--judge", "judge_spec", help=f"The judge: {JUDGE_HELP}")
@click.option("--rubric", "rubric_id", help="Rubric id (engagement, satisfaction, ...) or file.")
@click.option("--side", type=click.Choice(["target", "user"]), default="target", show_default=True)
@click.option("--limit", type=int, help="Judge at most this many items.")
@click.option("--max-tokens", default=120, show_default=True, help="Judge answer budget.")
@click.option(
    "--include-invalid",
    is_flag=True,
    help="Keep simulator_invalid conversations in the target metrics (default: left out).",
)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def eval_run_command(
    run_dirs: Sequence[Path],
    metrics: Sequence[str],
    references: Path | None,
    judge_spec: str | None,
    rubric_id: str | None,
    side: str,
    limit: int | None,
    max_tokens: int,
    include_invalid: bool,
    output: Path | None,
) -> None:
    """Metrics (and optionally a judge) over the conversations of RUN_DIR (or of a study: several
    run directories, each conversation kept apart by its run — ids and scenario ids become
    ``RUN/ID``, so tasks of different runs never pool; references are keyed the same way).

    Conversations the simulator validity gate flagged ``simulator_invalid`` are reported apart
    and left out of the target metrics (``--include-invalid`` keeps them)."""
    from simulacra.evaluation._judge import conversation_items, judge_run
    from simulacra.evaluation._metrics import DEFAULT_METRICS, compute_metrics, resolve_metrics
    from simulacra.evaluation._rubric import load_rubric

    convs = _study_conversations(run_dirs)
    run_dir = run_dirs[0]
    if len(run_dirs) > 1 and judge_spec:
        raise ConfigError(
            "--judge takes one run directory (its verdicts are written into it); judge each run "
            "of the study on its own"
        )
    names = resolve_metrics(metrics or DEFAULT_METRICS)
    refs, facts = _read_references(references)
    rubric = load_rubric(rubric_id) if rubric_id else None
    judge = build_judge(judge_spec, rubric_id, max_tokens=max_tokens) if judge_spec else None
    report = compute_metrics(
        convs,
        metrics=names,
        references=refs,
        facts=facts,
        side="user" if side == "user" else "target",
        exclude_invalid=not include_invalid,
    )
    if len(run_dirs) == 1:
        click.echo(f"{run_dir}: {len(convs)} conversations")
    else:
        click.echo(f"study of {len(run_dirs)} runs: {len(convs)} conversations")
    sim = report.simulator
    if sim is not None:
        rate = sim["invalid_rate"]
        assert isinstance(rate, dict)
        reasons = sim["reasons"] or "none"
        click.echo(
            f"  simulator validity: {sim['invalid']} of {sim['gated']} conversations "
            f"simulator_invalid ({rate['value']:.3f} [{rate['low']:.3f}, {rate['high']:.3f}]), "
            f"{sim['regenerations']} regenerated turns, failing detectors: {reasons}"
        )
        if report.excluded:
            click.echo(f"  left out of the target metrics: {len(report.excluded)} conversations")
    for name, e in report.values.items():
        click.echo(f"  {name:<24} {estimate(e)}")
    for name, value in report.points.items():
        click.echo(f"  {name:<24} {value:.3f}")
    for name, why in report.skipped.items():
        click.echo(f"  {name:<24} skipped: {why}")
    data: dict[str, Any] = (
        {"run": str(run_dir)} if len(run_dirs) == 1 else {"runs": [str(r) for r in run_dirs]}
    )
    data["metrics"] = report.to_dict()
    if judge is not None:
        level = rubric.level if rubric else "turn"
        items = conversation_items(convs, level=level, side="user" if side == "user" else "target")
        verdicts = asyncio.run(judge.judge(items[:limit] if limit else items))
        path = judge_run(run_dir, verdicts)
        scored = [v.overall for v in verdicts if v.overall is not None]
        from simulacra.evaluation._stats import bootstrap_mean

        summary = bootstrap_mean(scored) if scored else None
        errors = sum(v.error is not None for v in verdicts)
        click.echo(f"  judge {judge.name} {rubric.ref if rubric else ''}: {estimate(summary)}")
        click.echo(f"  {len(verdicts)} verdicts ({errors} unscored) -> {path}")
        data["judge"] = {
            "judge": judge.name,
            "rubric": rubric.ref if rubric else None,
            "n": len(verdicts),
            "unscored": errors,
            "mean": None if summary is None else summary.__dict__,
            "judgments": str(path),
        }
    if output:
        write_json(output, data)
        click.echo(f"report -> {output}")


def _study_conversations(run_dirs: Sequence[Path]) -> list[Any]:
    """The conversations of one run, or of several with ids and scenario ids made ``RUN/ID``
    (``RUN``: the run directory's name; one-line errors for a missing or repeated run)."""
    from simulacra.runs import read_conversations, read_run

    seen: set[Path] = set()
    for run in run_dirs:
        if not run.is_dir():
            raise ConfigError(f"run directory not found: {run}")
        if run.resolve() in seen:
            raise ConfigError(f"{run}: given twice")
        seen.add(run.resolve())
        read_run(run)
    if len(run_dirs) == 1:
        return list(read_conversations(run_dirs[0]))
    names = [r.resolve().name for r in run_dirs]
    if len(set(names)) < len(names):  # same folder name under different parents
        names = [f"{i}:{n}" for i, n in enumerate(names)]
    out = []
    for name, run in zip(names, run_dirs, strict=True):
        for c in read_conversations(run):
            scenario = f"{name}/{c.scenario_id}" if c.scenario_id else None
            out.append(c.model_copy(update={"id": f"{name}/{c.id}", "scenario_id": scenario}))
    return out


@eval_command.command("meta")
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option("--adapter", type=click.Choice(_ADAPTERS), default="generic", show_default=True)
@click.option(
    "--subset",
    help="predictive-engagement: dailydialog|convai; ab-redial, topical-chat: turn|dialogue.",
)
@click.option("--map", "mapping", multiple=True, help="generic: FIELD=COLUMN (score, response...).")
@click.option("--level", type=click.Choice(["turn", "dialogue"]), default="turn", show_default=True)
@click.option("--judge", "judge_spec", default="baseline", show_default=True, help=JUDGE_HELP)
@click.option(
    "--rubric",
    "rubric_id",
    help="Rubric of a model judge (engagement, satisfaction, ... or a .yaml file); its level "
    "(turn or dialogue) must match the items'.",
)
@click.option("--limit", type=int, help="Judge a seeded random sample of this many items.")
@click.option("--seed", default=0, show_default=True)
@click.option("--max-tokens", default=120, show_default=True, help="Judge answer budget.")
@click.option(
    "--debias",
    type=click.Choice(["none", "length"]),
    default="none",
    show_default=True,
    help="length: correlate the judge's scores with the length trend removed.",
)
@click.option("-o", "--output", type=OutputPath(), help="Write the report and per-item scores.")
def eval_meta_command(
    ratings: Path,
    adapter: str,
    subset: str | None,
    mapping: Sequence[str],
    level: str,
    judge_spec: str,
    rubric_id: str | None,
    limit: int | None,
    seed: int,
    max_tokens: int,
    debias: str,
    output: Path | None,
) -> None:
    """Correlate a judge with the human ratings in RATINGS (a file, or an adapter's folder).

    Every row of a generic file is checked before the judge runs; a bad row, an unknown judge or
    a rubric of the wrong level is a one-line error and nothing is written. An interval over
    fewer than 8 systems (or items) is reported as too few for an interval."""
    from simulacra.evaluation._length_bias import debias_length, item_length
    from simulacra.evaluation._meta import MIN_INTERVAL_N, meta_evaluate
    from simulacra.evaluation._rubric import load_rubric

    check_eval_judge(judge_spec, rubric_id)
    rated = read_rated(ratings, adapter, subset, mapping, level)
    if rubric_id is not None and not judge_spec.startswith("baseline"):
        rubric_level = load_rubric(rubric_id).level
        levels = sorted({r.level for r in rated})
        if levels != [rubric_level]:
            raise ConfigError(
                f"--rubric {rubric_id} is {rubric_level}-level but the items of {ratings} are "
                f"{'/'.join(levels)}-level (use a {'/'.join(levels)}-level rubric"
                + (" or --level)" if adapter == "generic" else ")")
            )
    judge = build_judge(judge_spec, rubric_id, max_tokens=max_tokens)
    if limit and limit < len(rated):
        rated = random.Random(seed).sample(rated, limit)
    verdicts = asyncio.run(judge.judge([r.item for r in rated]))
    scores: list[float | None] = [v.overall for v in verdicts]
    if debias == "length":
        scores = debias_length(scores, [item_length(r.item) for r in rated])
    rubric = getattr(getattr(judge, "rubric", None), "ref", None)
    report = meta_evaluate(
        rated, scores, judge=judge.name, rubric=rubric, dataset=f"{adapter}:{subset or level}"
    )
    click.echo(
        f"{judge.name} {rubric or ''} vs human ratings ({report.dataset}): "
        f"{report.n_items} items, {report.n_unscored} unscored"
    )
    units = {"system": "systems", "turn": "items", "dialogue": "dialogues"}
    for lv, methods in report.levels.items():
        for method, e in methods.items():
            if e is not None and e.n < MIN_INTERVAL_N:
                unit = units.get(lv, "dialogues")
                text = f"{e.value:.3f} n={e.n} {unit}: too few for an interval"
            else:
                text = estimate(e)
            click.echo(f"  {lv:<24} {method:<9} {text}")
    lines, extra = length_section(rated, scores, verdicts)
    for line in lines:
        click.echo(line)
    if output:
        write_json(output, {**report.to_dict(), "debias": debias, **extra})
        click.echo(f"report -> {output}")


# diversity, drift and audit (cli._eval_population), bias, arena and perplexity
# (cli._eval_extra) and calibrate (cli._eval_judges)
register_population(eval_command)
register_extra(eval_command)
register_judges(eval_command)
