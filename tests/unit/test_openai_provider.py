"""The OpenAI-compatible adapter against a real HTTP server on 127.0.0.1 (scripted answers)."""

from __future__ import annotations

import pytest

from simulacra.errors import (
    AuthenticationError,
    ContextWindowError,
    MalformedResponseError,
    RateLimitError,
    TransientError,
)
from simulacra.models import ChatMessage, GenerateConfig, Model, OpenAICompatibleAPI, RetryPolicy
from simulacra.testing import FakeOpenAIServer, FakeResponse

MSG = [ChatMessage(role="system", content="be nice"), ChatMessage(role="user", content="hi")]


async def test_request_shape_and_usage() -> None:
    with FakeOpenAIServer(lambda r: FakeResponse.completion("hello!", prompt_tokens=7)) as srv:
        api = OpenAICompatibleAPI(model="m1", base_url=srv.base_url, api_key="sk-test")
        cfg = GenerateConfig(
            temperature=0.3, max_tokens=20, stop=["\n"], seed=5, json_schema={"type": "object"}
        )
        out = await api.generate(MSG, cfg)
        await api.aclose()
    assert out.text == "hello!" and out.usage.prompt_tokens == 7
    [req] = srv.requests
    assert req["model"] == "m1" and req["messages"][1] == {"role": "user", "content": "hi"}
    assert req["temperature"] == 0.3 and req["max_tokens"] == 20 and req["seed"] == 5
    assert req["response_format"]["json_schema"]["schema"] == {"type": "object"}
    assert srv.headers[0]["Authorization"] == "Bearer sk-test"


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (FakeResponse(429, {"error": "slow down"}, {"Retry-After": "2"}), RateLimitError),
        (FakeResponse(500, {"error": "boom"}), TransientError),
        (FakeResponse(401, {"error": "bad key"}), AuthenticationError),
        (FakeResponse(400, {"error": "maximum context length is 4096"}), ContextWindowError),
        (FakeResponse(200, "{not json"), MalformedResponseError),
        (FakeResponse(200, {"choices": []}), MalformedResponseError),
    ],
)
async def test_errors_are_classified(response: FakeResponse, error: type[Exception]) -> None:
    with FakeOpenAIServer(lambda r: response) as srv:
        api = OpenAICompatibleAPI(model="m", base_url=srv.base_url)
        with pytest.raises(error) as info:
            await api.generate(MSG, GenerateConfig())
        await api.aclose()
    if isinstance(info.value, RateLimitError):
        assert info.value.retry_after == 2.0


async def test_model_wrapper_retries_server_errors() -> None:
    answers = [FakeResponse(503, "overloaded"), FakeResponse.completion("recovered")]
    with FakeOpenAIServer(lambda r: answers.pop(0)) as srv:
        model = Model(
            OpenAICompatibleAPI(model="m", base_url=srv.base_url),
            retry=RetryPolicy(max_retries=2, base_delay=0),
        )
        out = await model.generate(MSG)
        await model.aclose()
    assert out.text == "recovered" and out.attempts == 2 and len(srv.requests) == 2


async def test_unreachable_server_is_transient() -> None:
    api = OpenAICompatibleAPI(model="m", base_url="http://127.0.0.1:9/v1", timeout=2)
    with pytest.raises(TransientError):
        await api.generate(MSG, GenerateConfig())
    await api.aclose()
