"""``simulacra view RUN_DIR...``: browse runs in a local web viewer (loopback by default)."""

from __future__ import annotations

from pathlib import Path

import click

from simulacra.errors import ConfigError


@click.command("view")
@click.argument("run_dirs", nargs=-1, type=click.Path(path_type=Path))
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=0, show_default=True, help="Port (0: any free port).")
def view_command(run_dirs: tuple[Path, ...], host: str, port: int) -> None:
    """Browse the conversations, outcomes, judge scores and plots of RUN_DIRS in a browser.

    Without RUN_DIRS, every run directory under ./runs is shown. Only these directories are
    served; the page is reachable from this machine only unless --host says otherwise.
    """
    from simulacra.viewer import load_runs
    from simulacra.viewer._server import bind, is_loopback, serve_forever, url_of

    dirs = list(run_dirs)
    if not dirs:
        root = Path("runs")
        dirs = sorted(p.parent for p in root.glob("*/run.json")) if root.is_dir() else []
        if not dirs:
            raise ConfigError("no run directories given and none found under ./runs")
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be 0..65535, not {port}")
    runs = load_runs(dirs)
    sock = bind(host, port)
    if not is_loopback(host):
        click.echo(
            f"warning: listening on {host}: anyone who can reach this address can read these runs",
            err=True,
        )
    total = sum(len(r.conversations) for r in runs)
    click.echo(f"{len(runs)} run(s), {total} conversations")
    click.echo(f"Simulacra viewer: {url_of(host, sock)}  (Ctrl-C to stop)")
    serve_forever(runs, host, sock)
