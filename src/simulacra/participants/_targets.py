"""Systems under test: a Python callable, a chat model with its own system prompt, or any HTTP
JSON endpoint."""

from __future__ import annotations

import inspect
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from simulacra._secrets import env_headers, redact_text, redact_url
from simulacra.conversation import ParticipantInfo, ParticipantKind, View
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.participants._protocol import Reply, call_ref

__all__ = ["CallableTarget", "HTTPTarget", "ModelTarget", "TargetError"]


class TargetError(Exception):
    """The system under test failed (a result, not an infrastructure failure)."""


def _ai_info(id: str, name: str) -> ParticipantInfo:
    return ParticipantInfo(id=id, name=name, kind=ParticipantKind.AI_SYSTEM)


class CallableTarget:
    """A system under test given as a Python function of the view.

    The function may be sync or async and return a string or a :class:`Reply`.
    """

    def __init__(
        self,
        fn: Callable[[View], str | Reply | Awaitable[str | Reply]],
        *,
        id: str = "assistant",
        name: str = "Assistant",
    ) -> None:
        self.fn = fn
        self.info = _ai_info(id, name)

    async def respond(self, view: View) -> Reply:
        result = self.fn(view)
        if inspect.isawaitable(result):
            result = await result
        if isinstance(result, Reply):
            return result
        if not isinstance(result, str):
            raise TargetError(f"target returned {type(result).__name__}, expected str or Reply")
        return Reply(utterance=result)


class ModelTarget:
    """A chat model as the system under test, with its own system prompt.

    Its view is the natural chat shape: the other participants' turns as ``user`` messages.
    """

    def __init__(
        self,
        model: Model,
        *,
        system_prompt: str | None = None,
        id: str = "assistant",
        name: str = "Assistant",
        config: GenerateConfig | None = None,
    ) -> None:
        self.model = model
        self.system_prompt = system_prompt
        self.config = config
        self.info = _ai_info(id, name)

    def build_messages(self, view: View) -> list[ChatMessage]:
        """The chat request for this view."""
        messages = []
        if self.system_prompt:
            messages.append(ChatMessage(role="system", content=self.system_prompt))
        messages.extend(ChatMessage(role=m.role, content=m.content) for m in view.messages)
        return messages

    async def respond(self, view: View) -> Reply:
        output = await self.model.generate(self.build_messages(view), config=self.config)
        return Reply(utterance=output.text.strip(), model_calls=[call_ref(self.model, output)])


def _lookup(data: Any, path: str) -> Any:
    current = data
    for part in path.split("."):
        current = current[int(part)] if isinstance(current, list) else current[part]
    return current


def _fill(template: Any, values: Mapping[str, Any]) -> Any:
    if isinstance(template, str):
        if template.startswith("{") and template.endswith("}") and template[1:-1] in values:
            return values[template[1:-1]]
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            return template
    if isinstance(template, dict):
        return {k: _fill(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_fill(v, values) for v in template]
    return template


class HTTPTarget:
    """Any HTTP JSON endpoint as the system under test.

    The request body is built from ``request_template``: a JSON-like structure whose strings may
    name ``{message}`` (the last message), ``{history}`` (list of ``{role, content}``),
    ``{session_id}`` (one per conversation) and ``{turn_index}``. A string that is exactly one
    placeholder is replaced by the value itself (so ``"{history}"`` becomes a list).
    ``response_path`` is a dotted path into the JSON response (``"choices.0.message.content"``).

    Args:
        url: Endpoint URL.
        request_template: Body template (default ``{"message": "{message}", "session_id":
            "{session_id}"}``).
        response_path: Where the reply text is in the response.
        headers: Extra headers (stored with the config: put credentials in ``headers_env``).
        headers_env: Header name → environment variable holding its value; read here, never
            stored or shown.
        timeout: Request timeout, seconds.

    Raises:
        ConfigError: A bad URL, or a ``headers_env`` variable that is not set.
    """

    def __init__(
        self,
        url: str,
        *,
        request_template: Mapping[str, Any] | None = None,
        response_path: str = "reply",
        headers: Mapping[str, str] | None = None,
        headers_env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
        id: str = "assistant",
        name: str = "Assistant",
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError(
                f"target url must start with http:// or https://, got {redact_url(url)!r}"
            )
        self.url = url
        self.shown_url = redact_url(url)
        self.request_template = dict(
            request_template or {"message": "{message}", "session_id": "{session_id}"}
        )
        self.response_path = response_path
        self.headers = {
            **dict(headers or {}),
            **env_headers(headers_env or {}, field="target.headers_env"),
        }
        self.timeout = timeout
        self.info = _ai_info(id, name)
        self._sessions: dict[str, str] = {}
        self._client: httpx.AsyncClient | None = None

    def build_body(self, view: View) -> Any:
        """The JSON body for this view."""
        session = self._sessions.setdefault(view.conversation_id, uuid.uuid4().hex)
        last = view.messages[-1].content if view.messages else ""
        history = [{"role": m.role, "content": m.content} for m in view.messages]
        values = {
            "message": last,
            "history": history,
            "session_id": session,
            "turn_index": view.turn_index,
        }
        return _fill(self.request_template, values)

    async def respond(self, view: View) -> Reply:
        body = self.build_body(view)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout)
        try:
            response = await self._client.post(self.url, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            raise TargetError(
                redact_text(f"{self.shown_url}: {type(exc).__name__}: {exc}")
            ) from exc
        if response.status_code >= 400:
            raise TargetError(
                f"{self.shown_url}: HTTP {response.status_code}: {redact_text(response.text[:200])}"
            )
        try:
            text = _lookup(response.json(), self.response_path)
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise TargetError(
                f"{self.shown_url}: no {self.response_path!r} in response "
                f"{redact_text(response.text[:200])!r}"
            ) from exc
        if not isinstance(text, str):
            text = json.dumps(text)
        return Reply(utterance=text)

    async def aclose(self) -> None:
        """Close the HTTP client."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
