from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click
from pydantic import ValidationError

from simulacra._atomic import atomic_file
from simulacra._validation import summarise
from simulacra.cli._paths import OutputPath
from simulacra.cli._persona_checks import (
    format_report,
    run_generate,
    run_psychometric,
    write_personas,
)
from simulacra.cli._personas_mine import mine_command
from simulacra.errors import ConfigError
from simulacra.profiles import PopulationSpec, population_stats, sample_population
from simulacra.profiles._io import load_personas, load_spec


@click.group("personas")
def personas_command() -> None:
    """Sample persona populations and describe them."""


@personas_command.command("sample")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("-n", type=int, help="Population size (overrides the spec).")
@click.option("--seed", type=int, help="Seed (overrides the spec).")
@click.option("-o", "--output", type=OutputPath(), required=True, help="JSONL file.")
def sample_command(spec: Path, n: int | None, seed: int | None, output: Path) -> None:
    """Sample personas from a population SPEC (YAML) into a JSONL file."""
    population = load_spec(spec)
    updates = {k: v for k, v in (("n", n), ("seed", seed)) if v is not None}
    if updates:
        try:
            population = PopulationSpec.model_validate({**population.model_dump(), **updates})
        except ValidationError as exc:
            raise ConfigError(f"-n/--seed: {summarise(exc)}") from None
    personas = sample_population(population, source=str(spec))
    write_personas(personas, output)
    stats = population_stats(personas, population)
    click.echo(f"wrote {len(personas)} personas to {output}")
    click.echo(
        f"duplicates {stats['duplicates']}, mean pairwise Gower distance "
        f"{stats.get('mean_pairwise_gower')}"
    )


@personas_command.command("import")
@click.argument("corpus", type=click.Choice(["casino", "persuasionforgood"]))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=OutputPath(), required=True, help="JSONL file.")
def import_command(corpus: str, path: Path, output: Path) -> None:
    """Turn a real corpus's participant questionnaires into personas (CaSiNo: data/split;
    PersuasionForGood: data/FullData)."""
    from simulacra.datasets import casino_personas, persuasionforgood_personas

    reader = casino_personas if corpus == "casino" else persuasionforgood_personas
    personas = list(reader(path))
    write_personas(personas, output)
    click.echo(f"wrote {len(personas)} {corpus} personas to {output}")


@personas_command.command("stats")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--spec", type=click.Path(path_type=Path), help="Compare with this target spec.")
def stats_command(file: Path, spec: Path | None) -> None:
    """Coverage, diversity and distance from the target of a persona FILE (JSONL)."""
    personas = load_personas(file)
    target = load_spec(spec) if spec else None
    click.echo(json.dumps(population_stats(personas, target), indent=2))


@personas_command.command("psychometric")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--model", "model_spec", default="embedded:default", show_default=True)
@click.option("-n", type=int, help="Administer to n personas (a seeded sample).")
@click.option("--inventory", default="mini-ipip", show_default=True, help="Or an inventory YAML.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--fresh-context/--history",
    default=True,
    show_default=True,
    help="One short conversation per item, or one conversation for the whole inventory.",
)
@click.option("--no-reask", is_flag=True, help="Do not re-ask unparseable answers.")
@click.option("--prompting", type=click.Choice(["chat", "transcript"]), default="chat")
@click.option("--concurrency", type=click.IntRange(min=1), help="Personas at once.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("-o", "--output", type=OutputPath(), required=True, help="JSON report.")
def psychometric_command(
    file: Path,
    model_spec: str,
    n: int | None,
    inventory: str,
    seed: int,
    fresh_context: bool,
    no_reask: bool,
    prompting: str,
    concurrency: int | None,
    max_tokens: int,
    output: Path,
) -> None:
    """Administer a Big Five inventory to the personas of FILE and compare with their scores."""

    report = run_psychometric(
        file,
        model_spec=model_spec,
        n=n,
        inventory_name=inventory,
        seed=seed,
        fresh_context=fresh_context,
        reask=not no_reask,
        prompting=prompting,
        concurrency=concurrency,
        max_tokens=max_tokens,
        output=output,
    )
    click.echo(format_report(report))
    click.echo(f"wrote {output}")


@personas_command.command("generate")
@click.argument("seeds", required=False, type=click.Path(path_type=Path))
@click.option("--domain", help="Instead of SEEDS: people who would use this (a product, a task).")
@click.option("--model", "model_spec", default="embedded:default", show_default=True)
@click.option("-n", type=int, help="Personas to generate (default: one per seed; 20 for --domain).")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--retries", type=click.IntRange(min=0), default=2, show_default=True)
@click.option("--threshold", type=float, default=0.8, show_default=True, help="Near-duplicate.")
@click.option("--concurrency", type=click.IntRange(min=1), help="Seeds at once.")
@click.option("--max-tokens", type=click.IntRange(min=1), default=400, show_default=True)
@click.option("--temperature", type=click.FloatRange(0, 5), default=0.8, show_default=True)
@click.option("-o", "--output", type=OutputPath(), required=True, help="JSONL file.")
def generate_command(
    seeds: Path | None,
    domain: str | None,
    model_spec: str,
    n: int | None,
    seed: int,
    retries: int,
    threshold: float,
    concurrency: int | None,
    max_tokens: int,
    temperature: float,
    output: Path,
) -> None:
    """Generate personas from SEEDS (one short description per line) with a model."""

    result = run_generate(
        seeds,
        domain=domain,
        model_spec=model_spec,
        n=n,
        seed=seed,
        retries=retries,
        threshold=threshold,
        concurrency=concurrency,
        max_tokens=max_tokens,
        temperature=temperature,
        output=output,
    )
    click.echo(
        f"generated {len(result.personas)}, invalid {len(result.rejected)}, "
        f"duplicates dropped {result.duplicates} ({result.attempts} model calls)"
    )
    for r in result.rejected[:5]:
        click.echo(f"  rejected after {r.attempts} attempts: {r.reason}")
    click.echo(f"wrote {len(result.personas)} personas to {output}")
    if result.personas:
        click.echo(json.dumps(population_stats(result.personas), indent=2))


def _write_atomically(outputs: list[tuple[Path, str]]) -> None:
    # every file is written before any is replaced: a failure leaves all of them as they were
    with contextlib.ExitStack() as stack:
        for path, text in outputs:
            stack.enter_context(atomic_file(path)).write(text)


@personas_command.command("import-history")
@click.argument("logs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=OutputPath(), required=True, help="JSON file.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv", "text"]), help="Read all as.")
@click.option("--person", help="The speaker who is the person (needed with several speakers).")
@click.option("--field", "field_spec", default="", help="e.g. speaker=from,text=body,session=chat")
@click.option("--no-redact", is_flag=True, help="Keep personal data (redaction is on by default).")
@click.option("--names-file", type=click.Path(path_type=Path), help="More names, one a line.")
@click.option("--report", type=click.Path(path_type=Path), help="Write the redaction report.")
@click.option("--memory-log", type=click.Path(path_type=Path), help="Write the consolidation log.")
@click.option("--name", help="Display name of the profile (default: the speaker label).")
@click.option("--id", "profile_id", help="Profile id.")
@click.option("--retrieval", type=click.Choice(["bm25", "embedding", "none"]), default="bm25")
@click.option("--memory-k", type=click.IntRange(1, 50), default=3, help="Memories per turn.")
@click.option("--capacity", type=click.IntRange(1), help="Keep at most this many memories.")
def import_history_command(
    logs: tuple[Path, ...],
    output: Path,
    fmt: str | None,
    person: str | None,
    field_spec: str,
    no_redact: bool,
    names_file: Path | None,
    report: Path | None,
    memory_log: Path | None,
    name: str | None,
    profile_id: str | None,
    retrieval: str,
    memory_k: int,
    capacity: int | None,
) -> None:
    """Build an individual (survey §3.4) from a person's own chat LOGS (.jsonl, .csv) and notes
    (.txt, .md): facts, style exemplars and consolidated memories, with personal data redacted."""
    from collections import Counter
    from typing import cast

    from simulacra.profiles import import_history, parse_field_mapping
    from simulacra.profiles._history import HistoryFormat
    from simulacra.profiles._individual import Retrieval

    names: list[str] = []
    if names_file is not None:
        try:
            names = [n.strip() for n in names_file.read_text(encoding="utf-8").splitlines()]
        except (OSError, UnicodeDecodeError):
            raise ConfigError(f"{names_file}: cannot read the names file") from None
    result = import_history(
        list(logs),
        format=cast("HistoryFormat | None", fmt),
        person=person,
        fields=parse_field_mapping(field_spec),
        redact=not no_redact,
        names=[n for n in names if n and not n.startswith("#")],
        name=name,
        id=profile_id,
        capacity=capacity,
        retrieval=cast("Retrieval", retrieval),
        memory_k=memory_k,
    )
    # One line of JSON: a valid JSON file and a one-record JSONL profiles file at once.
    record = result.individual.model_dump(mode="json", exclude_defaults=True)
    outputs = [(output, json.dumps({"kind": "individual", **record}) + "\n")]
    if report is not None:
        outputs.append((report, result.redactions.model_dump_json(indent=2) + "\n"))
    if memory_log is not None:
        lines = (op.model_dump_json() + "\n" for op in result.consolidation)
        outputs.append((memory_log, "".join(lines)))
    _write_atomically(outputs)
    ops = Counter(op.op for op in result.consolidation)
    individual = result.individual
    click.echo(
        f"wrote {output}: {result.messages} messages, {result.notes} note paragraphs -> "
        f"{len(individual.facts)} facts, {len(individual.history)} exemplars, "
        f"{len(individual.memories)} memories"
    )
    click.echo("consolidation: " + ", ".join(f"{k} {ops[k]}" for k in sorted(ops)))
    counts = result.redactions.counts
    summary = ", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing found"
    click.echo(f"redactions: {summary}" if result.redactions.enabled else "redactions: off")


personas_command.add_command(mine_command)
