"""``simulacra play CONFIG --as SEAT``: a person takes a seat of a run config (human evaluation)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import click

from simulacra.errors import MissingExtraError
from simulacra.participants import HumanParticipant
from simulacra.runs import PlayResult, RunConfig, load_config, parse_seat, play


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
@click.option("--web", is_flag=True, help="Type in a browser page instead of the terminal.")
@click.option("--host", default="127.0.0.1", show_default=True, help="With --web: the address.")
@click.option("--port", default=0, show_default=True, help="With --web: the port (0: any free).")
def play_command(
    config: Path,
    seat: str,
    scenario: str | None,
    output_dir: Path | None,
    player: str | None,
    web: bool,
    host: str,
    port: int,
) -> None:
    """Talk in one conversation of CONFIG yourself, in the seat given by --as.

    The others (simulated user, system under test, group members) are built from the config.
    Type a message and press Enter; /skip passes your turn, /quit (or Ctrl-D) ends the
    conversation. The transcript is written as a run directory with your seat marked human.
    With --web the same conversation is played in a local browser page (open the address shown).
    """
    parse_seat(seat)  # a bad --as fails before the config is read
    cfg = load_config(config)
    if web:
        result = _play_web(cfg, config, seat, scenario, output_dir, player, host, port)
    else:
        result = _play_terminal(cfg, config, seat, scenario, output_dir, player)
    c = result.conversation
    click.echo(f"conversation ended: {c.termination} (by {c.ended_by}), {len(c.turns)} turns")
    if c.error:
        click.echo(f"  error: {c.error}")
    click.echo(f"run directory: {result.directory}")


def _play_terminal(
    cfg: RunConfig,
    config: Path,
    seat: str,
    scenario: str | None,
    output_dir: Path | None,
    player: str | None,
) -> PlayResult:
    return asyncio.run(
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


def _play_web(
    cfg: RunConfig,
    config: Path,
    seat: str,
    scenario: str | None,
    output_dir: Path | None,
    player: str | None,
    host: str,
    port: int,
) -> PlayResult:
    """Serve the play page until the page has seen the end (or Ctrl-C, which ends the
    conversation as /quit does and still writes the run)."""
    try:
        import uvicorn

        from simulacra.viewer._play_app import PlaySession, create_play_app
    except ImportError:
        raise MissingExtraError("viewer", "simulacra play --web") from None
    from simulacra.viewer._server import bind, is_loopback, url_of

    def ended(session: PlaySession) -> None:
        click.echo("conversation over; the page shows where it was written (Ctrl-C to stop)")

    session = PlaySession(
        cfg,
        seat=seat,
        scenario=scenario,
        output_dir=output_dir,
        config_path=config,
        player=player,
        on_end=ended,
    )
    server: uvicorn.Server | None = None

    def stop() -> None:
        if server is not None:
            server.should_exit = True

    app = create_play_app(
        session, allowed_hosts=None if is_loopback(host) else ["*"], on_end_seen=stop
    )
    sock = bind(host, port)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    click.echo(f"playing as {seat}: open {url_of(host, sock)}")
    server.run(sockets=[sock])
    if session.error is not None:
        raise session.error
    if session.result is None:
        raise click.ClickException("the server stopped before the conversation was written")
    return session.result
