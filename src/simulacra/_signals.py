"""Signals in the ``simulacra`` command: Ctrl-C (SIGINT) and SIGTERM end it the same way.

``simulacra/__init__.py`` imports this module first; importing it calls :func:`quiet_startup`.
In the command's own process (the console
script or ``python -m simulacra``, nowhere else) a signal that arrives while the package is still
importing ends the process with one line and exit code 130 (SIGINT) or 143 (SIGTERM) instead of a
``KeyboardInterrupt`` traceback: nothing has been read or written yet. :func:`install_cli_handlers`
(around :func:`simulacra.cli.main`) then restores Python's ``KeyboardInterrupt`` for
SIGINT and makes SIGTERM raise :class:`Terminated`, a ``KeyboardInterrupt``, so every command
cleans up after SIGTERM as it does after Ctrl-C. ``simulacra run`` goes further while a run is
under way (see ``simulacra.cli._run``): it stops gracefully and records ``interrupted``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["EXIT_CODES", "Terminated", "install_cli_handlers", "quiet_startup", "signal_word"]

EXIT_CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}
"""Exit code of a command ended by each signal (128 + the signal number, the shell's
convention)."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C raises ``KeyboardInterrupt`` (and caught by the same code)."""


def signal_word(signum: int) -> str:
    """How the CLI names a signal in its messages."""
    return "terminated" if signum == signal.SIGTERM else "interrupted"


def _is_cli_process() -> bool:
    """Whether this process is the ``simulacra`` command (not a program importing the library)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if argv0 == "-m":  # `python -m PACKAGE`: the package imports before argv[0] is set
        args: list[str] = list(sys.orig_argv)
        for i, arg in enumerate(args):
            if arg == "-m":
                return args[i + 1 : i + 2] == ["simulacra"]
            if arg.startswith("-m"):
                return arg[2:] == "simulacra"
        return False
    return os.path.basename(argv0).removesuffix(".exe") == "simulacra"


def _exit_quietly(signum: int, frame: FrameType | None) -> None:
    os.write(2, f"simulacra: {signal_word(signum)}\n".encode())
    os._exit(EXIT_CODES.get(signum, 128 + signum))


def quiet_startup() -> None:
    """In the ``simulacra`` command's process, end quietly on SIGINT/SIGTERM during start-up.

    A signal the parent set to be ignored (``nohup``, background jobs) stays ignored.
    """
    if not _is_cli_process():
        return
    for signum in EXIT_CODES:
        if signal.getsignal(signum) in (signal.default_int_handler, signal.SIG_DFL):
            signal.signal(signum, _exit_quietly)


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


@contextlib.contextmanager
def install_cli_handlers() -> Iterator[None]:
    """Inside: SIGINT raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated` (signals set
    to be ignored stay ignored); the previous handlers come back after. Off the main thread,
    where handlers cannot be set, it changes nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.getsignal(signum) for signum in EXIT_CODES}
    if previous[signal.SIGINT] in (_exit_quietly, signal.SIG_DFL):
        signal.signal(signal.SIGINT, signal.default_int_handler)
    if previous[signal.SIGTERM] in (_exit_quietly, signal.SIG_DFL):
        signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)


quiet_startup()
