"""The viewer's web application (Starlette): a JSON API over loaded runs plus three static files.

Security model (transcripts are untrusted text written by models); the headers, the ``Host``
check and the static allow-list are :mod:`simulacra.viewer._local_app`'s, shared with the
annotation and play pages:

- The server never serves a path that a client names. Runs are loaded at start-up from the
  directories given on the command line and addressed by index (``/api/runs/0``); conversations
  by id, looked up in a dictionary. The three static files are an allow-list, read from the
  package. Anything else is a 404.
- Every response carries a strict Content-Security-Policy (scripts only from this origin, no
  inline script or style, no external requests), ``X-Content-Type-Options: nosniff`` and
  ``Referrer-Policy: no-referrer``. The page writes all run text with ``textContent``; plots are
  SVG built server-side with every label escaped and shown through ``<img>`` (SVG in an image
  never runs script).
- The ``Host`` header must name a loopback address while the server is bound to one, which
  stops DNS-rebinding pages from reading the API.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from simulacra.viewer._data import (
    ConversationFilter,
    LoadedRun,
    conversation_detail,
    conversation_row,
    facets,
    filter_conversations,
    pair_conversations,
)
from simulacra.viewer._local_app import CSP, LOOPBACK_HOSTS, json_error, local_app, static_routes
from simulacra.viewer._summary import compare_summary, render_plot, run_summary

__all__ = ["CSP", "LOOPBACK_HOSTS", "create_app"]

_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,200}$")


def _not_found(what: str = "not found") -> JSONResponse:
    return json_error(what, 404)


def _float(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {value!r}") from None


def _parse_filter(request: Request) -> ConversationFilter:
    attrs = []
    for raw in request.query_params.getlist("attr"):
        key, sep, value = raw.partition(":")
        if not sep or not key:
            raise ValueError(f"attr must be KEY:VALUE, not {raw!r}")
        attrs.append((key, value))
    q = request.query_params
    return ConversationFilter(
        attributes=tuple(attrs),
        outcome=q.get("outcome") or None,
        min_score=_float(q.get("min_score"), "min_score"),
        max_score=_float(q.get("max_score"), "max_score"),
        scenario=q.get("scenario") or None,
        text=q.get("q") or None,
    )


def create_app(runs: list[LoadedRun], *, allowed_hosts: list[str] | None = None) -> Starlette:
    """Build the viewer application over runs that are already loaded.

    Args:
        runs: The runs to serve, addressed by their position in this list.
        allowed_hosts: Values the ``Host`` header may take; default: loopback names only. Pass
            ``["*"]`` when serving on another interface on purpose.
    """
    summaries: dict[int, dict[str, Any]] = {}

    def summary(i: int) -> dict[str, Any]:
        if i not in summaries:
            summaries[i] = run_summary(runs[i])
        return summaries[i]

    def get_run(request: Request, key: str = "run") -> LoadedRun | None:
        i = request.path_params[key]
        return runs[i] if isinstance(i, int) and 0 <= i < len(runs) else None

    async def list_runs(request: Request) -> Response:
        return JSONResponse([summary(r.index) for r in runs])

    async def one_run(request: Request) -> Response:
        run = get_run(request)
        if run is None:
            return _not_found("no such run")
        scenarios = sorted({str(c.scenario_id) for c in run.conversations if c.scenario_id})
        return JSONResponse(
            {**summary(run.index), "facets": facets(run), "scenario_ids": scenarios}
        )

    async def conversations(request: Request) -> Response:
        run = get_run(request)
        if run is None:
            return _not_found("no such run")
        try:
            flt = _parse_filter(request)
        except ValueError as exc:
            return json_error(str(exc))
        rows = [conversation_row(run, c) for c in filter_conversations(run, flt)]
        return JSONResponse({"total": len(run.conversations), "rows": rows})

    async def conversation(request: Request) -> Response:
        run = get_run(request)
        cid = request.path_params["cid"]
        if run is None or not _CONVERSATION_ID.match(cid) or cid not in run.by_id:
            return _not_found("no such conversation")
        return JSONResponse(conversation_detail(run, run.by_id[cid]))

    async def plot(request: Request) -> Response:
        run = get_run(request)
        if run is None:
            return _not_found("no such run")
        svg = render_plot(run, request.path_params["name"])
        if svg is None:
            return _not_found("no such plot")
        return Response(svg, media_type="image/svg+xml")

    async def compare(request: Request) -> Response:
        a, b = get_run(request, "a"), get_run(request, "b")
        if a is None or b is None:
            return _not_found("no such run")
        pairs = [
            {
                "a": conversation_row(a, x) if x is not None else None,
                "b": conversation_row(b, y) if y is not None else None,
            }
            for x, y in pair_conversations(a, b)
        ]
        return JSONResponse({"a": summary(a.index), "b": summary(b.index), "pairs": pairs})

    async def compare_plot(request: Request) -> Response:
        a, b = get_run(request, "a"), get_run(request, "b")
        name = request.path_params["name"]
        if a is None or b is None or name not in ("outcomes", "estimates"):
            return _not_found("no such plot")
        return Response(compare_summary(a, b)[f"{name}_svg"], media_type="image/svg+xml")

    routes = [
        *static_routes("static"),
        Route("/api/runs", list_runs),
        Route("/api/runs/{run:int}", one_run),
        Route("/api/runs/{run:int}/conversations", conversations),
        Route("/api/runs/{run:int}/conversations/{cid}", conversation),
        Route("/api/runs/{run:int}/plots/{name}.svg", plot),
        Route("/api/compare/{a:int}/{b:int}", compare),
        Route("/api/compare/{a:int}/{b:int}/plots/{name}.svg", compare_plot),
    ]

    return local_app(routes, allowed_hosts=allowed_hosts)
