"""``simulacra play CONFIG --as SEAT``: a person takes a seat of a run config (human evaluation)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from simulacra.participants._human import HumanParticipant
from simulacra.runs import load_config
from simulacra.runs._play import parse_seat, play


@click.command("play")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--as",
    "seat",
    required=True,
    help="The seat you take: user, system, member or member:NAME (an id or display name).",
)
@click.option("--scenario", help="Scenario id (default: the config's first).")
@click.option("-o", "--output-dir", type=click.Path(path_type=Path), help="Where the run goes.")
@click.option("--player", help="A pseudonym recorded in run.json (not your real name).")
def play_command(
    config: Path, seat: str, scenario: str | None, output_dir: Path | None, player: str | None
) -> None:
    """Talk in one conversation of CONFIG yourself, in the seat given by --as.

    The others (simulated user, system under test, group members) are built from the config.
    Type a message and press Enter; /skip passes your turn, /quit (or Ctrl-D) ends the
    conversation. The transcript is written as a run directory with your seat marked human.
    """
    parse_seat(seat)  # a bad --as fails before the config is read
    cfg = load_config(config)
    result = asyncio.run(
        play(
            cfg,
            seat=seat,
            scenario=scenario,
            output_dir=output_dir,
            config_path=config,
            human=HumanParticipant(),
            player=player,
        )
    )
    c = result.conversation
    click.echo(f"conversation ended: {c.termination} (by {c.ended_by}), {len(c.turns)} turns")
    if c.error:
        click.echo(f"  error: {c.error}")
    click.echo(f"run directory: {result.directory}")
