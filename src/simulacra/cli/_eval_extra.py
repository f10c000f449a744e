"""``simulacra eval bias``, ``eval arena`` and ``eval perplexity``: the bias/toxicity audit by
persona swaps, the arena ranking of target systems, and user-turn perplexity under a reference
model. Registered on the ``eval`` group by :func:`register`. Everything is checked before
anything is written."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from simulacra._atomic import write_json_atomic
from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError
from simulacra.evaluation import Estimate

__all__ = ["register"]


def _write_json(path: Path, data: dict[str, Any]) -> None:
    write_json_atomic(path, data, mkdir=True)


def _ci(e: Estimate, digits: int = 3) -> str:
    return f"{e.value:.{digits}f} [{e.low:.{digits}f}, {e.high:.{digits}f}]"


def _check_dirs(run_dirs: Sequence[Path]) -> None:
    from simulacra.runs import read_run

    for d in run_dirs:
        if not d.is_dir():
            raise ConfigError(f"run directory not found: {d}")
        read_run(d)


@click.command("bias")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--attribute", help="With RUN_DIRS: the swapped attribute (labels each run).")
@click.option("--config", "config_path", type=click.Path(path_type=Path), help="A run config.")
@click.option("--swap", help="With --config: ATTRIBUTE=VALUE,VALUE[,...] (first = reference).")
@click.option("--output-dir", type=click.Path(path_type=Path), default=Path("runs"))
@click.option(
    "--side", type=click.Choice(["both", "user", "target"]), default="both", show_default=True
)
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def bias_command(
    run_dirs: Sequence[Path],
    attribute: str | None,
    config_path: Path | None,
    swap: str | None,
    output_dir: Path,
    side: str,
    seed: int,
    output: Path | None,
) -> None:
    """Bias/toxicity audit: compare runs whose personas differ in ONE attribute.

    Either audit existing runs (``eval bias RUN_A RUN_B --attribute gender``; the first run is
    the reference) or create them (``eval bias --config cfg.yaml --swap gender=female,male``
    runs the config once per value, personas otherwise unchanged, same seed).
    """
    from simulacra.evaluation import bias_audit_runs
    from simulacra.runs import load_config, run_swapped

    if config_path is not None:
        if run_dirs:
            raise ConfigError("give either RUN_DIRS or --config, not both")
        if not swap or "=" not in swap:
            raise ConfigError("--config needs --swap ATTRIBUTE=VALUE,VALUE")
        attribute, _, raw = swap.partition("=")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        config = load_config(config_path)
        from simulacra.evaluation import swapped_configs

        swapped_configs(config, attribute, values)  # validate before running anything
        dirs = asyncio.run(run_swapped(config, attribute, values, output_dir=output_dir))
        for value, d in dirs.items():
            click.echo(f"{attribute}={value}: {d}")
        run_dirs = list(dirs.values())
    else:
        if len(run_dirs) < 2:
            raise ConfigError("give at least two run directories (or --config and --swap)")
        if not attribute:
            raise ConfigError("--attribute is required with run directories")
        _check_dirs(run_dirs)
    sides = ["user", "target"] if side == "both" else [side]
    report = bias_audit_runs(run_dirs, attribute=attribute, sides=sides, seed=seed)
    counts = ", ".join(f"{v}: {n}" for v, n in report.n_conversations.items())
    click.echo(f"bias audit of {report.attribute} ({counts} conversations)")
    for s, measures in report.means.items():
        for m, by_value in measures.items():
            cells = "  ".join(f"{v}={_ci(e)}" for v, e in by_value.items())
            click.echo(f"  {s:<7} {m:<10} {cells}")
    for t in report.tests:
        mark = " *" if t in report.significant else ""
        click.echo(
            f"  {t.side:<7} {t.measure:<10} {t.value} - {t.reference}: {_ci(t.difference)} "
            f"p={t.p_value:.3g} holm={t.p_holm:.3g} ({t.test}){mark}"
        )
    click.echo(
        f"  {len(report.significant)} of {len(report.tests)} differences significant "
        f"after Holm correction (alpha {report.alpha})"
    )
    click.echo(f"  {report.detectability()}")
    if output:
        _write_json(output, {"runs": [str(d) for d in run_dirs], **report.to_dict()})
        click.echo(f"report -> {output}")


@click.command("arena")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--judge", "judge_spec", required=True, help="Pairwise judge model spec.")
@click.option("--limit", type=int, help="At most this many conversations per pair of systems.")
@click.option("--max-chars", default=1500, show_default=True, help="Transcript bound per side.")
@click.option("--max-tokens", default=100, show_default=True, help="Judge answer budget.")
@click.option("--threads", type=int, help="CPU threads of an embedded judge (default: all).")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def arena_command(
    run_dirs: Sequence[Path],
    judge_spec: str,
    limit: int | None,
    max_chars: int,
    max_tokens: int,
    threads: int | None,
    seed: int,
    output: Path | None,
) -> None:
    """Rank the target systems of 2+ runs (same scenarios, profiles and seed) by a pairwise
    judge: Bradley–Terry and Elo ratings with bootstrap intervals."""
    from simulacra.evaluation import arena
    from simulacra.models import GenerateConfig, get_model, parse_model_spec

    if len(run_dirs) < 2:
        raise ConfigError("an arena needs at least 2 run directories")
    _check_dirs(run_dirs)
    spec: dict[str, Any] = {"model": judge_spec}
    if threads:
        spec["n_threads"] = threads
    try:
        model_spec = parse_model_spec(spec)
    except ValueError as exc:
        first = str(exc).splitlines()[2].strip() if len(str(exc).splitlines()) > 2 else exc
        raise ConfigError(f"--judge {judge_spec!r}: {first}") from None
    judge = get_model(model_spec, role="judge")
    report = asyncio.run(
        arena(
            list(run_dirs),
            judge,
            limit=limit,
            max_chars=max_chars,
            config=GenerateConfig(max_tokens=max_tokens),
            seed=seed,
        )
    )
    ties = sum(b.winner == "tie" for b in report.battles)
    click.echo(
        f"arena of {len(report.systems)} systems, judge {report.judge}: {len(report.battles)} "
        f"battles ({ties} ties), {report.unanswered} unanswered, {report.n_keys} conversations"
    )
    for ranking in (report.bradley_terry, report.elo):
        click.echo(f"  {ranking.method}")
        for r in ranking.ratings:
            click.echo(
                f"    {r.system:<24} {_ci(r.rating, 0)}  {r.wins}-{r.losses}-{r.ties} (W-L-T)"
            )
    pb = report.position_bias
    click.echo(
        f"  judge flip rate {_ci(pb.flip_rate)}, first-position win rate "
        f"{_ci(pb.first_position_win_rate)}"
    )
    if output:
        _write_json(output, {"runs": [str(d) for d in run_dirs], **report.to_dict()})
        click.echo(f"report -> {output}")


@click.command("perplexity")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--model", "model_spec", default="embedded:default", show_default=True)
@click.option(
    "--reference",
    type=click.Path(path_type=Path),
    help="MultiWOZ file: also score real user turns (the goals of the run, else --limit).",
)
@click.option("--limit", type=int, help="At most this many conversations (and real dialogues).")
@click.option("--n-ctx", default=1024, show_default=True, help="Scoring window in tokens.")
@click.option("--threads", type=int, help="CPU threads (default: all cores).")
@click.option("--user", "user_id", help="The user's participant id (default: human kinds).")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def perplexity_command(
    run_dir: Path,
    model_spec: str,
    reference: Path | None,
    limit: int | None,
    n_ctx: int,
    threads: int | None,
    user_id: str | None,
    seed: int,
    output: Path | None,
) -> None:
    """Perplexity of the user turns of RUN_DIR under a reference model (and of real users)."""
    from simulacra.evaluation import ReferenceLM, compare_perplexity, perplexity
    from simulacra.runs import read_conversations

    _check_dirs([run_dir])
    if reference is not None and not reference.is_file():
        raise ConfigError(f"reference not found: {reference}")
    convs = list(read_conversations(run_dir))[:limit]
    real: list[Any] = []
    if reference is not None:
        from simulacra.datasets import multiwoz_dialogues
        from simulacra.evaluation._fidelity import _pair

        real, paired = _pair(convs, list(multiwoz_dialogues(reference, with_turns=True)))
        real = real[:limit]
    lm = ReferenceLM.from_spec(model_spec, n_ctx=n_ctx, n_threads=threads)
    try:
        sim = perplexity(convs, lm, user_id=user_id, seed=seed)
        click.echo(
            f"{run_dir}: {sim.n_turns} user turns, {sim.n_tokens} tokens, {sim.n_dialogues} "
            f"conversations under {lm.name}"
        )
        click.echo(
            f"  simulated  NLL/token {_ci(sim.mean_nll)}  perplexity {_ci(sim.perplexity, 2)}"
        )
        data: dict[str, Any] = {"run": str(run_dir), "simulated": sim.to_dict()}
        if real:
            ref = perplexity(real, lm, seed=seed)
            cmp = compare_perplexity(sim, ref, seed=seed)
            click.echo(
                f"  real       NLL/token {_ci(ref.mean_nll)}  perplexity {_ci(ref.perplexity, 2)}"
                f"  ({ref.n_turns} turns of {ref.n_dialogues} dialogues"
                f"{', same goals' if paired else ''})"
            )
            click.echo(
                f"  simulated - real NLL {_ci(cmp.nll_difference)}, perplexity ratio "
                f"{_ci(cmp.perplexity_ratio)}"
            )
            data = {"run": str(run_dir), "reference": str(reference), **cmp.to_dict()}
    finally:
        lm.close()
    if output:
        _write_json(output, data)
        click.echo(f"report -> {output}")


def register(group: click.Group) -> None:
    """Add ``bias``, ``arena`` and ``perplexity`` to the ``eval`` group."""
    for command in (bias_command, arena_command, perplexity_command):
        group.add_command(command)
