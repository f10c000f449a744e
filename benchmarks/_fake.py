"""Shared helpers of the batch-runner benchmarks: the fake server as a subprocess, Simulacra runs,
the bare client loops they are compared with, an instant in-process model, and table printing."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from simulacra.models import (
    CallCache,
    ChatMessage,
    GenerateConfig,
    Model,
    ModelAPI,
    ModelOutput,
    RetryPolicy,
    Usage,
)
from simulacra.runs import RunConfig, _items, _runner, execute_run, parse_config

RUNNER_CODE = (
    "benchmarks/_fake.py",
    "src/simulacra/runs/_runner.py",
    "src/simulacra/runs/_items.py",
    "src/simulacra/paradigms/_human_ai.py",
    "src/simulacra/runs/_engine.py",
    "src/simulacra/runs/_store.py",
    "src/simulacra/log",
    "src/simulacra/orchestration/_loop.py",
    "src/simulacra/models/_model.py",
    "src/simulacra/participants/_simulated_user.py",
    "src/simulacra/participants/_targets.py",
)
"""The code a run on the fake models goes through: every benchmark below declares it (with
its own script and extras) as the code paths its result depends on."""

HTTP_CODE = (
    *RUNNER_CODE,
    "src/simulacra/models/_openai.py",
    "src/simulacra/models/_limits.py",
    "src/simulacra/testing/_faulty_server.py",
)
""":data:`RUNNER_CODE` plus the OpenAI-compatible client and the fake server."""

GOAL = "Get a refund for a pair of running shoes (order 7731) that fell apart after two weeks."
# The runner's default user became the goal-state user (#15); these benchmarks measure the
# engine, the run log and the HTTP path, so they pin the prompted user they were written for.
PROMPTED_USER: dict[str, Any] = {"type": "prompted"}
# The fake server's replies fail the validity gate (on by default since #15), whose
# regenerations would add calls the bare loops do not make: the HTTP benchmarks turn it off.
NO_GATE: dict[str, Any] = {"enabled": False}
SYSTEM = "You are a helpful assistant."


class FakeServer:
    """``python -m simulacra.testing.fake_server`` in its own process (its CPU is separate)."""

    def __init__(self, latency: float) -> None:
        cmd = [sys.executable, "-m", "simulacra.testing.fake_server", "--port", "0"]
        cmd += ["--latency", str(latency)]
        self.proc = subprocess.Popen(
            cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("PORT "):
            self.proc.kill()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.base_url = f"http://127.0.0.1:{line.split()[1]}/v1"

    def stats(self) -> dict[str, Any]:
        data: dict[str, Any] = httpx.get(f"{self.base_url}/stats", timeout=10).json()
        return data

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


@contextlib.contextmanager
def fake_server(latency: float) -> Iterator[FakeServer]:
    """A fresh server (fresh ``in_flight_peak``, fresh port so no connection pool is shared)."""
    server = FakeServer(latency)
    try:
        yield server
    finally:
        server.close()


def run_dict(
    base_url: str, *, conversations: int, user_turns: int, concurrency: int, **execution: Any
) -> dict[str, Any]:
    """A run config: ``conversations`` scenarios × 1 profile, ``2 × user_turns`` model calls each,
    both roles on ``base_url`` with a fixed pool of ``concurrency`` connections; the prompted
    user (:data:`PROMPTED_USER`) without the validity gate (:data:`NO_GATE`), so it makes the
    same calls as the bare loops."""
    spec = {
        "model": "openai:fake",
        "base_url": base_url,
        "timeout": 30,
        "max_connections": concurrency,
    }
    return {
        "name": "bench",
        "models": {"user": dict(spec), "target": dict(spec)},
        "user": dict(PROMPTED_USER),
        "validity": dict(NO_GATE),
        "profiles": [{"kind": "general", "id": "g"}],
        "scenarios": [{"id": f"s{i}", "goal": GOAL} for i in range(conversations)],
        "epochs": 1,
        "stop": {"max_turns": 2 * user_turns},
        "execution": {"max_conversations": concurrency, **execution},
        "cache": {"enabled": False},
    }


def run_simulacra(config: RunConfig | dict[str, Any]) -> tuple[float, dict[str, Any]]:
    """Run a config with ``execute_run`` into a temp dir; returns (wall seconds of the whole
    ``execute_run`` call, the run summary)."""
    parsed = config if isinstance(config, RunConfig) else parse_config(config)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        result = asyncio.run(execute_run(parsed, output_dir=Path(tmp)))
        wall = time.perf_counter() - t0
    if result.status != "complete" or result.summary.get("errors"):
        raise RuntimeError(f"run {result.status}: {result.summary.get('termination')}")
    return wall, result.summary


# -- bare loops: what a user would write by hand ---------------------------------------------------

Call = Callable[[list[dict[str, str]]], Awaitable[str]]


async def _bare_conversations(call: Call, conversations: int, user_turns: int, c: int) -> None:
    """``conversations`` concurrent conversations (at most ``c`` at once), each ``user_turns``
    sequential turns of a user call (system + transcript) then a target call (chat history)."""
    semaphore = asyncio.Semaphore(c)

    async def one(i: int) -> None:
        async with semaphore:
            history: list[dict[str, str]] = []
            for _ in range(user_turns):
                transcript = "\n".join(f"{m['role']}: {m['content']}" for m in history)
                user = await call(
                    [
                        {"role": "system", "content": f"You are a user. Goal: {GOAL}"},
                        {"role": "user", "content": f"{transcript}\nYour next message:"},
                    ]
                )
                history.append({"role": "user", "content": user})
                reply = await call([{"role": "system", "content": SYSTEM}, *history])
                history.append({"role": "assistant", "content": reply})

    await asyncio.gather(*(one(i) for i in range(conversations)))


def bare_openai(base_url: str, conversations: int, user_turns: int, c: int) -> float:
    """Wall seconds of the bare loop on ``openai.AsyncOpenAI`` (client creation included)."""
    import openai

    async def main() -> None:
        client = openai.AsyncOpenAI(base_url=base_url, api_key="x")

        async def call(messages: list[dict[str, str]]) -> str:
            r = await client.chat.completions.create(model="fake", messages=messages)  # type: ignore[arg-type]
            return r.choices[0].message.content or ""

        await _bare_conversations(call, conversations, user_turns, c)
        await client.close()

    t0 = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t0


def bare_httpx(
    base_url: str, conversations: int, user_turns: int, c: int, module: str = "httpx"
) -> float:
    """Wall seconds of the bare loop on ``httpx.AsyncClient`` (what Simulacra itself uses), or
    with ``module="httpx2"`` on the fork the OpenAI SDK depends on (a reworked connection pool)."""
    lib: Any = importlib.import_module(module)

    async def main() -> None:
        limits = lib.Limits(max_connections=c, max_keepalive_connections=c)
        async with lib.AsyncClient(base_url=base_url, timeout=30, limits=limits) as client:

            async def call(messages: list[dict[str, str]]) -> str:
                r = await client.post(
                    "/chat/completions", json={"model": "fake", "messages": messages}
                )
                r.raise_for_status()
                return str(r.json()["choices"][0]["message"]["content"])

            await _bare_conversations(call, conversations, user_turns, c)

    t0 = time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t0


SIDES = ("bare openai", "simulacra", "bare httpx", "bare httpx2")


def interleaved(
    latency: float, conversations: int, user_turns: int, c: int, repeats: int
) -> dict[str, list[dict[str, float]]]:
    """Run the bare loops and Simulacra on the same workload, interleaved (openai, simulacra,
    httpx, httpx2, openai, ...), each on a fresh server. Per run: ``wall`` seconds, ``cpu`` seconds of
    this (client) process, the server's ``peak`` of chat requests in flight, and for Simulacra
    ``engine`` seconds (its summary ``wall_s``). Client CPU time is steadier than wall time when
    other work shares the cores."""
    out: dict[str, list[dict[str, float]]] = {side: [] for side in SIDES}
    for _ in range(repeats):
        for side in SIDES:
            with fake_server(latency) as server:
                url = server.base_url
                cpu0 = time.process_time()
                if side == "simulacra":
                    cfg = run_dict(
                        url, conversations=conversations, user_turns=user_turns, concurrency=c
                    )
                    wall, summary = run_simulacra(cfg)
                    run = {"wall": wall, "engine": float(summary["wall_s"])}
                elif side == "bare openai":
                    run = {"wall": bare_openai(url, conversations, user_turns, c)}
                else:
                    module = side.removeprefix("bare ")
                    run = {"wall": bare_httpx(url, conversations, user_turns, c, module)}
                run["cpu"] = time.process_time() - cpu0
                stats = server.stats()
            expected = conversations * user_turns * 2
            if stats["requests"] != expected:
                raise RuntimeError(f"{side}: {stats['requests']} requests, expected {expected}")
            out[side].append({**run, "peak": float(stats["in_flight_peak"])})
    return out


# -- an instant in-process model ------------------------------------------------------------------


class InstantAPI(ModelAPI):
    """Answers at once with a fixed text; keeps nothing per call (unlike ``FunctionModelAPI``,
    which stores every request and so grows with the run)."""

    def __init__(self, name: str = "instant") -> None:
        self.name = name
        self.max_concurrency = 100_000
        self._output = ModelOutput(text="ok", usage=Usage(prompt_tokens=10, completion_tokens=1))

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        return self._output


def instant_config(
    *,
    conversations: int,
    user_turns: int,
    concurrency: int,
    tmp: str,
    cache: bool = False,
    epochs: bool = False,
    user: dict[str, Any] | None = None,
) -> RunConfig:
    """A run of ``conversations`` tiny conversations for :func:`instant_models`. With ``epochs``,
    the work set is 1 scenario × N epochs, so the config itself stays O(1) in size. ``user``:
    the run's ``user`` section (default :data:`PROMPTED_USER`; ``{}`` for the runner's default
    user)."""
    spec = {"model": "openai:instant", "base_url": "http://unused.invalid/v1"}
    n_scen, n_epochs = (1, conversations) if epochs else (conversations, 1)
    return parse_config(
        {
            "name": "bench",
            "models": {"user": spec, "target": spec},
            **({"user": dict(PROMPTED_USER if user is None else user)} if user != {} else {}),
            "profiles": [{"kind": "general", "id": "g"}],
            "scenarios": [{"id": f"s{i}", "goal": GOAL} for i in range(n_scen)],
            "epochs": n_epochs,
            "stop": {"max_turns": 2 * user_turns},
            "execution": {"max_conversations": concurrency},
            "cache": {"enabled": cache, "path": f"{tmp}/calls.sqlite"},
        }
    )


@contextlib.contextmanager
def instant_models() -> Iterator[None]:
    """Make ``execute_run`` build :class:`InstantAPI` models (the run cache, when enabled, is
    given to the user role as usual); everything else — engine, writer, summary — is real."""
    original = _runner.build_models

    def build(config: RunConfig, *, cache: CallCache | None = None) -> dict[str, Model]:
        return {
            role: Model(
                InstantAPI(),
                role=role,
                retry=RetryPolicy(max_retries=0),
                cache=cache if role in config.cache.roles else None,
            )
            for role in _items._used_roles(config)
        }

    _runner.build_models = build
    try:
        yield
    finally:
        _runner.build_models = original


# -- reporting ------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a plain text table."""
    cells = [[str(h) for h in headers]] + [
        [f"{v:.3f}" if isinstance(v, float) else str(v) for v in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))
