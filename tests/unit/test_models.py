from __future__ import annotations

import asyncio

import pytest

from simulacra.errors import AuthenticationError, RateLimitError, TransientError
from simulacra.models import (
    ChatMessage,
    GenerateConfig,
    Model,
    ModelSpec,
    RetryPolicy,
    record_calls,
)
from simulacra.models._resolve import parse_model_spec
from simulacra.testing import FunctionModelAPI, ScriptedModelAPI

MSG = [ChatMessage(role="user", content="hello there")]


def _model(api: object, **kw: object) -> Model:
    return Model(api, retry=RetryPolicy(max_retries=2, base_delay=0.0), **kw)  # type: ignore[arg-type]


async def test_retries_transient_then_succeeds_and_records() -> None:
    api = ScriptedModelAPI([TransientError("503"), "fine"])
    model = _model(api, role="user")
    with record_calls() as log:
        out = await model.generate(MSG, templates=["user/x@1"])
    assert out.text == "fine" and out.attempts == 2
    assert model.retries == 1 and model.calls == 1
    [call] = log.calls
    assert call["role"] == "user" and call["templates"] == ["user/x@1"]
    assert call["output"] == "fine" and call["attempts"] == 2
    assert log.usage.completion_tokens == 1


async def test_non_retryable_error_is_raised_at_once_and_recorded() -> None:
    api = ScriptedModelAPI([AuthenticationError("401"), "never"])
    model = _model(api)
    with record_calls() as log, pytest.raises(AuthenticationError):
        await model.generate(MSG)
    assert len(api.requests) == 1
    assert log.calls[0]["error"]["kind"] == "auth"


async def test_gives_up_after_max_retries() -> None:
    api = ScriptedModelAPI([TransientError("a"), TransientError("b"), TransientError("c"), "late"])
    with pytest.raises(TransientError):
        await _model(api).generate(MSG)
    assert len(api.requests) == 3


def test_retry_after_is_honoured() -> None:
    policy = RetryPolicy(max_delay=10)
    assert policy.delay(1, RateLimitError("429", retry_after=4.0)) == 4.0
    assert policy.delay(1, RateLimitError("429", retry_after=99.0)) == 10
    assert 0 <= policy.delay(3, TransientError("x")) <= 2.0


async def test_timeout_becomes_transient_and_is_retried() -> None:
    calls = 0

    async def slow(messages: object, config: object) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return "ok"

    model = Model(
        FunctionModelAPI(slow), retry=RetryPolicy(max_retries=1, base_delay=0, timeout=0.05)
    )
    assert (await model.generate(MSG)).text == "ok"
    assert calls == 2


async def test_config_merge_per_call_overrides_defaults() -> None:
    api = FunctionModelAPI(lambda m, c: f"{c.temperature}/{c.max_tokens}")
    model = Model(api, config=GenerateConfig(temperature=0.2, max_tokens=10))
    out = await model.generate(MSG, config=GenerateConfig(max_tokens=99))
    assert out.text == "0.2/99"


async def test_concurrency_limit_is_enforced() -> None:
    in_flight = peak = 0

    async def fn(messages: object, config: object) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return "x"

    model = Model(FunctionModelAPI(fn), max_concurrency=3)
    await asyncio.gather(*(model.generate(MSG) for _ in range(10)))
    assert peak == 3


def test_model_spec_forms() -> None:
    assert parse_model_spec("embedded:tiny").model == "embedded:tiny"
    spec = parse_model_spec(
        {"model": "openai:gpt-x", "base_url": "http://h/v1", "temperature": 0.1}
    )
    assert spec.generate_config().temperature == 0.1
    for bad in ("tiny", "embedded:huge", "hf:foo"):
        with pytest.raises(ValueError):
            ModelSpec(model=bad)


async def test_total_timeout_stops_retrying() -> None:
    api = ScriptedModelAPI([TransientError("a")] * 50)
    model = Model(
        api, retry=RetryPolicy(max_retries=50, base_delay=0.02, max_delay=0.02, total_timeout=0.1)
    )
    with pytest.raises(TransientError):
        await model.generate(MSG)
    assert 2 <= len(api.requests) < 20
