"""``simulacra eval diversity``, ``eval drift`` and ``eval audit``: measures over a population of
conversations (a run directory, a study of several, or a MultiWOZ file)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from simulacra._validation import read_jsonl
from simulacra.cli._eval_common import build_judge, estimate, write_json
from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError

__all__ = ["register"]


def _populations(sources: Sequence[Path], limit: int | None, domains: str | None) -> list[Any]:
    """Load every source (run directory or MultiWOZ file) before anything is computed."""
    from simulacra.evaluation import load_population

    wanted = [d.strip() for d in domains.split(",") if d.strip()] if domains else None
    out = []
    for source in sources:
        if not source.exists():
            raise ConfigError(f"not found: {source} (a run directory or a MultiWOZ .json/.zip)")
        out.append(load_population(source, limit=limit, domains=wanted))
    return out


_CORPUS_HELP = "MultiWOZ files: at most this many dialogues."
_DOMAINS_HELP = "MultiWOZ files: only goals within these domains, comma-separated (e.g. hotel)."


@click.command("diversity")
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
    from simulacra.evaluation import diversity_report

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
        cells = [estimate(getattr(r, table).get(name)) for r in reports]
        click.echo(f"  {label:<26} " + " | ".join(cells))
    for r in reports:
        for name, why in r.skipped.items():
            click.echo(f"  {r.source}: {name} skipped: {why}")
    if output:
        write_json(output, {"reports": [r.to_dict() for r in reports]})
        click.echo(f"report -> {output}")


@click.command("drift")
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
    from simulacra.evaluation import drift_items, drift_report, judge_run

    if judge_spec is not None and judge_spec.startswith("baseline"):
        raise ConfigError("--judge for drift needs a model (e.g. embedded:default), not a baseline")
    (population,) = _populations([source], limit, domains)
    judge = build_judge(judge_spec, rubric_id, max_tokens=max_tokens) if judge_spec else None
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
        click.echo(f"  {name:<28} mean {estimate(report.means.get(name))}")
        click.echo(f"  {'':<28} slope/turn {estimate(report.slopes.get(name))}")
        curve = "  ".join(f"{p.turn}:{p.mean:.2f}(n={p.n})" for p in points)
        click.echo(f"  {'':<28} {curve}")
    if verdicts is not None and population.kind == "run":
        path = judge_run(source, verdicts)
        click.echo(f"  {len(verdicts)} verdicts -> {path}")
    if output:
        write_json(output, report.to_dict())
        click.echo(f"report -> {output}")


def _read_hidden(path: Path | None) -> dict[str, list[str]]:
    if path is None:
        return {}
    if not path.is_file():
        raise ConfigError(f"hidden-facts file not found: {path}")
    out: dict[str, list[str]] = {}
    for n, row in read_jsonl(path, what="hidden-facts file"):
        try:
            out[str(row["id"])] = [str(f) for f in row["hidden"]]
        except (KeyError, TypeError):
            raise ConfigError(
                f"{path}:{n}: expected a JSON object with 'id' and a 'hidden' list"
            ) from None
    return out


@click.command("audit")
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
    from simulacra.evaluation import AUDIT_RULES, audit_report

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
        click.echo(f"  {rule:<16} {estimate(e)}  (of {report.applicable.get(rule, 0)})")
    for rule in AUDIT_RULES:
        for flag in [f for f in report.flags if f.rule == rule][:show]:
            click.echo(f"    {rule} {flag.turn_id}: {flag.detail}")
    if output:
        write_json(output, report.to_dict())
        click.echo(f"report -> {output}")


def register(group: click.Group) -> None:
    """Add ``diversity``, ``drift`` and ``audit`` to the ``eval`` group."""
    for command in (eval_diversity_command, eval_drift_command, eval_audit_command):
        group.add_command(command)
