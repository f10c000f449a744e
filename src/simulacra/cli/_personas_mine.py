"""``simulacra personas mine RUN_OR_CORPUS -o personas.jsonl``: behaviour profiles mined from
real conversations (a MultiWOZ file, or a run directory: an imported corpus or human-played
runs), optionally resampled into a population of any size (issue #22)."""

from __future__ import annotations

import json
import os
import statistics
from pathlib import Path

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError


def _summary(vectors: list[object]) -> dict[str, dict[str, float]]:
    from simulacra.profiles._mine import DIMENSIONS, BehaviourVector

    out: dict[str, dict[str, float]] = {}
    for name in DIMENSIONS:
        xs = [
            v
            for vec in vectors
            if isinstance(vec, BehaviourVector) and (v := vec.values()[name]) is not None
        ]
        if xs:
            out[name] = {
                "mean": statistics.fmean(xs),
                "sd": statistics.pstdev(xs),
                "n": float(len(xs)),
            }
    return out


@click.command("mine")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "-o", "--output", type=OutputPath(), required=True, help="JSONL file of personas to write."
)
@click.option(
    "--sample",
    "n_sample",
    type=click.IntRange(min=1),
    help="Write this many personas drawn from the mined population (smoothed bootstrap) "
    "instead of one per mined user.",
)
@click.option("--seed", default=0, show_default=True, help="Seed of --sample.")
@click.option("--limit", type=click.IntRange(min=1), help="MultiWOZ file: dialogues read.")
@click.option("--user", "user_id", help="The user's participant id (default: each run's own).")
@click.option("--stats", type=OutputPath(), help="Also write the mined vectors and summary (JSON).")
def mine_command(
    source: Path,
    output: Path,
    n_sample: int | None,
    seed: int,
    limit: int | None,
    user_id: str | None,
    stats: Path | None,
) -> None:
    """Mine per-user behaviour (verbosity, terseness, politeness, typo rate, question rate,
    disclosure style, patience) from the real conversations of SOURCE — a MultiWOZ .json/.zip
    file or a run directory — and write personas conditioned on it."""
    from simulacra.evaluation._fidelity_measures import reference_user
    from simulacra.evaluation._population import load_population
    from simulacra.profiles._mine import mine_behaviour, sample_behaviour, to_persona, user_dialogue

    if not source.exists():
        raise ConfigError(f"personas mine: {source} not found")
    population = load_population(source, limit=limit)
    dialogues = [
        user_dialogue(c, user_id or reference_user(c), population.task_of(c))
        for c in population.conversations
    ]
    mined = mine_behaviour(dialogues)
    if len(mined) < 2:
        raise ConfigError(
            f"personas mine: {source}: {len(mined)} conversation(s) with user turns "
            f"(user id {user_id or 'from each conversation'}); need at least 2"
        )
    chosen = sample_behaviour(mined, n_sample, seed=seed) if n_sample else mined
    records = [
        {"kind": "persona", **to_persona(v).model_dump(mode="json", exclude_defaults=True)}
        for v in chosen
    ]
    summary = {"mined": _summary(list(mined)), "written": _summary(list(chosen))}
    outputs = [(output, "".join(json.dumps(r) + "\n" for r in records))]
    if stats is not None:
        data = {
            "source": str(source),
            "users": len(mined),
            "written": len(chosen),
            "sampled": n_sample is not None,
            "seed": seed,
            "summary": summary,
            "vectors": [v.values() | {"id": v.id} for v in mined],
        }
        outputs.append((stats, json.dumps(data, indent=2) + "\n"))
    for path, text in outputs:  # all checked above: write each atomically
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    what = f"{len(chosen)} sampled" if n_sample else f"{len(chosen)} mined"
    click.echo(f"mined {len(mined)} users from {source}; wrote {what} personas to {output}")
    click.echo(f"  {'behaviour':<16} {'mined mean (sd)':<20} written mean (sd)")
    for name, s in summary["mined"].items():
        w = summary["written"].get(name)
        written = f"{w['mean']:.3f} ({w['sd']:.3f})" if w else "—"
        mined_s = f"{s['mean']:.3f} ({s['sd']:.3f})"
        click.echo(f"  {name:<16} {mined_s:<20} {written}")
