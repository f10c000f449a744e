from __future__ import annotations

import json
import os
from pathlib import Path

import click
from pydantic import ValidationError

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
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help="JSONL file.")
def sample_command(spec: Path, n: int | None, seed: int | None, output: Path) -> None:
    """Sample personas from a population SPEC (YAML) into a JSONL file."""
    population = load_spec(spec)
    updates = {k: v for k, v in (("n", n), ("seed", seed)) if v is not None}
    if updates:
        try:
            population = PopulationSpec.model_validate({**population.model_dump(), **updates})
        except ValidationError as exc:
            raise ConfigError(f"-n/--seed: {exc.errors()[0]['msg']}") from None
    personas = sample_population(population)
    tmp = output.with_name(f".{output.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for p in personas:
            record = {"kind": "persona", **p.model_dump(mode="json", exclude_defaults=True)}
            f.write(json.dumps(record) + "\n")
    os.replace(tmp, output)
    stats = population_stats(personas, population)
    click.echo(f"wrote {len(personas)} personas to {output}")
    click.echo(
        f"duplicates {stats['duplicates']}, mean pairwise Gower distance "
        f"{stats.get('mean_pairwise_gower')}"
    )


@personas_command.command("stats")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--spec", type=click.Path(path_type=Path), help="Compare with this target spec.")
def stats_command(file: Path, spec: Path | None) -> None:
    """Coverage, diversity and distance from the target of a persona FILE (JSONL)."""
    personas = load_personas(file)
    target = load_spec(spec) if spec else None
    click.echo(json.dumps(population_stats(personas, target), indent=2))
