"""Serve the viewer with uvicorn on a socket bound here (so ``--port 0`` can report the port the
system picked), in the foreground for the CLI or in a thread for tests and notebooks."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.viewer._data import LoadedRun

if TYPE_CHECKING:
    import uvicorn

__all__ = ["RunningViewer", "bind", "is_loopback", "start_viewer"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (only then is the ``Host`` check strict)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port`` 0: any free port).

    Raises:
        ConfigError: The address cannot be bound (in use, not an address of this machine).
    """
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port} ({exc.strerror or exc})") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _server(runs: list[LoadedRun], host: str) -> uvicorn.Server:
    try:
        import uvicorn

        from simulacra.viewer._app import create_app  # needs starlette
    except ImportError:
        raise MissingExtraError("viewer", "simulacra view") from None

    app = create_app(runs, allowed_hosts=None if is_loopback(host) else ["*"])
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def url_of(host: str, sock: socket.socket) -> str:
    """The address to open in a browser."""
    port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
    return f"http://{shown}:{port}/"


def serve_forever(runs: list[LoadedRun], host: str, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C)."""
    _server(runs, host).run(sockets=[sock])


@dataclass
class RunningViewer:
    """A viewer serving in a background thread; :meth:`stop` shuts it down."""

    url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_viewer(
    runs: list[LoadedRun], *, host: str = "127.0.0.1", port: int = 0, wait_s: float = 15.0
) -> RunningViewer:
    """Start the viewer in a daemon thread and return once it accepts connections.

    Raises:
        ConfigError: The address cannot be bound.
        RuntimeError: The server did not start within ``wait_s`` seconds.
    """
    sock = bind(host, port)
    server = _server(runs, host)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name="simulacra-viewer",
        daemon=True,
    )
    thread.start()
    deadline = time.monotonic() + wait_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the viewer did not start")
        time.sleep(0.02)
    return RunningViewer(url_of(host, sock), server, thread)
