"""Serve the viewer with uvicorn on a socket bound here (so ``--port 0`` can report the port the
system picked), in the foreground for the CLI or in a thread for tests and notebooks.

The binding and serving are :mod:`simulacra.viewer._local_app`'s, shared with the annotation
and play pages; the names here are the viewer's own.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

from simulacra.errors import MissingExtraError
from simulacra.viewer._data import LoadedRun
from simulacra.viewer._local_app import (
    RunningServer,
    bind,
    is_loopback,
    serve,
    start_in_thread,
    url_of,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = [
    "RunningViewer",
    "bind",
    "is_loopback",
    "serve_forever",
    "start_viewer",
    "url_of",
]

_COMMAND = "simulacra view"

RunningViewer = RunningServer
"""A viewer serving in a background thread; :meth:`~RunningServer.stop` shuts it down."""


def _app(runs: list[LoadedRun], host: str) -> Starlette:
    try:
        import uvicorn  # noqa: F401  (checked here so a missing extra is said before binding)

        from simulacra.viewer._app import create_app  # needs starlette
    except ImportError:
        raise MissingExtraError("viewer", _COMMAND) from None
    return create_app(runs, allowed_hosts=None if is_loopback(host) else ["*"])


def serve_forever(runs: list[LoadedRun], host: str, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C)."""
    serve(_app(runs, host), sock, _COMMAND)


def start_viewer(
    runs: list[LoadedRun], *, host: str = "127.0.0.1", port: int = 0, wait_s: float = 15.0
) -> RunningViewer:
    """Start the viewer in a daemon thread and return once it accepts connections.

    Raises:
        ConfigError: The address cannot be bound.
        RuntimeError: The server did not start within ``wait_s`` seconds.
    """
    return start_in_thread(
        _app(runs, host),
        host=host,
        port=port,
        wait_s=wait_s,
        command=_COMMAND,
        what="the viewer",
        thread_name="simulacra-viewer",
    )
