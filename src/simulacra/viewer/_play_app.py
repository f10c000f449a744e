"""The browser page of ``simulacra play --web``: a person takes a seat and types in a web page.

The conversation is the one terminal play runs (:func:`simulacra.runs._play.play`), with a
:class:`~simulacra.participants._human.QueuedHumanParticipant` in the seat: it runs as a
background task in the server's event loop, the page polls ``GET /api/state`` (what was said so
far, whether it is the person's turn, how it ended and where the run directory was written) and
``POST /api/say`` queues the person's line. When it ends the run directory is written exactly as
in the terminal. If the server stops first (Ctrl-C), the person's seat gets end of input, which
ends the conversation as ``/quit`` does, and the run directory is still written.

Same security model as the viewer (:mod:`simulacra.viewer._local_app`): strict Content-Security-
Policy, a page that writes every text with ``textContent``, loopback ``Host`` names only, and
lines accepted only as a same-origin JSON POST (another site cannot type for the person).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra.errors import MissingExtraError
from simulacra.models import Model
from simulacra.participants._human import QueuedHumanParticipant
from simulacra.runs import PlayResult, RunConfig, play
from simulacra.viewer._local_app import json_error, local_app, same_origin_json, static_routes

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["PlaySession", "create_play_app"]

MAX_LINE = 10_000
"""Longest line accepted from the page (characters)."""


class PlaySession:
    """One played conversation and its state, as the page sees it.

    Args:
        config: The run config; the other arguments are those of :func:`~simulacra.runs.play`.
        on_end: Called once when the conversation has ended and its run directory is written
            (or play failed): the CLI prints the result there.
    """

    def __init__(
        self,
        config: RunConfig,
        *,
        seat: str,
        scenario: str | None = None,
        output_dir: Path | None = None,
        config_path: Path | None = None,
        player: str | None = None,
        models: Mapping[str, Model] | None = None,
        on_end: Callable[[PlaySession], None] | None = None,
    ) -> None:
        self.person = QueuedHumanParticipant()
        self.result: PlayResult | None = None
        self.error: BaseException | None = None
        self._play = partial(
            play,
            config,
            seat=seat,
            scenario=scenario,
            output_dir=output_dir,
            config_path=config_path,
            human=self.person,
            models=models,
            player=player,
        )
        self._on_end = on_end
        self.done = asyncio.Event()

    async def run(self) -> None:
        """Play the conversation; an error that stops play (bad model, bad seat) is kept."""
        try:
            self.result = await self._play()
        except Exception as exc:  # shown on the page and re-raised by the CLI
            self.error = exc
        finally:
            self.done.set()
            if self._on_end is not None:
                self._on_end(self)

    def state(self) -> dict[str, Any]:
        """What the page shows: the log so far, whose turn it is, and the outcome once ended."""
        p = self.person
        state: dict[str, Any] = {
            "name": p.info.name,
            "log": list(p.log),
            "your_turn": p.waiting and not self.done.is_set(),
            "ended": self.done.is_set(),
        }
        if self.error is not None:
            state["error"] = str(self.error) or type(self.error).__name__
        if self.result is not None:
            c = self.result.conversation
            names = {q.id: q.name for q in c.participants}
            notes = [e for e in p.log if e["kind"] == "note"]
            # The whole record: turns the person never saw (after their last one) included.
            state["log"] = notes + [
                {
                    "kind": "message",
                    "speaker": names.get(t.speaker, t.speaker),
                    "text": t.utterance,
                    "own": t.speaker == p.info.id,
                }
                for t in c.turns
            ]
            state["outcome"] = {
                "termination": str(c.termination),
                "ended_by": c.ended_by,
                "turns": len(c.turns),
                "error": c.error,
                "run_dir": str(self.result.directory),
            }
        return state


def create_play_app(
    session: PlaySession,
    *,
    allowed_hosts: list[str] | None = None,
    on_end_seen: Callable[[], None] | None = None,
) -> Starlette:
    """Build the page's application; its lifespan starts (and on shutdown, ends) the session.

    Args:
        session: The conversation to serve.
        allowed_hosts: ``Host`` names accepted (default: loopback names only).
        on_end_seen: Called after the page has been sent the final state (the CLI stops then).

    Raises:
        MissingExtraError: Starlette is missing (extra ``viewer``).
    """
    try:
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route
    except ImportError:
        raise MissingExtraError("viewer", "simulacra play --web") from None

    async def get_state(request: Request) -> Response:
        state = session.state()
        response = JSONResponse(state, headers={"cache-control": "no-store"})
        if state["ended"] and on_end_seen is not None:
            on_end_seen()
        return response

    async def post_say(request: Request) -> Response:
        body = await same_origin_json(request, "lines")
        if isinstance(body, Response):
            return body
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return json_error('expected {"text": "a non-empty line"}')
        if len(text) > MAX_LINE:
            return json_error(f"the line is longer than {MAX_LINE} characters")
        if session.done.is_set():
            return json_error("the conversation has ended", 409)
        session.person.send(text.strip())
        return JSONResponse({"ok": True})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        task = asyncio.create_task(session.run())
        try:
            yield
        finally:
            if not task.done():
                session.person.close()  # end of input: the person's next turn ends it
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), timeout=60)
                task.cancel()  # still generating after a minute: give up, nothing is written

    return local_app(
        [
            *static_routes("static", "play"),
            Route("/api/state", get_state),
            Route("/api/say", post_say, methods=["POST"]),
        ],
        allowed_hosts=allowed_hosts,
        lifespan=lifespan,
    )
