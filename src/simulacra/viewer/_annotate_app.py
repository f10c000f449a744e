"""The local annotation page (``simulacra annotate serve``): one annotator rates a study's tasks.

Same security model as the viewer (:mod:`simulacra.viewer._local_app`): a strict Content-Security-
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
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.evaluation import Study
from simulacra.evaluation._annotation_io import (
    Rating,
    append_ratings,
    read_annotations,
    validate_rating,
)
from simulacra.viewer._local_app import (
    RunningServer,
    json_error,
    local_app,
    same_origin_json,
    serve,
    start_in_thread,
    static_routes,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["RunningAnnotation", "create_annotation_app", "serve_annotation", "start_annotation"]

_COMMAND = "simulacra annotate serve"


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
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route
    except ImportError:
        raise MissingExtraError("viewer", _COMMAND) from None

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
        body = await same_origin_json(request, "ratings")
        if isinstance(body, Response):
            return body
        if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
            return json_error("expected {task_id, values: {dimension: value}}")
        task_id, values = body.get("task_id"), body["values"]
        missing = [d for d in study.dimensions if d not in values]
        if missing:
            return json_error(f"rate every dimension: {', '.join(missing)} missing")
        try:
            ratings = [
                validate_rating(study, task_id, annotator, dim, value)
                for dim, value in values.items()
            ]
        except ValueError as exc:
            return json_error(str(exc))
        now = time.time()
        stamped = [Rating(r.task_id, r.annotator, r.dimension, r.value, now) for r in ratings]
        with lock:
            append_ratings(ratings_path, study, stamped)
            done[str(task_id)] = {r.dimension: r.value for r in ratings}
        return JSONResponse({"ok": True, "done": len(done), "total": len(study.tasks)})

    return local_app(
        [
            *static_routes("static", "annotate"),
            Route("/api/study", get_study),
            Route("/api/ratings", post_rating, methods=["POST"]),
        ],
        allowed_hosts=allowed_hosts,
    )


_SHOWN = ("task_id", "goal", "context", "response", "a", "b")
"""The task fields the page gets (a task line holds nothing else, but the allow-list keeps a
hand-edited tasks file from leaking more)."""


def serve_annotation(app: Starlette, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C)."""
    serve(app, sock, _COMMAND)


RunningAnnotation = RunningServer
"""The annotation page served from a background thread; :meth:`~RunningServer.stop` shuts it
down."""


def start_annotation(
    app: Starlette, *, host: str = "127.0.0.1", port: int = 0, wait_s: float = 15.0
) -> RunningAnnotation:
    """Serve ``app`` from a daemon thread; returns once it accepts connections.

    Raises:
        ConfigError: The address cannot be bound.
        RuntimeError: The server did not start in ``wait_s`` seconds.
    """
    return start_in_thread(
        app,
        host=host,
        port=port,
        wait_s=wait_s,
        command=_COMMAND,
        what="the annotation server",
        thread_name="simulacra-annotate",
    )
