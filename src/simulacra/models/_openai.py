"""Any OpenAI-compatible chat completions server (vLLM, llama.cpp server, Ollama, hosted APIs)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp

from simulacra._secrets import redact_text, redact_url
from simulacra.errors import (
    AuthenticationError,
    ContentFilterError,
    ContextWindowError,
    MalformedResponseError,
    ModelError,
    RateLimitError,
    TransientError,
)
from simulacra.models._model import ModelAPI
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["OpenAICompatibleAPI"]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def classify_http_error(
    name: str, status: int, headers: Mapping[str, str], text: str
) -> ModelError:
    """Map an HTTP error response to the matching :class:`ModelError`."""
    body = text[:300].replace("\n", " ")
    message = f"{name}: HTTP {status}: {body}"
    lowered = body.lower()
    if status == 429:
        return RateLimitError(message, retry_after=_retry_after(headers))
    if status in (401, 403):
        return AuthenticationError(message)
    if "context length" in lowered or "context window" in lowered or "maximum context" in lowered:
        return ContextWindowError(message)
    if "content_filter" in lowered or "content filter" in lowered:
        return ContentFilterError(message)
    if status == 503 and _retry_after(headers) is not None:
        return RateLimitError(message, retry_after=_retry_after(headers))
    if status >= 500 or status in (408, 409):
        return TransientError(message)
    return ModelError(message)


class OpenAICompatibleAPI(ModelAPI):
    """Chat completions over HTTP (``POST {base_url}/chat/completions``).

    Args:
        model: The model name the server expects.
        base_url: e.g. ``http://127.0.0.1:8000/v1``.
        api_key: Bearer token (``None``: no Authorization header).
        timeout: Per-request timeout, seconds.
        max_connections: Connection pool size (also the default concurrency limit).
        extra_body: Extra JSON fields sent with every request.
        headers: Extra request headers (e.g. from ``headers_env``); never shown.

    Credentials in ``base_url`` (``http://user:key@host/v1``) are sent, but :attr:`name` and
    :meth:`describe` (what records, caches and run directories hold) show ``***`` instead.
    """

    def __init__(
        self,
        *,
        model: str,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 120.0,
        max_connections: int = 16,
        extra_body: dict[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.shown_url = redact_url(self.base_url)
        self.name = f"openai:{model}@{self.shown_url}"
        self.max_concurrency = max_connections
        key_hash = hashlib.sha256((api_key or "").encode()).hexdigest()[:12]
        self.connection_key = f"{self.base_url}#{key_hash}"
        self.extra_body = extra_body or {}
        self.timeout = timeout
        self._headers = {"Content-Type": "application/json"}
        if api_key:
            self._headers["Authorization"] = f"Bearer {api_key}"
        self._headers.update(headers or {})
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> aiohttp.ClientSession:
        # aiohttp's pool stays O(1) per request at high concurrency (httpx's scans its
        # connections on every request: measured in benchmarks/http_overhead.py).
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=self.max_concurrency, limit_per_host=0),
                json_serialize=json.dumps,
            )
        return self._session

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": "openai",
            "model": self.model,
            "base_url": self.shown_url,
        }

    def build_request(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> dict[str, Any]:
        """The JSON body sent for one call."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump(exclude_none=True) for m in messages],
        }
        for field in ("temperature", "top_p", "max_tokens", "stop", "seed"):
            value = getattr(config, field)
            if value is not None:
                body[field] = value
        # Non-standard knobs that vLLM, llama.cpp server and Ollama accept.
        for field in ("top_k", "min_p", "repeat_penalty"):
            value = getattr(config, field)
            if value is not None:
                body[field] = value
        if config.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "output", "schema": config.json_schema, "strict": True},
            }
        body.update(self.extra_body)
        return body

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        body = self.build_request(messages, config)
        try:
            async with self._client().post(
                f"{self.base_url}/chat/completions", json=body
            ) as response:
                content = await response.read()
                status = response.status
                headers = response.headers
        except TimeoutError as exc:
            raise TransientError(f"{self.name}: timed out after {self.timeout}s") from exc
        except aiohttp.ClientError as exc:
            raise TransientError(redact_text(f"{self.name}: {type(exc).__name__}: {exc}")) from exc
        if status >= 400:
            text = content.decode("utf-8", errors="replace")
            raise classify_http_error(self.name, status, headers, redact_text(text))
        return self.parse_response(content)

    def parse_response(self, content: bytes) -> ModelOutput:
        """Parse a chat completion response body."""
        try:
            data = json.loads(content)
            choice = data["choices"][0]
            text = choice["message"].get("content")
            usage = data.get("usage") or {}
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise MalformedResponseError(
                f"{self.name}: malformed response: {content[:200]!r}"
            ) from exc
        finish = choice.get("finish_reason") or "stop"
        if finish == "content_filter":
            raise ContentFilterError(f"{self.name}: the provider filtered the output")
        if text is None:
            raise MalformedResponseError(f"{self.name}: response without message content")
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens")
        prompt = int(usage.get("prompt_tokens", 0))
        return ModelOutput(
            text=text,
            finish_reason=finish,
            usage=Usage(
                prompt_tokens=prompt,
                completion_tokens=int(usage.get("completion_tokens", 0)),
                prompt_tokens_evaluated=(prompt - int(cached)) if cached is not None else None,
            ),
        )

    async def aclose(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
            self._session = None
