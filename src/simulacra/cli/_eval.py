"""``simulacra eval RUN_DIR`` (metrics and judges over a run) and ``simulacra eval meta RATINGS``
(a judge against human ratings). Everything is checked before anything is written."""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from simulacra.errors import ConfigError

_ADAPTERS = ("predictive-engagement", "ab-redial", "generic")


class _EvalGroup(click.Group):
    """``eval RUN_DIR ...`` runs the default subcommand ``run``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group("eval", cls=_EvalGroup)
def eval_command() -> None:
    """Evaluate a run (``eval RUN_DIR``) or a judge against human ratings (``eval meta``)."""


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _estimate(e: Any) -> str:
    return "—" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}] n={e.n}"


def _make_judge(spec: str, rubric_id: str | None, *, max_tokens: int) -> Any:
    from simulacra.evaluation._judge import BaselineJudge, RubricJudge
    from simulacra.evaluation._rubric import load_rubric
    from simulacra.models import GenerateConfig, get_model

    if spec in ("baseline", "baseline:minilm"):
        return BaselineJudge(embeddings=True)
    if spec == "baseline:lexical":
        return BaselineJudge(embeddings=False)
    if rubric_id is None:
        raise ConfigError("--judge with a model needs --rubric (e.g. --rubric engagement)")
    rubric = load_rubric(rubric_id)
    return RubricJudge(
        get_model(spec, role="judge"), rubric, config=GenerateConfig(max_tokens=max_tokens)
    )


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
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--metrics", "metrics", multiple=True, help="Metric names, comma-separated; 'all'.")
@click.option("--references", type=click.Path(path_type=Path), help="JSONL: id, reference, facts.")
@click.option("--judge", "judge_spec", help="A model spec, or 'baseline' / 'baseline:lexical'.")
@click.option("--rubric", "rubric_id", help="Rubric id (engagement, satisfaction, ...) or file.")
@click.option("--side", type=click.Choice(["target", "user"]), default="target", show_default=True)
@click.option("--limit", type=int, help="Judge at most this many items.")
@click.option("--max-tokens", default=120, show_default=True, help="Judge answer budget.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report as JSON.")
def eval_run_command(
    run_dir: Path,
    metrics: Sequence[str],
    references: Path | None,
    judge_spec: str | None,
    rubric_id: str | None,
    side: str,
    limit: int | None,
    max_tokens: int,
    output: Path | None,
) -> None:
    """Metrics (and optionally a judge) over the conversations of RUN_DIR."""
    from simulacra.evaluation._judge import conversation_items, judge_run
    from simulacra.evaluation._metrics import DEFAULT_METRICS, compute_metrics, resolve_metrics
    from simulacra.evaluation._rubric import load_rubric
    from simulacra.runs import read_conversations, read_run

    if not run_dir.is_dir():
        raise ConfigError(f"run directory not found: {run_dir}")
    read_run(run_dir)
    names = resolve_metrics(metrics or DEFAULT_METRICS)
    refs, facts = _read_references(references)
    rubric = load_rubric(rubric_id) if rubric_id else None
    judge = _make_judge(judge_spec, rubric_id, max_tokens=max_tokens) if judge_spec else None
    convs = list(read_conversations(run_dir))
    report = compute_metrics(
        convs,
        metrics=names,
        references=refs,
        facts=facts,
        side="user" if side == "user" else "target",
    )
    click.echo(f"{run_dir}: {len(convs)} conversations")
    for name, e in report.values.items():
        click.echo(f"  {name:<24} {_estimate(e)}")
    for name, value in report.points.items():
        click.echo(f"  {name:<24} {value:.3f}")
    for name, why in report.skipped.items():
        click.echo(f"  {name:<24} skipped: {why}")
    data: dict[str, Any] = {"run": str(run_dir), "metrics": report.to_dict()}
    if judge is not None:
        level = rubric.level if rubric else "turn"
        items = conversation_items(convs, level=level, side="user" if side == "user" else "target")
        verdicts = asyncio.run(judge.judge(items[:limit] if limit else items))
        path = judge_run(run_dir, verdicts)
        scored = [v.overall for v in verdicts if v.overall is not None]
        from simulacra.evaluation._stats import bootstrap_mean

        summary = bootstrap_mean(scored) if scored else None
        errors = sum(v.error is not None for v in verdicts)
        click.echo(f"  judge {judge.name} {rubric.ref if rubric else ''}: {_estimate(summary)}")
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
        _write_json(output, data)
        click.echo(f"report -> {output}")


@eval_command.command("meta")
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option("--adapter", type=click.Choice(_ADAPTERS), default="generic", show_default=True)
@click.option(
    "--subset", help="predictive-engagement: dailydialog|convai; ab-redial: turn|dialogue."
)
@click.option("--map", "mapping", multiple=True, help="generic: FIELD=COLUMN (score, response...).")
@click.option("--level", type=click.Choice(["turn", "dialogue"]), default="turn", show_default=True)
@click.option("--judge", "judge_spec", default="baseline", show_default=True)
@click.option("--rubric", "rubric_id", help="Rubric of an LLM judge.")
@click.option("--limit", type=int, help="Judge a seeded random sample of this many items.")
@click.option("--seed", default=0, show_default=True)
@click.option("--max-tokens", default=120, show_default=True, help="Judge answer budget.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write the report as JSON.")
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
    output: Path | None,
) -> None:
    """Correlate a judge with the human ratings in RATINGS (a file, or an adapter's folder)."""
    from simulacra.evaluation._meta import meta_evaluate
    from simulacra.evaluation._ratings import (
        read_ab_redial,
        read_predictive_engagement,
        read_ratings,
    )

    if not ratings.exists():
        raise ConfigError(f"ratings not found: {ratings}")
    if adapter == "predictive-engagement":
        if subset not in (None, "dailydialog", "convai"):
            raise ConfigError(
                f"--subset for predictive-engagement: dailydialog or convai, not {subset!r}"
            )
        rated = read_predictive_engagement(
            ratings, subset="convai" if subset == "convai" else "dailydialog"
        )
    elif adapter == "ab-redial":
        if subset not in (None, "turn", "dialogue"):
            raise ConfigError(f"--subset for ab-redial: turn or dialogue, not {subset!r}")
        rated = read_ab_redial(ratings, level="dialogue" if subset == "dialogue" else "turn")
    else:
        cols: dict[str, str] = {}
        for m in mapping:
            field, sep, column = m.partition("=")
            if not sep or not field or not column:
                raise ConfigError(f"--map expects FIELD=COLUMN, got {m!r}")
            cols[field] = column
        rated = read_ratings(
            ratings, mapping=cols, level="dialogue" if level == "dialogue" else "turn"
        )
    judge = _make_judge(judge_spec, rubric_id, max_tokens=max_tokens)
    if limit and limit < len(rated):
        rated = random.Random(seed).sample(rated, limit)
    verdicts = asyncio.run(judge.judge([r.item for r in rated]))
    scores = [v.overall for v in verdicts]
    rubric = getattr(getattr(judge, "rubric", None), "ref", None)
    report = meta_evaluate(
        rated, scores, judge=judge.name, rubric=rubric, dataset=f"{adapter}:{subset or level}"
    )
    click.echo(
        f"{judge.name} {rubric or ''} vs human ratings ({report.dataset}): "
        f"{report.n_items} items, {report.n_unscored} unscored"
    )
    for lv, methods in report.levels.items():
        for method, e in methods.items():
            click.echo(f"  {lv:<24} {method:<9} {_estimate(e)}")
    if output:
        _write_json(output, report.to_dict())
        click.echo(f"report -> {output}")
