"""The viewer's web application (Starlette): a JSON API over loaded runs plus three static files.

Security model (transcripts are untrusted text written by models):

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
from functools import lru_cache
from importlib import resources
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulacra.viewer._data import (
    ConversationFilter,
    LoadedRun,
    conversation_detail,
    conversation_row,
    facets,
    filter_conversations,
    pair_conversations,
)
from simulacra.viewer._summary import compare_summary, render_plot, run_summary

__all__ = ["CSP", "LOOPBACK_HOSTS", "create_app"]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The page's Content-Security-Policy: nothing inline, nothing from elsewhere."""

_SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")
_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
_CONVERSATION_ID = re.compile(r"^[A-Za-z0-9_.:@-]{1,200}$")


class _SecurityHeaders:
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


def _not_found(what: str = "not found") -> JSONResponse:
    return JSONResponse({"error": what}, status_code=404)


def _bad_request(what: str) -> JSONResponse:
    return JSONResponse({"error": what}, status_code=400)


@lru_cache(maxsize=8)
def _static(name: str) -> bytes:
    return (resources.files("simulacra.viewer") / "static" / name).read_bytes()


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

    async def static(request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name not in _STATIC:
            return _not_found()
        return Response(_static(name), media_type=_STATIC[name])

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

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
            return _bad_request(str(exc))
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
        Route("/", static),
        Route("/favicon.ico", favicon),
        Route("/static/{name}", static),
        Route("/api/runs", list_runs),
        Route("/api/runs/{run:int}", one_run),
        Route("/api/runs/{run:int}/conversations", conversations),
        Route("/api/runs/{run:int}/conversations/{cid}", conversation),
        Route("/api/runs/{run:int}/plots/{name}.svg", plot),
        Route("/api/compare/{a:int}/{b:int}", compare),
        Route("/api/compare/{a:int}/{b:int}/plots/{name}.svg", compare_plot),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return _not_found()

    hosts = allowed_hosts if allowed_hosts is not None else list(LOOPBACK_HOSTS)
    return Starlette(
        routes=routes,
        middleware=[
            Middleware(_SecurityHeaders),
            Middleware(TrustedHostMiddleware, allowed_hosts=hosts),
        ],
        exception_handlers={404: not_found, 405: not_found},
    )
