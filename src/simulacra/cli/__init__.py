"""The ``simulacra`` command line. One module per command; this module wires them up and turns
Simulacra's own errors into a one-line message and exit code 2, Ctrl-C into exit code 130 and
SIGTERM into 143 (one line each)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence

import click

from simulacra import __version__
from simulacra._secrets import redact_text
from simulacra._signals import EXIT_CODES, Terminated, install_cli_handlers, signal_word
from simulacra.cli._cache import cache_command
from simulacra.cli._gate import gate_command
from simulacra.cli._models import models_command
from simulacra.cli._paths import discard_created_folders
from simulacra.cli._personas import personas_command
from simulacra.cli._roleplay import roleplay_command
from simulacra.cli._run import run_command
from simulacra.cli._show import show_command
from simulacra.errors import ConfigError, MissingExtraError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="simulacra")
def cli() -> None:
    """Simulacra: LLM-based conversational user simulation."""


cli.add_command(run_command)
cli.add_command(show_command)
cli.add_command(models_command)
cli.add_command(cache_command)
cli.add_command(personas_command)
cli.add_command(roleplay_command)
cli.add_command(gate_command)
cli.add_command(__import__("simulacra.cli._eval", fromlist=["_"]).eval_command)
cli.add_command(__import__("simulacra.cli._fidelity", fromlist=["_"]).fidelity_command)
cli.add_command(__import__("simulacra.cli._data", fromlist=["_"]).data_command)
cli.add_command(__import__("simulacra.cli._view", fromlist=["_"]).view_command)
cli.add_command(__import__("simulacra.cli._report", fromlist=["_"]).report_command)
cli.add_command(__import__("simulacra.cli._counterfactual", fromlist=["_"]).counterfactual_command)
cli.add_command(__import__("simulacra.cli._robustness", fromlist=["_"]).robustness_command)
cli.add_command(__import__("simulacra.cli._play", fromlist=["_"]).play_command)
cli.add_command(__import__("simulacra.cli._annotate", fromlist=["_"]).annotate_command)
cli.add_command(__import__("simulacra.cli._train", fromlist=["_"]).train_command)
cli.add_command(__import__("simulacra.cli._recipe", fromlist=["_"]).recipe_command)
cli.add_command(__import__("simulacra.cli._sensitivity", fromlist=["_"]).sensitivity_command)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``simulacra`` script."""
    ok = False
    try:
        with install_cli_handlers():
            _main(argv)
        ok = True
    finally:
        # folders made for -o stay only if the command succeeded (or wrote into them)
        discard_created_folders(keep=ok)


def _main(argv: Sequence[str] | None) -> None:
    try:
        cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except (ConfigError, MissingExtraError) as exc:
        click.echo(f"simulacra: error: {redact_text(str(exc))}", err=True)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except click.exceptions.Abort as exc:
        _interrupted(exc.__cause__)
    except KeyboardInterrupt as exc:
        _interrupted(exc)


def _interrupted(exc: BaseException | None) -> None:
    signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
    click.echo(f"simulacra: {signal_word(signum)}", err=True)
    sys.exit(EXIT_CODES[signum])
