"""What the local web pages (the viewer, the annotation page, the play page) share: one security
model and one way of being served, so a fix to either lands in all three.

Security model (every page shows untrusted text written by models or people):

- Every response carries a strict Content-Security-Policy (scripts only from this origin, no
  inline script or style, no external requests), ``X-Content-Type-Options: nosniff``,
  ``Referrer-Policy: no-referrer`` and ``X-Frame-Options: DENY``.
- The ``Host`` header must name a loopback address while the server is bound to one, which
  stops DNS-rebinding pages from reading or writing through the API.
- Static files are an allow-list of three names read from the package; any other path is a
  JSON 404 (405 too, so a wrong method says nothing more).
- Writes are same-origin JSON POSTs only: a cross-origin JSON POST needs a CORS preflight that
  these servers never grant. Bodies are limited to :data:`MAX_BODY_BYTES` while they stream in
  (HTTP 413) and to :data:`MAX_JSON_DEPTH` levels of nesting (HTTP 400).

Serving: uvicorn on a socket bound here (so ``--port 0`` can report the port the system picked),
in the foreground for the CLI or in a daemon thread for tests and notebooks.

Starlette and uvicorn (extra ``viewer``) are imported only when an app is built or served, so
this module imports without them.
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Literal

from simulacra.errors import ConfigError, MissingExtraError

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import BaseRoute, Route
    from starlette.types import ASGIApp, Lifespan, Message, Receive, Scope, Send

__all__ = [
    "CSP",
    "LOOPBACK_HOSTS",
    "RunningServer",
    "SecurityHeaders",
    "bind",
    "is_loopback",
    "json_error",
    "local_app",
    "same_origin_json",
    "serve",
    "start_in_thread",
    "static_routes",
    "url_of",
    "uvicorn_server",
]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The pages' Content-Security-Policy: nothing inline, nothing from elsewhere."""

MAX_BODY_BYTES = 1_000_000
"""Largest request body read (the pages post ratings and chat lines: a few KB at most); a larger
one is refused with HTTP 413 while it streams in, before the rest is read."""
MAX_JSON_DEPTH = 32
"""Deepest nesting of a posted JSON body (HTTP 400 beyond, never a 500)."""

_SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
"""The allow-list of static files each page has (its folder says which page)."""


class SecurityHeaders:
    """Adds the security headers to every HTTP response (also errors and 404s)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() != b"content-security-policy"
                ]
                is_svg = any(
                    k.lower() == b"content-type" and v.startswith(b"image/svg") for k, v in headers
                )
                csp = _SVG_CSP if is_svg else CSP
                headers += [
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                    (b"cache-control", b"no-store"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def json_error(message: str, status: int = 400) -> JSONResponse:
    """The JSON error body every page's script reads: ``{"error": message}``."""
    from starlette.responses import JSONResponse

    return JSONResponse({"error": message}, status_code=status)


@lru_cache(maxsize=16)
def _static_bytes(folder: tuple[str, ...], name: str) -> bytes:
    return resources.files("simulacra.viewer").joinpath(*folder, name).read_bytes()


def static_routes(*folder: str) -> list[Route]:
    """``/``, ``/favicon.ico`` (empty) and ``/static/{name}``, serving :data:`STATIC_FILES`
    from ``folder`` (path parts below the ``simulacra.viewer`` package)."""
    from starlette.responses import Response
    from starlette.routing import Route

    async def static(request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name not in STATIC_FILES:
            return json_error("not found", 404)
        return Response(_static_bytes(folder, name), media_type=STATIC_FILES[name])

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    return [Route("/", static), Route("/favicon.ico", favicon), Route("/static/{name}", static)]


async def same_origin_json(request: Request, what: str) -> object:
    """The JSON body of a same-origin ``application/json`` POST, or the error response to send
    (415, 403 or 400) when it is not one; ``what`` names the payload in the 415 message."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return json_error(f"{what} are sent as application/json", 415)
    origin = request.headers.get("origin")
    if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
        return json_error("cross-origin request refused", 403)
    too_large = json_error(f"the body is larger than {MAX_BODY_BYTES:,} bytes", 413)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return too_large  # refused before reading a byte of it
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return too_large  # chunked or lying about its length: stop reading here
        chunks.append(chunk)
    try:
        body: object = json.loads(b"".join(chunks))
    except RecursionError:
        return json_error(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    except ValueError:
        return json_error("the body is not JSON")
    if _depth_exceeds(body, MAX_JSON_DEPTH):
        return json_error(f"the JSON is nested more than {MAX_JSON_DEPTH} levels deep")
    return body


def _depth_exceeds(value: object, limit: int) -> bool:
    """Whether ``value`` nests lists/objects more than ``limit`` deep (iterative)."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth >= limit:
                return True
            children = node.values() if isinstance(node, dict) else node
            stack.extend((child, depth + 1) for child in children)
    return False


def local_app(
    routes: Sequence[BaseRoute],
    *,
    allowed_hosts: list[str] | None = None,
    lifespan: Lifespan[Starlette] | None = None,
) -> Starlette:
    """A Starlette app over ``routes`` with the security headers, the ``Host`` check and JSON
    404/405 errors.

    Args:
        routes: The page's routes (usually :func:`static_routes` plus its API).
        allowed_hosts: Values the ``Host`` header may take; default: loopback names only. Pass
            ``["*"]`` when serving on another interface on purpose.
        lifespan: Run around serving (the play page runs its conversation there).
    """
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.trustedhost import TrustedHostMiddleware

    async def not_found(request: Request, exc: Exception) -> Response:
        return json_error("not found", 404)

    hosts = allowed_hosts if allowed_hosts is not None else list(LOOPBACK_HOSTS)
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        ],
        exception_handlers={404: not_found, 405: not_found},
        lifespan=lifespan,
    )


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


def url_of(host: str, sock: socket.socket) -> str:
    """The address to open in a browser."""
    port = sock.getsockname()[1]
    shown = f"[{host.strip('[]')}]" if ":" in host.strip("[]") else host
    return f"http://{shown}:{port}/"


def uvicorn_server(
    app: Starlette, command: str, *, lifespan: Literal["on", "off", "auto"] = "off"
) -> uvicorn.Server:
    """A quiet uvicorn server for ``app`` (no access log).

    Raises:
        MissingExtraError: uvicorn is missing (extra ``viewer``); ``command`` is named in it.
    """
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("viewer", command) from None
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan=lifespan)
    return uvicorn.Server(config)


def serve(app: Starlette, sock: socket.socket, command: str) -> None:
    """Serve ``app`` on ``sock`` until interrupted (Ctrl-C)."""
    uvicorn_server(app, command).run(sockets=[sock])


@dataclass
class RunningServer:
    """A page served from a background thread; :meth:`stop` shuts it down."""

    url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_in_thread(
    app: Starlette,
    *,
    host: str,
    port: int,
    wait_s: float,
    command: str,
    what: str,
    thread_name: str,
) -> RunningServer:
    """Serve ``app`` from a daemon thread; returns once it accepts connections.

    Args:
        command: The CLI command, named if uvicorn is missing.
        what: The page (``"the viewer"``), named in the start-up error.
        thread_name: The thread's name (seen in a debugger or a thread dump).

    Raises:
        ConfigError: The address cannot be bound.
        RuntimeError: The server did not start in ``wait_s`` seconds.
    """
    sock = bind(host, port)
    server = uvicorn_server(app, command)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=thread_name, daemon=True
    )
    thread.start()
    deadline = time.monotonic() + wait_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start")
        time.sleep(0.02)
    return RunningServer(url_of(host, sock), server, thread)
