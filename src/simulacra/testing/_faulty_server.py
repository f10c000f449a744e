"""A fast asyncio OpenAI-compatible server with latency and fault injection, for tests and
benchmarks. It answers deterministically (a function of the request), so runs against it are
reproducible, and it counts every fault it injects.

Run standalone (prints ``PORT <n>`` when ready)::

    python -m simulacra.testing.fake_server --latency 0.2 --faults 5xx=0.2,429=0.1,hang=0.05
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from simulacra.testing._server import completion_body

__all__ = ["FAULT_KINDS", "FaultyServer", "FaultyServerConfig", "parse_faults"]

FAULT_KINDS = ("5xx", "429", "hang", "malformed", "truncated", "reset")


def parse_faults(text: str) -> dict[str, float]:
    """Parse ``"5xx=0.2,429=0.1"`` into a rate per fault kind."""
    rates: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        kind, _, value = part.partition("=")
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r} (known: {', '.join(FAULT_KINDS)})")
        rates[kind] = float(value)
    if sum(rates.values()) > 1:
        raise ValueError("fault rates add up to more than 1")
    return rates


@dataclass
class FaultyServerConfig:
    """Behaviour of a :class:`FaultyServer`.

    Attributes:
        latency: Seconds before each answer.
        faults: Rate per fault kind (see :data:`FAULT_KINDS`).
        hang_seconds: How long a ``hang`` fault waits before closing without an answer.
        retry_after: ``Retry-After`` seconds sent with 429s.
        seed: Seed of the fault draw.
        reply_words: Words in each generated reply.
    """

    latency: float = 0.0
    faults: dict[str, float] = field(default_factory=dict)
    hang_seconds: float = 30.0
    retry_after: float = 0.05
    seed: int = 0
    reply_words: int = 8


def reply_for(body: dict[str, Any], words: int) -> str:
    """The deterministic reply to a request: derived from the hash of its messages."""
    digest = hashlib.sha256(
        json.dumps(body.get("messages", []), sort_keys=True).encode()
    ).hexdigest()
    return " ".join(f"w{digest[i : i + 4]}" for i in range(0, 4 * words, 4))


class FaultyServer:
    """The server. Use as a context manager (runs in a thread) or :meth:`serve_forever`.

    Attributes:
        requests: Chat completion requests received.
        injected: Faults injected, by kind.
        in_flight_peak: Most chat requests being handled at once.
    """

    def __init__(self, config: FaultyServerConfig | None = None, *, port: int = 0) -> None:
        self.config = config or FaultyServerConfig()
        self.port = port
        self.requests = 0
        self.injected: Counter[str] = Counter()
        self.in_flight = 0
        self.in_flight_peak = 0
        self._rng = random.Random(self.config.seed)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stats(self) -> dict[str, Any]:
        """Requests, injected faults and peak concurrency so far (also at ``GET /v1/stats``)."""
        return {
            "requests": self.requests,
            "injected": dict(self.injected),
            "in_flight_peak": self.in_flight_peak,
        }

    def _draw(self) -> str | None:
        x = self._rng.random()
        for kind in FAULT_KINDS:
            rate = self.config.faults.get(kind, 0.0)
            if x < rate:
                return kind
            x -= rate
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    return
                method, path, _ = line.decode("latin-1").split(" ", 2)
                length = 0
                while True:
                    header = await reader.readline()
                    if header in (b"\r\n", b"\n", b""):
                        break
                    name, _, value = header.decode("latin-1").partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                raw = await reader.readexactly(length) if length else b""
                if method == "GET" and path.rstrip("/").endswith("/stats"):
                    self._respond(writer, 200, json.dumps(self.stats()).encode())
                elif method == "GET":
                    self._respond(writer, 200, b'{"object":"list","data":[{"id":"fake"}]}')
                elif path.rstrip("/").endswith("/chat/completions"):
                    if not await self._chat(raw, writer):
                        return
                else:
                    self._respond(writer, 404, b'{"error":"not found"}')
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            return
        except asyncio.CancelledError:  # server shutdown; ending normally keeps 3.11 quiet
            return
        finally:
            with contextlib.suppress(RuntimeError):
                writer.close()

    async def _chat(self, raw: bytes, writer: asyncio.StreamWriter) -> bool:
        self.requests += 1
        self.in_flight += 1
        self.in_flight_peak = max(self.in_flight_peak, self.in_flight)
        try:
            fault = self._draw()
            if fault:
                self.injected[fault] += 1
            if self.config.latency:
                await asyncio.sleep(self.config.latency)
            if fault == "hang":
                await asyncio.sleep(self.config.hang_seconds)
                return False
            if fault == "reset":
                transport = writer.transport
                transport.abort()
                return False
            if fault == "5xx":
                self._respond(writer, 503, b'{"error":"injected overload"}')
                return True
            if fault == "429":
                self._respond(
                    writer,
                    429,
                    b'{"error":"rate limited"}',
                    {"Retry-After": str(self.config.retry_after)},
                )
                return True
            if fault == "malformed":
                self._respond(writer, 200, b'{"choices": [{"message": ')
                return True
            body = json.loads(raw or b"{}")
            text = reply_for(body, self.config.reply_words)
            words = self.config.reply_words
            payload = json.dumps(completion_body(text, len(raw) // 4, words)).encode()
            if fault == "truncated":
                head = (
                    f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(payload)}\r\n\r\n"
                ).encode()
                writer.write(head + payload[: len(payload) // 2])
                await writer.drain()
                writer.transport.abort()
                return False
            self._respond(writer, 200, payload)
            return True
        finally:
            self.in_flight -= 1

    @staticmethod
    def _respond(
        writer: asyncio.StreamWriter,
        status: int,
        body: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        reason = {200: "OK", 404: "Not Found", 429: "Too Many Requests", 503: "Service Unavailable"}
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        writer.write(
            (
                f"HTTP/1.1 {status} {reason.get(status, 'Error')}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
            ).encode()
            + body
        )

    async def start(self) -> None:
        """Start listening on 127.0.0.1 (in the running loop)."""
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, backlog=1024
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def serve_forever(self) -> None:
        """Start and serve until cancelled."""
        await self.start()
        assert self._server is not None
        self._ready.set()
        async with self._server:
            await self._server.serve_forever()

    async def _serve_until_stopped(self) -> None:
        await self.start()
        self._stop = asyncio.Event()
        self._ready.set()
        await self._stop.wait()
        assert self._server is not None
        self._server.close()
        current = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def __enter__(self) -> FaultyServer:
        def run() -> None:
            self._loop = asyncio.new_event_loop()
            try:
                self._loop.run_until_complete(self._serve_until_stopped())
            finally:
                self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("FaultyServer did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)


def main(argv: list[str] | None = None) -> None:
    """Run the server standalone; prints ``PORT <n>`` then serves until killed."""
    parser = argparse.ArgumentParser(description="Fake OpenAI-compatible server")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--faults", default="")
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    server = FaultyServer(
        FaultyServerConfig(
            latency=args.latency,
            faults=parse_faults(args.faults),
            hang_seconds=args.hang_seconds,
            seed=args.seed,
        ),
        port=args.port,
    )

    async def run() -> None:
        await server.start()
        print(f"PORT {server.port}", flush=True)
        assert server._server is not None
        async with server._server:
            await server._server.serve_forever()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        print(json.dumps(server.stats()), file=sys.stderr)
