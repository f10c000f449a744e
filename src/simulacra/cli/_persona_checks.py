"""The work behind ``simulacra personas psychometric`` and ``simulacra personas generate``
(the click commands themselves sit in :mod:`simulacra.cli._personas`)."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import click
from pydantic import ValidationError

from simulacra._atomic import write_json_atomic, write_text_atomic
from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.evaluation._psychometric import (
    Administration,
    PsychometricReport,
    administer_population,
    psychometric_report,
)
from simulacra.generation import (
    GenerationResult,
    Rejection,
    domain_seeds,
    generate_personas,
)
from simulacra.models import Model, get_model
from simulacra.profiles import Persona, load_inventory
from simulacra.profiles._io import load_personas

__all__ = ["load_seeds", "make_model", "run_generate", "run_psychometric", "write_personas"]


def write_personas(personas: list[Persona], output: Path) -> None:
    """Write personas as JSONL (``kind: persona``, defaults left out), atomically."""
    text = "".join(
        json.dumps({"kind": "persona", **p.model_dump(mode="json", exclude_defaults=True)}) + "\n"
        for p in personas
    )
    write_text_atomic(output, text)


def make_model(spec: str, *, role: str, max_tokens: int, temperature: float, seed: int) -> Model:
    """A model from a ``--model`` spec, with one-line errors."""
    try:
        return get_model(
            {"model": spec, "max_tokens": max_tokens, "temperature": temperature, "seed": seed},
            role=role,
        )
    except ValidationError as exc:
        raise ConfigError(f"--model: {summarise(exc)}") from None


def _default_concurrency(spec: str) -> int:
    # The embedded model runs one call at a time and reuses its KV cache best when one persona's
    # prompts come in a row.
    return 1 if spec.startswith(("embedded:", "gguf:")) else 8


def _check_output(output: Path) -> None:
    if not output.parent.is_dir():
        raise ConfigError(f"{output}: directory {output.parent} does not exist")


def _fmt(value: float | None, spec: str = ".2f") -> str:
    return "-" if value is None else format(value, spec)


def format_report(report: PsychometricReport) -> str:
    """The per-trait table printed by the command."""
    lines = [
        f"{'trait':<18} {'r':>6} {'95% CI':>16} {'rho':>6} {'MAE':>5} {'n':>4}",
    ]
    for t in report.traits:
        ci = f"[{t.pearson_ci[0]:.2f}, {t.pearson_ci[1]:.2f}]" if t.pearson_ci else "-"
        lines.append(
            f"{t.trait:<18} {_fmt(t.pearson):>6} {ci:>16} {_fmt(t.spearman):>6} "
            f"{_fmt(t.mae):>5} {t.n:>4}"
        )
    lines.append(
        f"mean r {_fmt(report.mean_pearson)}; response rate {report.response_rate:.1%}; "
        f"{report.personas} personas; {report.inventory}; model {report.model}"
    )
    return "\n".join(lines)


def run_psychometric(
    file: Path,
    *,
    model_spec: str,
    n: int | None,
    inventory_name: str,
    seed: int,
    fresh_context: bool,
    reask: bool,
    prompting: str,
    concurrency: int | None,
    max_tokens: int,
    output: Path,
) -> PsychometricReport:
    """Administer an inventory to the personas of ``file`` and write the report."""
    inventory = load_inventory(inventory_name)
    personas = [p for p in load_personas(file) if p.big_five is not None]
    if not personas:
        raise ConfigError(f"{file}: no persona has big_five scores to compare with")
    if n is not None:
        if n < 1:
            raise ConfigError(f"-n: must be >= 1, got {n}")
        if n < len(personas):
            keep = sorted(random.Random(seed).sample(range(len(personas)), n))
            personas = [personas[i] for i in keep]
    _check_output(output)
    model = make_model(model_spec, role="user", max_tokens=max_tokens, temperature=0.0, seed=seed)
    done = 0

    def progress(adm: Administration) -> None:
        nonlocal done
        done += 1
        click.echo(
            f"  [{done}/{len(personas)}] {adm.persona_id}: "
            f"{adm.answered}/{len(adm.answers)} answered",
            err=True,
        )

    async def go() -> list[Administration]:
        try:
            return await administer_population(
                personas,
                model,
                inventory,
                concurrency=concurrency or _default_concurrency(model_spec),
                fresh_context=fresh_context,
                reask=reask,
                prompting="transcript" if prompting == "transcript" else "chat",
                on_done=progress,
            )
        finally:
            await model.aclose()

    administrations = asyncio.run(go())
    report = psychometric_report(
        administrations, inventory, model=model_spec, fresh_context=fresh_context, seed=seed
    )
    write_json_atomic(output, report.model_dump(mode="json"))
    return report


def load_seeds(path: Path) -> list[str]:
    """Seed texts: one per non-blank line; ``#`` starts a comment line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file") from None
    seeds = [s.strip() for s in lines if s.strip() and not s.lstrip().startswith("#")]
    if not seeds:
        raise ConfigError(f"{path}: no seed texts (one per line)")
    return seeds


def run_generate(
    seeds_file: Path | None,
    *,
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
) -> GenerationResult:
    """Generate personas from seed texts (or a domain) and write them as JSONL."""
    if (seeds_file is None) == (domain is None):
        raise ConfigError("give either a SEEDS file or --domain (not both)")
    if n is not None and n < 1:
        raise ConfigError(f"-n: must be >= 1, got {n}")
    if not 0.0 < threshold <= 1.0:
        raise ConfigError(f"--threshold: must be in (0, 1], got {threshold}")
    if seeds_file is not None:
        base = load_seeds(seeds_file)
        count = n or len(base)
        # More personas than seeds: cycle through them, numbered so that prompts differ.
        seeds = [
            base[i % len(base)]
            if i < len(base)
            else f"{base[i % len(base)]} (#{i // len(base) + 1})"
            for i in range(count)
        ]
    else:
        assert domain is not None
        seeds = domain_seeds(domain, n or 20)
    _check_output(output)
    model = make_model(
        model_spec, role="persona_gen", max_tokens=max_tokens, temperature=temperature, seed=seed
    )

    done = 0

    def progress(item: Persona | Rejection) -> None:
        nonlocal done
        done += 1
        what = f"ok: {item.name}" if isinstance(item, Persona) else f"rejected: {item.reason}"
        click.echo(f"  [{done}/{len(seeds)}] {what}", err=True)

    async def go() -> GenerationResult:
        try:
            return await generate_personas(
                seeds,
                model,
                retries=retries,
                threshold=threshold,
                concurrency=concurrency or _default_concurrency(model_spec),
                on_done=progress,
            )
        finally:
            await model.aclose()

    result = asyncio.run(go())
    write_personas(result.personas, output)
    return result
