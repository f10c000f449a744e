"""The ``simulacra`` command line. One module per command; this module wires them up and is the
error boundary of every command: Simulacra's own errors, usage errors and any other exception
(a file that is not what it should be) become one line of at most 300 characters and exit code
2, with the command's outputs rolled back; Ctrl-C becomes exit code 130 and SIGTERM 143 (one line
each). ``SIMULACRA_DEBUG=1`` shows the traceback of an unexpected exception instead."""

from __future__ import annotations

import errno
import os
import signal
import stat
import sys
from collections.abc import Sequence

import click

from simulacra import __version__
from simulacra._secrets import redact_text
from simulacra._signals import EXIT_CODES, Terminated, install_cli_handlers, signal_word
from simulacra.cli._annotate import annotate_command
from simulacra.cli._cache import cache_command
from simulacra.cli._counterfactual import counterfactual_command
from simulacra.cli._data import data_command
from simulacra.cli._eval import eval_command
from simulacra.cli._fidelity import fidelity_command
from simulacra.cli._gate import gate_command
from simulacra.cli._models import models_command
from simulacra.cli._paths import discard_created_folders, roll_back_outputs
from simulacra.cli._personas import personas_command
from simulacra.cli._play import play_command
from simulacra.cli._recipe import recipe_command
from simulacra.cli._report import report_command
from simulacra.cli._robustness import robustness_command
from simulacra.cli._roleplay import roleplay_command
from simulacra.cli._run import run_command
from simulacra.cli._sensitivity import sensitivity_command
from simulacra.cli._show import show_command
from simulacra.cli._train import train_command
from simulacra.cli._view import view_command
from simulacra.errors import ConfigError, MissingExtraError, OutputError

__all__ = ["MAX_ERROR_LINE", "cli", "error_line", "main"]


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
cli.add_command(eval_command)
cli.add_command(fidelity_command)
cli.add_command(data_command)
cli.add_command(view_command)
cli.add_command(report_command)
cli.add_command(counterfactual_command)
cli.add_command(robustness_command)
cli.add_command(play_command)
cli.add_command(annotate_command)
cli.add_command(train_command)
cli.add_command(recipe_command)
cli.add_command(sensitivity_command)


MAX_ERROR_LINE = 300
"""Longest error line printed (longer messages are cut, ending with "...")."""


def error_line(message: str) -> str:
    """``simulacra: error: MESSAGE`` on one line of at most :data:`MAX_ERROR_LINE` characters,
    with credentials in URLs masked."""
    text = f"simulacra: error: {' '.join(redact_text(message).split())}"
    return text if len(text) <= MAX_ERROR_LINE else text[: MAX_ERROR_LINE - 3] + "..."


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``simulacra`` script."""
    ok = False
    roll_back_outputs(keep=True)  # forget outputs noted by earlier commands of this process
    try:
        with install_cli_handlers():
            _main(list(argv) if argv is not None else sys.argv[1:])
        ok = True
    except SystemExit as exc:
        ok = exc.code in (0, None)
        # a run stopped by fail_on_error or a signal keeps what it wrote; bad input keeps nothing
        roll_back_outputs(keep=exc.code != 2)
        raise
    finally:
        roll_back_outputs(keep=ok)
        # folders made for -o stay only if the command succeeded (or wrote into them)
        discard_created_folders(keep=ok)


def _fail(message: str, *, code: int = 2) -> None:
    click.echo(error_line(message), err=True)
    sys.exit(code)


_NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
"""Write errors that are the disk's, not the input's: one line, exit code 1."""


def _special_files(args: list[str]) -> None:
    """Refuse arguments naming a FIFO, socket or device: reading one would hang or never end."""
    for arg in args:
        candidate = arg.split("=", 1)[1] if arg.startswith("--") and "=" in arg else arg
        if not candidate or candidate == "-" or "\0" in candidate:
            continue
        try:
            mode = os.stat(candidate).st_mode
        except (OSError, ValueError):
            continue
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            _fail(f"{candidate}: not a regular file or folder (a pipe, socket or device)")


def _inputs(args: list[str]) -> str:
    """The files among the arguments, to name in an error line."""
    files = [a for a in args if not a.startswith("-") and os.path.isfile(a)]
    return ", ".join(files[:2]) + (" ..." if len(files) > 2 else "") if files else "input"


def _main(args: list[str]) -> None:
    try:
        _special_files(args)
        cli.main(args=args, standalone_mode=False)
    except (ConfigError, MissingExtraError) as exc:
        _fail(str(exc))
    except click.exceptions.Abort as exc:
        _interrupted(exc.__cause__)
    except click.ClickException as exc:
        ctx = getattr(exc, "ctx", None)
        hint = f" (see: {ctx.command_path} --help)" if ctx is not None else ""
        _fail(f"{exc.format_message()}{hint}")
    except KeyboardInterrupt as exc:
        _interrupted(exc)
    except RecursionError:
        _fail(f"{_inputs(args)}: nested too deeply to read")
    except OutputError as exc:  # disk full, no permission: exit 1
        roll_back_outputs(keep=False)  # a half-written -o file goes (a run keeps its records)
        _fail(str(exc), code=1)
    except Exception as exc:
        if os.environ.get("SIMULACRA_DEBUG"):
            raise
        if isinstance(exc, OSError) and exc.errno in _NO_SPACE:
            roll_back_outputs(keep=False)
            _fail(f"{exc.filename or 'output'}: cannot write ({exc.strerror})", code=1)
        detail = str(exc) or type(exc).__name__
        _fail(f"{_inputs(args)}: cannot be read ({type(exc).__name__}: {detail})")


def _interrupted(exc: BaseException | None) -> None:
    signum = signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT
    click.echo(f"simulacra: {signal_word(signum)}", err=True)
    sys.exit(EXIT_CODES[signum])
