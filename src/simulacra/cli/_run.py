from __future__ import annotations

import asyncio
from pathlib import Path

import click

from simulacra.conversation import Conversation
from simulacra.runs import execute_run, load_config


@click.command("run")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--output-dir", "-o", type=click.Path(path_type=Path), help="Where run directories go."
)
@click.option("--quiet", "-q", is_flag=True, help="Print only the run directory.")
def run_command(config: Path, output_dir: Path | None, quiet: bool) -> None:
    """Run the simulations described by a YAML CONFIG."""
    cfg = load_config(config)

    def progress(c: Conversation) -> None:
        if not quiet:
            click.echo(
                f"  {c.id}  {c.scenario_id}  {len(c.turns)} turns  {c.termination}"
                + (f"  ({c.error})" if c.error else ""),
                err=True,
            )

    if not quiet:
        click.echo(f"simulacra: running {config} ({cfg.name})", err=True)
    result = asyncio.run(
        execute_run(cfg, config_path=config, output_dir=output_dir, on_conversation=progress)
    )
    s = result.summary
    if quiet:
        click.echo(str(result.directory))
        return
    click.echo(f"run directory: {result.directory}")
    click.echo(f"transcripts:   {result.directory / 'conversations.jsonl'}")
    click.echo(
        f"summary: {s['conversations']} conversations, {s['turns']} turns "
        f"(mean {s['mean_turns']}), ended by {s['termination']}, {s['wall_s']} s"
    )
    for role, stats in s["models"].items():
        click.echo(
            f"  {role}: {stats['model']}: {stats['calls']} calls, "
            f"{stats['prompt_tokens']} prompt + {stats['completion_tokens']} completion tokens"
        )
    click.echo(f"read them with: simulacra show {result.directory}")
