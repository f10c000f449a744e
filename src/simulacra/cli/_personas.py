from __future__ import annotations

import json
import os
from pathlib import Path

import click
from pydantic import ValidationError

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.profiles import Persona, PopulationSpec, population_stats, sample_population
from simulacra.profiles._io import load_personas, load_spec


def _write_personas(personas: list[Persona], output: Path) -> None:
    tmp = output.with_name(f".{output.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for p in personas:
            record = {"kind": "persona", **p.model_dump(mode="json", exclude_defaults=True)}
            f.write(json.dumps(record) + "\n")
    os.replace(tmp, output)


@click.group("personas")
def personas_command() -> None:
    """Sample persona populations and describe them."""


@personas_command.command("sample")
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("-n", type=int, help="Population size (overrides the spec).")
@click.option("--seed", type=int, help="Seed (overrides the spec).")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file.")
def sample_command(spec: Path, n: int | None, seed: int | None, output: Path) -> None:
    """Sample personas from a population SPEC (YAML) into a JSONL file."""
    population = load_spec(spec)
    updates = {k: v for k, v in (("n", n), ("seed", seed)) if v is not None}
    if updates:
        try:
            population = PopulationSpec.model_validate({**population.model_dump(), **updates})
        except ValidationError as exc:
            raise ConfigError(f"-n/--seed: {summarise(exc)}") from None
    personas = sample_population(population)
    _write_personas(personas, output)
    stats = population_stats(personas, population)
    click.echo(f"wrote {len(personas)} personas to {output}")
    click.echo(
        f"duplicates {stats['duplicates']}, mean pairwise Gower distance "
        f"{stats.get('mean_pairwise_gower')}"
    )


@personas_command.command("import")
@click.argument("corpus", type=click.Choice(["casino", "persuasionforgood"]))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file.")
def import_command(corpus: str, path: Path, output: Path) -> None:
    """Turn a real corpus's participant questionnaires into personas (CaSiNo: data/split;
    PersuasionForGood: data/FullData)."""
    from simulacra.datasets import casino_personas, persuasionforgood_personas

    reader = casino_personas if corpus == "casino" else persuasionforgood_personas
    personas = list(reader(path))
    _write_personas(personas, output)
    click.echo(f"wrote {len(personas)} {corpus} personas to {output}")


@personas_command.command("stats")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--spec", type=click.Path(path_type=Path), help="Compare with this target spec.")
def stats_command(file: Path, spec: Path | None) -> None:
    """Coverage, diversity and distance from the target of a persona FILE (JSONL)."""
    personas = load_personas(file)
    target = load_spec(spec) if spec else None
    click.echo(json.dumps(population_stats(personas, target), indent=2))
