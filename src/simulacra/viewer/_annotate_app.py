"""The local annotation page (``simulacra annotate serve``): one annotator rates a study's tasks.

Same security model as the viewer (:mod:`simulacra.viewer._app`): a strict Content-Security-
Policy (scripts only from this origin, nothing inline), a page that writes every transcript
with ``textContent``, loopback ``Host`` names only. Ratings are POSTed as JSON; a request with
another content type, or from another origin, is refused — a web page elsewhere cannot submit
ratings through the annotator's browser (a cross-origin JSON POST needs a CORS preflight that
this server never grants).

The annotator id is fixed when the server starts; every saved rating is checked against the
study (task, dimension, scale) and appended to the ratings file with that id. Each annotator
sees the tasks in their own seeded order (study id + annotator), which spreads order effects.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.evaluation._annotation import Study
from simulacra.evaluation._annotation_io import (
    Rating,
    append_ratings,
    read_annotations,
    validate_rating,
)

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette

__all__ = ["RunningAnnotation", "create_annotation_app", "serve_annotation", "start_annotation"]

_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}


@lru_cache(maxsize=8)
def _static(name: str) -> bytes:
    return (resources.files("simulacra.viewer") / "static" / "annotate" / name).read_bytes()


def annotator_order(study: Study, annotator: str) -> list[str]:
    """The task ids in this annotator's order (seeded by the study id and the annotator)."""
    ids = list(study.tasks)
    random.Random(f"{study.id}:{annotator}").shuffle(ids)
    return ids


def create_annotation_app(
    study: Study, ratings_path: Path, annotator: str, *, allowed_hosts: list[str] | None = None
) -> Starlette:
    """Build the annotation application for one annotator.

    Raises:
        ConfigError: The annotator is not in the study's roster, or the ratings file holds
            invalid lines.
        MissingExtraError: Starlette is missing (extra ``viewer``).
    """
    try:
        from starlette.applications import Starlette
        from starlette.middleware import Middleware
        from starlette.middleware.trustedhost import TrustedHostMiddleware
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route
    except ImportError:
        raise MissingExtraError("viewer", "simulacra annotate serve") from None
    from simulacra.viewer._app import LOOPBACK_HOSTS, _SecurityHeaders

    roster = study.annotators
    if not annotator.strip():
        raise ConfigError("--annotator: give an annotator id")
    if roster is not None and annotator not in roster:
        raise ConfigError(
            f"--annotator: unknown annotator {annotator!r}; the study's roster: {', '.join(roster)}"
        )
    if not study.tasks:
        raise ConfigError(f"{study.path}: the study has no tasks")
    done: dict[str, dict[str, int | str]] = {}
    if ratings_path.is_file():
        for r in read_annotations(ratings_path, study):
            if r.annotator == annotator:
                done.setdefault(r.task_id, {})[r.dimension] = r.value
    order = annotator_order(study, annotator)
    lock = threading.Lock()

    def error(message: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": message}, status_code=status)

    async def static(request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name not in _STATIC:
            return error("not found", 404)
        return Response(_static(name), media_type=_STATIC[name])

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    async def get_study(request: Request) -> Response:
        h = study.header
        return JSONResponse(
            {
                "annotator": annotator,
                "kind": study.kind,
                "level": h.get("level"),
                "instructions": h.get("instructions"),
                "question": h.get("question"),
                "scale": {"min": study.scale[0], "max": study.scale[1]},
                "dimensions": h.get("dimensions") or [],
                "tasks": [{k: v for k, v in study.tasks[t].items() if k in _SHOWN} for t in order],
                "done": done,
            }
        )

    async def post_rating(request: Request) -> Response:
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return error("ratings are sent as application/json", 415)
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host"):
            return error("cross-origin request refused", 403)
        try:
            body = await request.json()
        except ValueError:
            return error("the body is not JSON")
        if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
            return error("expected {task_id, values: {dimension: value}}")
        task_id, values = body.get("task_id"), body["values"]
        missing = [d for d in study.dimensions if d not in values]
        if missing:
            return error(f"rate every dimension: {', '.join(missing)} missing")
        try:
            ratings = [
                validate_rating(study, task_id, annotator, dim, value)
                for dim, value in values.items()
            ]
        except ValueError as exc:
            return error(str(exc))
        now = time.time()
        stamped = [Rating(r.task_id, r.annotator, r.dimension, r.value, now) for r in ratings]
        with lock:
            append_ratings(ratings_path, study, stamped)
            done[str(task_id)] = {r.dimension: r.value for r in ratings}
        return JSONResponse({"ok": True, "done": len(done), "total": len(study.tasks)})

    async def not_found(request: Request, exc: Exception) -> Response:
        return error("not found", 404)

    hosts = allowed_hosts if allowed_hosts is not None else list(LOOPBACK_HOSTS)
    return Starlette(
        routes=[
            Route("/", static),
            Route("/favicon.ico", favicon),
            Route("/static/{name}", static),
            Route("/api/study", get_study),
            Route("/api/ratings", post_rating, methods=["POST"]),
        ],
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        ],
        exception_handlers={404: not_found, 405: not_found},
    )


_SHOWN = ("task_id", "goal", "context", "response", "a", "b")
"""The task fields the page gets (a task line holds nothing else, but the allow-list keeps a
hand-edited tasks file from leaking more)."""


def _server(app: Starlette) -> uvicorn.Server:
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("viewer", "simulacra annotate serve") from None
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def serve_annotation(app: Starlette, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C)."""
    _server(app).run(sockets=[sock])


@dataclass
class RunningAnnotation:
    """The annotation page served from a background thread; :meth:`stop` shuts it down."""

    url: str
    _server: uvicorn.Server
    _thread: threading.Thread

    def stop(self) -> None:
        """Ask uvicorn to exit and wait for the thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)


def start_annotation(
    app: Starlette, *, host: str = "127.0.0.1", port: int = 0, wait_s: float = 15.0
) -> RunningAnnotation:
    """Serve ``app`` from a daemon thread; returns once it accepts connections.

    Raises:
        ConfigError: The address cannot be bound.
        RuntimeError: The server did not start in ``wait_s`` seconds.
    """
    from simulacra.viewer._server import bind, url_of

    sock = bind(host, port)
    server = _server(app)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="simulacra-annotate", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + wait_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the annotation server did not start")
        time.sleep(0.02)
    return RunningAnnotation(url_of(host, sock), server, thread)
