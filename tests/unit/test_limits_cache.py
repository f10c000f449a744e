from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from simulacra.errors import RateLimitError
from simulacra.models import (
    AdaptiveLimiter,
    CallCache,
    ChatMessage,
    GenerateConfig,
    Model,
    OpenAICompatibleAPI,
    RetryPolicy,
    rollout_index,
)
from simulacra.testing import FunctionModelAPI, ScriptedModelAPI

MSG = [ChatMessage(role="user", content="hi")]


async def test_limiter_halves_on_rate_limit_and_grows_back() -> None:
    limiter = AdaptiveLimiter(8)
    limiter.on_rate_limit(None)
    assert limiter.limit == 4
    limiter.on_rate_limit(None)  # within a second: not cut again
    assert limiter.limit == 4
    for _ in range(4):
        limiter.on_success()
    assert limiter.limit == 5
    fixed = AdaptiveLimiter(3, adaptive=False)
    fixed.on_rate_limit(None)
    assert fixed.limit == 3


async def test_limiter_caps_in_flight_and_pauses_for_retry_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limiter = AdaptiveLimiter(2)
    await limiter.acquire()
    await limiter.acquire()
    third = asyncio.ensure_future(limiter.acquire())
    await asyncio.sleep(0.01)
    assert not third.done()
    limiter.release()
    await asyncio.wait_for(third, 1)
    assert limiter.peak == 2
    limiter.release()
    limiter.release()
    limiter.on_rate_limit(0.2)
    pauses: list[float] = []
    real_sleep = asyncio.sleep

    async def record(seconds: float) -> None:
        pauses.append(seconds)
        limiter._paused_until = 0.0  # the pause is over
        await real_sleep(0)

    monkeypatch.setattr("simulacra.models._limits.asyncio.sleep", record)
    await limiter.acquire()
    assert len(pauses) == 1 and 0.15 < pauses[0] <= 0.2


async def test_models_on_one_connection_share_a_pool() -> None:
    a = Model(OpenAICompatibleAPI(model="m", base_url="http://127.0.0.1:1/v1", api_key="k"))
    b = Model(
        OpenAICompatibleAPI(model="m", base_url="http://127.0.0.1:1/v1", api_key="k"), role="judge"
    )
    c = Model(OpenAICompatibleAPI(model="m", base_url="http://127.0.0.1:1/v1", api_key="other"))
    assert a.limiter() is b.limiter()
    assert a.limiter() is not c.limiter()
    for m in (a, b, c):
        await m.aclose()


async def test_rate_limits_shrink_the_shared_pool() -> None:
    api = ScriptedModelAPI([RateLimitError("429", retry_after=0.01), "ok"])
    api.connection_key = "conn"
    model = Model(api, max_concurrency=None, retry=RetryPolicy(max_retries=2, base_delay=0))
    before = model.limiter().limit
    assert (await model.generate(MSG)).text == "ok"
    assert model.limiter().limit <= max(1, before // 2) + 1
    assert model.retries_by_kind == {"rate_limit": 1}


async def test_cache_hits_on_rerun_and_differs_by_rollout(tmp_path: Path) -> None:
    calls = 0

    def fn(messages: object, config: object) -> str:
        nonlocal calls
        calls += 1
        return f"answer {calls}"

    cache = CallCache(tmp_path / "c.sqlite")
    model = Model(FunctionModelAPI(fn, name="fn"), cache=cache)
    first = await model.generate(MSG, config=GenerateConfig(temperature=0.5))
    again = await model.generate(MSG, config=GenerateConfig(temperature=0.5))
    assert again.text == first.text and calls == 1 and model.cache_hits == 1
    token = rollout_index.set(1)
    try:
        other = await model.generate(MSG, config=GenerateConfig(temperature=0.5))
    finally:
        rollout_index.reset(token)
    assert other.text != first.text and calls == 2
    assert cache.stats()["entries"] == 2
    assert cache.clear() == 2
    cache.close()
    reopened = CallCache(tmp_path / "c.sqlite")
    assert reopened.stats()["entries"] == 0
    reopened.close()
