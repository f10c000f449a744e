"""``simulacra annotate``: blinded human evaluation of runs (tasks, page, CSV, agreement, unblind).

Everything is checked before anything is written; outputs are written to a temp file and renamed.
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError
from simulacra.evaluation._stats import Estimate


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _est(e: Estimate | None) -> str:
    return "—" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}] n={e.n}"


def _names(value: str | None) -> list[str] | None:
    names = [n.strip() for n in (value or "").split(",") if n.strip()]
    return names or None


def _default_ratings(tasks: Path) -> Path:
    return tasks.with_name(f"{tasks.stem}.ratings.jsonl")


@click.group("annotate")
def annotate_command() -> None:
    """Human evaluation: blinded annotation tasks from runs, a local rating page, CSV round
    trips, inter-annotator agreement, and unblinded results."""


@annotate_command.command("tasks")
@click.argument("runs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--rubric", "rubric_id", help="Likert study: rubric id or file (its dimensions).")
@click.option("--pairwise", is_flag=True, help="A/B study between exactly two runs.")
@click.option("--question", help="Pairwise: the question annotators answer.")
@click.option("-o", "--output", required=True, type=OutputPath(), help="Tasks file.")
@click.option("--key", "key_path", type=click.Path(path_type=Path), help="Key file (separate).")
@click.option("--annotators", help="Roster, comma-separated: only these ids may rate.")
@click.option("--limit", type=int, help="At most this many tasks (a seeded sample).")
@click.option("--seed", default=0, show_default=True, help="Seeds order, sample and A/B sides.")
def tasks_command(
    runs: Sequence[Path],
    rubric_id: str | None,
    pairwise: bool,
    question: str | None,
    output: Path,
    key_path: Path | None,
    annotators: str | None,
    limit: int | None,
    seed: int,
) -> None:
    """Make blinded annotation tasks from RUNS (Likert with --rubric, or A/B with --pairwise).

    Give annotators the tasks file only; the key file maps tasks back to runs.
    """
    from simulacra.evaluation._annotation import DEFAULT_QUESTION, likert_study, pairwise_study
    from simulacra.evaluation._rubric import load_rubric

    for run in runs:
        if not run.is_dir():
            raise ConfigError(f"run directory not found: {run}")
    key = key_path or output.with_name(f"{output.stem}.key.jsonl")
    if key.resolve() == output.resolve():
        raise ConfigError("--key: the key must be a different file from the tasks")
    roster = _names(annotators)
    if pairwise:
        if len(runs) != 2 or rubric_id:
            raise ConfigError("--pairwise: give exactly two runs and no --rubric")
        study = pairwise_study(
            runs[0],
            runs[1],
            seed=seed,
            limit=limit,
            question=question or DEFAULT_QUESTION,
            annotators=roster,
        )
    else:
        if not rubric_id:
            raise ConfigError("tasks: give --rubric (Likert) or --pairwise (A/B)")
        study = likert_study(
            runs, load_rubric(rubric_id), seed=seed, limit=limit, annotators=roster
        )
    study.write(output, key)
    click.echo(f"{study.header['n_tasks']} {study.kind} tasks (study {study.id}): {output}")
    click.echo(f"key (keep it from annotators): {key}")


@annotate_command.command("serve")
@click.argument("tasks", type=click.Path(path_type=Path))
@click.option("--annotator", required=True, help="Your annotator id (recorded with each rating).")
@click.option("--ratings", type=click.Path(path_type=Path), help="Ratings file (appended).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8766, show_default=True, help="0: any free port.")
def serve_command(tasks: Path, annotator: str, ratings: Path | None, host: str, port: int) -> None:
    """Serve the annotation page of TASKS for one annotator on this machine."""
    from simulacra.evaluation._annotation import read_study
    from simulacra.viewer._annotate_app import create_annotation_app, serve_annotation
    from simulacra.viewer._server import bind, is_loopback, url_of

    study = read_study(tasks)
    out = ratings or _default_ratings(tasks)
    app = create_annotation_app(
        study, out, annotator, allowed_hosts=None if is_loopback(host) else ["*"]
    )
    sock = bind(host, port)
    click.echo(f"annotating {len(study.tasks)} tasks as {annotator!r}: {url_of(host, sock)}")
    click.echo(f"ratings go to {out}; Ctrl-C to stop")
    serve_annotation(app, sock)


@annotate_command.command("export")
@click.argument("tasks", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=OutputPath(), help="CSV file.")
@click.option("--annotator", "annotators", multiple=True, help="One row per task per annotator.")
def export_command(tasks: Path, output: Path, annotators: Sequence[str]) -> None:
    """Write TASKS as CSV (empty rating columns) for spreadsheets or annotation tools."""
    from simulacra.evaluation._annotation import read_study
    from simulacra.evaluation._annotation_io import export_csv

    rows = export_csv(read_study(tasks), output, annotators=list(annotators))
    click.echo(f"{rows} rows: {output}")


@annotate_command.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path))
@click.option("--tasks", required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=OutputPath(), help="Ratings file (appended).")
def import_command(csv_file: Path, tasks: Path, output: Path | None) -> None:
    """Check a filled CSV against TASKS and append its ratings to the ratings file."""
    from simulacra.evaluation._annotation import read_study
    from simulacra.evaluation._annotation_io import append_ratings, import_csv, read_annotations

    study = read_study(tasks)
    out = output or _default_ratings(tasks)
    if out.is_file():
        read_annotations(out, study)  # refuse to append to a broken file
    ratings = import_csv(study, csv_file)
    append_ratings(out, study, ratings)
    click.echo(f"{len(ratings)} ratings from {csv_file} appended to {out}")


def _table(
    ratings: Path, tasks: Path | None, corpus: str | None, dimension: str | None
) -> tuple[dict[str, dict[str, Any]], str]:
    from simulacra.evaluation._rating_tables import ab_redial_table, engagement_table

    if corpus == "predictive-engagement":
        return engagement_table(ratings), "engagement (1-5)"
    if corpus in ("ab-redial-dialogue", "ab-redial-turn"):
        table = ab_redial_table(
            ratings, level="dialogue" if corpus.endswith("dialogue") else "turn", aspect=dimension
        )
        from simulacra.evaluation._rating_tables import AB_REDIAL_ASPECTS

        default = AB_REDIAL_ASPECTS["dialogue" if corpus.endswith("dialogue") else "turn"][0]
        return dict(table), dimension or default
    if tasks is None:
        raise ConfigError("agreement: give --tasks (the study of RATINGS) or --corpus")
    from simulacra.evaluation._annotation import read_study
    from simulacra.evaluation._annotation_io import rating_table, read_annotations

    study = read_study(tasks)
    dim = dimension or study.dimensions[0]
    if dim not in study.dimensions:
        raise ConfigError(f"--dimension: unknown dimension {dim!r} ({', '.join(study.dimensions)})")
    return dict(rating_table(read_annotations(ratings, study), dim)), dim


@annotate_command.command("agreement")
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option("--tasks", type=click.Path(path_type=Path), help="The study's tasks file.")
@click.option(
    "--corpus",
    type=click.Choice(["predictive-engagement", "ab-redial-dialogue", "ab-redial-turn"]),
    help="RATINGS is that corpus's folder (its original files) instead of a ratings file.",
)
@click.option("--dimension", help="Dimension (or ab-redial aspect); default: the first.")
@click.option(
    "--level",
    type=click.Choice(["ordinal", "interval", "nominal", "ratio"]),
    help="Level of Krippendorff's alpha (default: ordinal; nominal for A/B choices).",
)
@click.option("--only", help="Only these annotators (comma-separated), e.g. two for Cohen's kappa.")
@click.option("--resamples", default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def agreement_command(
    ratings: Path,
    tasks: Path | None,
    corpus: str | None,
    dimension: str | None,
    level: str | None,
    only: str | None,
    resamples: int,
    seed: int,
    output: Path | None,
) -> None:
    """Inter-annotator agreement of RATINGS, each statistic with a bootstrap CI over items."""
    from simulacra.evaluation._agreement import agreement

    table, what = _table(ratings, tasks, corpus, dimension)
    keep = _names(only)
    if keep is not None:
        table = {i: {a: v for a, v in row.items() if a in keep} for i, row in table.items()}
    values = {v for row in table.values() for v in row.values()}
    chosen = level or ("nominal" if any(isinstance(v, str) for v in values) else "ordinal")
    try:
        report = agreement(table, level=chosen, resamples=resamples, seed=seed)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigError(f"{ratings}: {exc}") from None
    click.echo(
        f"{ratings} [{what}]: {report.n_items} items rated by 2+ annotators, "
        f"{report.n_ratings} ratings, {report.annotators} annotators"
    )
    rows = [
        (f"Krippendorff's alpha ({report.level})", report.alpha),
        ("pairwise agreement (exact)", report.percent_agreement),
        ("pairwise agreement (within 1)", report.within_one),
        ("Cohen's kappa", report.cohen_kappa),
        ("Cohen's kappa (quadratic)", report.cohen_kappa_quadratic),
        (
            f"Fleiss' kappa ({report.fleiss_items} items x {report.fleiss_raters})",
            report.fleiss_kappa,
        ),
    ]
    for name, e in rows:
        if e is not None:
            click.echo(f"  {name:<40} {_est(e)}")
    if output:
        _write_json(output, {"ratings": str(ratings), "dimension": what, **report.to_dict()})


@annotate_command.command("unblind")
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option("--tasks", required=True, type=click.Path(path_type=Path))
@click.option("--key", "key_path", required=True, type=click.Path(path_type=Path))
@click.option("--resamples", default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def unblind_command(
    ratings: Path, tasks: Path, key_path: Path, resamples: int, seed: int, output: Path | None
) -> None:
    """Results per system (run): A/B win rates, or mean Likert scores, with bootstrap CIs."""
    from simulacra.evaluation._agreement import win_rates
    from simulacra.evaluation._annotation import read_key, read_study
    from simulacra.evaluation._annotation_io import rating_table, read_annotations
    from simulacra.evaluation._stats import bootstrap_mean

    study = read_key(read_study(tasks), key_path)
    rated = read_annotations(ratings, study)
    if study.kind == "pairwise":
        sides = {t: (str(k["A"]["run"]), str(k["B"]["run"])) for t, k in study.key.items()}
        report = win_rates(rating_table(rated, "preference"), sides, resamples=resamples, seed=seed)
        click.echo(f"{report.n_ratings} choices on {report.n_items} pairs")
        for system, row in report.systems.items():
            e = row["win_rate"]
            click.echo(
                f"  {system:<40} win rate {_est(e if isinstance(e, Estimate) else None)}  "
                f"(wins {row['wins']}, losses {row['losses']}, ties {row['ties']})"
            )
        click.echo(f"  shown-as-A chosen (position bias; 0.5 = none): {_est(report.first_shown)}")
        data: dict[str, Any] = report.to_dict()
    else:
        data = {"systems": {}}
        for dim in study.dimensions:
            table = rating_table(rated, dim)
            by_system: dict[str, list[float]] = {}
            for tid, given in table.items():
                scores = [float(v) for v in given.values() if isinstance(v, int)]
                if scores:
                    run = str(study.key[tid]["run"])
                    by_system.setdefault(run, []).append(statistics.fmean(scores))
            for system, values in sorted(by_system.items()):
                e = bootstrap_mean(values, resamples=resamples, seed=seed)
                click.echo(f"  {system:<40} {dim}: mean {_est(e)} (item means)")
                data["systems"].setdefault(system, {})[dim] = {
                    "value": e.value,
                    "low": e.low,
                    "high": e.high,
                    "n": e.n,
                }
    if output:
        _write_json(output, {"study": study.id, **data})


@annotate_command.command("scores")
@click.argument("ratings", type=click.Path(path_type=Path))
@click.option("--tasks", required=True, type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path), help="Adds system/dialogue.")
@click.option("--dimension", help="Which dimension (default: the first).")
@click.option("-o", "--output", required=True, type=OutputPath())
def scores_command(
    ratings: Path, tasks: Path, key_path: Path | None, dimension: str | None, output: Path
) -> None:
    """Mean human score per item, in the generic ratings format of ``simulacra eval meta``."""
    from simulacra.evaluation._annotation import read_key, read_study
    from simulacra.evaluation._annotation_io import (
        human_scores,
        read_annotations,
        write_human_scores,
    )

    study = read_study(tasks)
    if key_path is not None:
        read_key(study, key_path)
    items = human_scores(study, read_annotations(ratings, study), dimension=dimension)
    if not items:
        raise ConfigError(f"{ratings}: no ratings of dimension {dimension or study.dimensions[0]}")
    write_human_scores(items, output)
    level = study.header.get("level", "turn")
    extra = " --map system=system --map dialogue=dialogue" if key_path is not None else ""
    click.echo(f"{len(items)} items: {output}")
    click.echo(f"meta-evaluate a judge: simulacra eval meta {output} --level {level}{extra} ...")


@annotate_command.command("from-corpus")
@click.argument("corpus", type=click.Choice(["predictive-engagement"]))
@click.argument("folder", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=OutputPath("folder"), help="A folder.")
def from_corpus_command(corpus: str, folder: Path, output: Path) -> None:
    """Turn a corpus's real per-annotator ratings into a study (tasks.jsonl) and its ratings file
    (ratings.jsonl), so agreement, scores and judge meta-evaluation run on real human ratings."""
    from simulacra.evaluation._annotation import write_jsonl_atomic
    from simulacra.evaluation._rating_tables import engagement_study

    study, ratings = engagement_study(folder)
    tasks_path, ratings_path = output / "tasks.jsonl", output / "ratings.jsonl"
    write_jsonl_atomic(tasks_path, [study.header, *study.tasks.values()])
    write_jsonl_atomic(ratings_path, [r.to_json(study.id) for r in ratings])
    annotators = len({r.annotator for r in ratings})
    click.echo(
        f"{len(study.tasks)} tasks, {len(ratings)} ratings by {annotators} annotators: "
        f"{tasks_path}, {ratings_path}"
    )
