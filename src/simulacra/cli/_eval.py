"""``simulacra eval RUN_DIR`` (metrics and judges over a run) and ``simulacra eval meta RATINGS``
(a judge against human ratings). Everything is checked before anything is written."""

from __future__ import annotations

import asyncio
import difflib
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from simulacra._atomic import write_json_atomic
from simulacra.cli._eval_extra import register as register_extra
from simulacra.cli._eval_judges import check_judge_spec, length_section, make_judge, read_rated
from simulacra.cli._eval_judges import register as register_judges
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


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_json_atomic(path, data, mkdir=True)


def _estimate(e: Any) -> str:
    return "—" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}] n={e.n}"


_BASELINES = ("baseline", "baseline:minilm", "baseline:lexical")
JUDGE_HELP = (
    "'baseline' (= 'baseline:minilm', MiniLM features), 'baseline:lexical' (no model "
    "download), 'calibrated' (the shipped calibrated judge on embedded:default) or "
    "'calibrated:FILE.json' (from eval calibrate), a model spec such as 'embedded:default', "
    "'gguf:PATH' or 'openai:NAME' with --rubric (explain-then-score), 'weighted:MODEL' with "
    "--rubric (probability-weighted score), or 'likelihood:MODEL' (FED follow-ups)."
)


def _check_judge_spec(spec: str, rubric_id: str | None) -> None:
    """One-line errors for a ``--judge`` spec, before anything is loaded: an unknown spelling
    (with a did-you-mean), an invalid model spec, a model judge without ``--rubric``."""
    from pydantic import ValidationError

    from simulacra._validation import summarise
    from simulacra.models import parse_model_spec, provider_schemes
    from simulacra.models._catalogue import CATALOGUE

    if spec in _BASELINES or check_judge_spec(spec, rubric_id):
        return
    prefix, sep, _ = spec.partition(":")
    if not sep or prefix not in provider_schemes():
        known = [*_BASELINES, "calibrated", *(f"embedded:{tier}" for tier in CATALOGUE)]
        close = [k for k in known if k.endswith(f":{spec}")] or difflib.get_close_matches(
            spec, known, n=1
        )
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown judge {spec!r}{hint}; --judge takes baseline, baseline:minilm, "
            "baseline:lexical, calibrated[:FILE], a model spec (embedded:default, gguf:PATH, "
            "openai:NAME, transformers:PATH) with --rubric, weighted:MODEL with --rubric, or "
            "likelihood:MODEL"
        )
    try:
        parse_model_spec(spec)
    except ValidationError as exc:
        raise ConfigError(f"--judge {spec!r}: {summarise(exc).removeprefix('model: ')}") from None
    if rubric_id is None:
        raise ConfigError(
            f"--judge {spec!r} is a model judge: it needs --rubric (e.g. --rubric engagement)"
        )


def _make_judge(spec: str, rubric_id: str | None, *, max_tokens: int) -> Any:
    from simulacra.evaluation._judge import BaselineJudge, RubricJudge
    from simulacra.evaluation._rubric import load_rubric
    from simulacra.models import GenerateConfig, get_model

    _check_judge_spec(spec, rubric_id)
    judge = make_judge(spec, rubric_id)
    if judge is not None:
        return judge
    if spec in ("baseline", "baseline:minilm"):
        return BaselineJudge(embeddings=True)
    if spec == "baseline:lexical":
        return BaselineJudge(embeddings=False)
    assert rubric_id is not None
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
    judge = _make_judge(judge_spec, rubric_id, max_tokens=max_tokens) if judge_spec else None
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
        click.echo(f"  {name:<24} {_estimate(e)}")
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

    _check_judge_spec(judge_spec, rubric_id)
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
    judge = _make_judge(judge_spec, rubric_id, max_tokens=max_tokens)
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
                text = _estimate(e)
            click.echo(f"  {lv:<24} {method:<9} {text}")
    lines, extra = length_section(rated, scores, verdicts)
    for line in lines:
        click.echo(line)
    if output:
        _write_json(output, {**report.to_dict(), "debias": debias, **extra})
        click.echo(f"report -> {output}")


def _populations(sources: Sequence[Path], limit: int | None, domains: str | None) -> list[Any]:
    """Load every source (run directory or MultiWOZ file) before anything is computed."""
    from simulacra.evaluation._population import load_population

    wanted = [d.strip() for d in domains.split(",") if d.strip()] if domains else None
    out = []
    for source in sources:
        if not source.exists():
            raise ConfigError(f"not found: {source} (a run directory or a MultiWOZ .json/.zip)")
        out.append(load_population(source, limit=limit, domains=wanted))
    return out


_CORPUS_HELP = "MultiWOZ files: at most this many dialogues."
_DOMAINS_HELP = "MultiWOZ files: only goals within these domains, comma-separated (e.g. hotel)."


@eval_command.command("diversity")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--limit", type=int, help=_CORPUS_HELP)
@click.option("--domains", help=_DOMAINS_HELP)
@click.option(
    "--encoder", type=click.Choice(["auto", "minilm", "tfidf"]), default="auto", show_default=True
)
@click.option("--max-refs", default=50, show_default=True, help="Self-BLEU references per text.")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def eval_diversity_command(
    sources: Sequence[Path],
    limit: int | None,
    domains: str | None,
    encoder: str,
    max_refs: int,
    seed: int,
    output: Path | None,
) -> None:
    """Diversity of each population: run directories and/or MultiWOZ files (real users)."""
    from simulacra.evaluation._diversity import diversity_report

    populations = _populations(sources, limit, domains)
    reports = [
        diversity_report(
            p.conversations, source=p.source, encoder=encoder, max_refs=max_refs, seed=seed
        )
        for p in populations
    ]
    for r in reports:
        click.echo(
            f"{r.source}: {r.n_conversations} conversations, {r.n_user_turns} user turns, "
            f"encoder {r.encoder}"
        )
    rows = [(n, n, "values") for n in dict.fromkeys(k for r in reports for k in r.values)]
    rows += [
        (f"eta2:{n}", n, "between_personas")
        for n in dict.fromkeys(k for r in reports for k in r.between_personas)
    ]
    for label, name, table in rows:
        cells = [_estimate(getattr(r, table).get(name)) for r in reports]
        click.echo(f"  {label:<26} " + " | ".join(cells))
    for r in reports:
        for name, why in r.skipped.items():
            click.echo(f"  {r.source}: {name} skipped: {why}")
    if output:
        _write_json(output, {"reports": [r.to_dict() for r in reports]})
        click.echo(f"report -> {output}")


@eval_command.command("drift")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--judge", "judge_spec", help="Also judge each user turn with this model spec.")
@click.option("--rubric", "rubric_id", default="persona_consistency", show_default=True)
@click.option("--limit", type=int, help=_CORPUS_HELP)
@click.option("--domains", help=_DOMAINS_HELP)
@click.option("--judge-limit", type=int, help="Judge at most this many user turns.")
@click.option("--max-tokens", default=120, show_default=True, help="Judge answer budget.")
@click.option(
    "--encoder", type=click.Choice(["auto", "minilm", "tfidf"]), default="auto", show_default=True
)
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def eval_drift_command(
    source: Path,
    judge_spec: str | None,
    rubric_id: str,
    limit: int | None,
    domains: str | None,
    judge_limit: int | None,
    max_tokens: int,
    encoder: str,
    seed: int,
    output: Path | None,
) -> None:
    """Persona consistency per user turn and its drift over the conversation (SOURCE: a run
    directory or a MultiWOZ file)."""
    from simulacra.evaluation._drift import drift_items, drift_report
    from simulacra.evaluation._judge import judge_run

    if judge_spec is not None and judge_spec.startswith("baseline"):
        raise ConfigError("--judge for drift needs a model (e.g. embedded:default), not a baseline")
    (population,) = _populations([source], limit, domains)
    judge = _make_judge(judge_spec, rubric_id, max_tokens=max_tokens) if judge_spec else None
    verdicts = None
    if judge is not None:
        if judge.rubric.level != "turn":
            raise ConfigError(f"--rubric {rubric_id}: drift needs a turn-level rubric")
        items = drift_items(population)
        verdicts = asyncio.run(judge.judge(items[:judge_limit] if judge_limit else items))
    report = drift_report(population, encoder=encoder, verdicts=verdicts, seed=seed)
    click.echo(
        f"{report.source}: {report.n_conversations} conversations, encoder {report.encoder}"
        + (f", judge {report.judge} {report.rubric} ({report.unscored} unscored)" if judge else "")
    )
    for name, points in report.curves.items():
        click.echo(f"  {name:<28} mean {_estimate(report.means.get(name))}")
        click.echo(f"  {'':<28} slope/turn {_estimate(report.slopes.get(name))}")
        curve = "  ".join(f"{p.turn}:{p.mean:.2f}(n={p.n})" for p in points)
        click.echo(f"  {'':<28} {curve}")
    if verdicts is not None and population.kind == "run":
        path = judge_run(source, verdicts)
        click.echo(f"  {len(verdicts)} verdicts -> {path}")
    if output:
        _write_json(output, report.to_dict())
        click.echo(f"report -> {output}")


def _read_hidden(path: Path | None) -> dict[str, list[str]]:
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigError(f"hidden-facts file not found: {path}")
    out: dict[str, list[str]] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out[str(row["id"])] = [str(f) for f in row["hidden"]]
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"{path}:{n}: expected a JSON object with 'id' and a 'hidden' list"
            ) from None
    return out


@eval_command.command("audit")
@click.argument("sources", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--hidden",
    type=click.Path(path_type=Path),
    help='JSONL: {"id": SCENARIO, "hidden": ["key=value", ...]} facts to reveal only when asked.',
)
@click.option("--limit", type=int, help=_CORPUS_HELP)
@click.option("--domains", help=_DOMAINS_HELP)
@click.option("--show", default=5, show_default=True, help="Flagged turns to print per rule.")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def eval_audit_command(
    sources: tuple[Path, ...],
    hidden: Path | None,
    limit: int | None,
    domains: str | None,
    show: int,
    seed: int,
    output: Path | None,
) -> None:
    """Self-audit of the simulated user's turns (SOURCES: a run directory or a MultiWOZ file;
    several run directories are one study, each conversation audited against its own run's
    goals)."""
    from simulacra.evaluation._audit import AUDIT_RULES, audit_report

    facts = _read_hidden(hidden)
    if len(sources) > 1:
        from simulacra.evaluation._study import study_population

        population = study_population(sources)
    else:
        (population,) = _populations(list(sources), limit, domains)
    report = audit_report(population, hidden=facts, seed=seed)
    click.echo(
        f"{report.source}: {report.n_conversations} conversations, {report.n_user_turns} user turns"
    )
    for rule in (*AUDIT_RULES, "any"):
        e = report.rates.get(rule)
        click.echo(f"  {rule:<16} {_estimate(e)}  (of {report.applicable.get(rule, 0)})")
    for rule in AUDIT_RULES:
        for flag in [f for f in report.flags if f.rule == rule][:show]:
            click.echo(f"    {rule} {flag.turn_id}: {flag.detail}")
    if output:
        _write_json(output, report.to_dict())
        click.echo(f"report -> {output}")


# bias, arena and perplexity (simulacra.cli._eval_extra) and calibrate (cli._eval_judges)
register_extra(eval_command)
register_judges(eval_command)
