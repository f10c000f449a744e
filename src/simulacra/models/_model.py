from __future__ import annotations

import abc
import asyncio
import contextlib
import contextvars
import random
import secrets
import time
from collections.abc import Iterator, Sequence
from typing import Any

from simulacra.errors import ModelError, RateLimitError, TransientError
from simulacra.models._cache import CallCache, rollout_index
from simulacra.models._limits import AdaptiveLimiter, shared_limiter
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["CallLog", "Model", "ModelAPI", "RetryPolicy", "current_call_log", "record_calls"]


class ModelAPI(abc.ABC):
    """A provider adapter: translates a chat request to one backend and back. Nothing more.

    Retries, limits, usage accounting and event recording belong to :class:`Model`. Adapters raise
    the :class:`~simulacra.errors.ModelError` subclass that matches the failure.
    """

    #: Model identifier as recorded in run logs (e.g. ``"embedded:tiny"``).
    name: str
    #: How many calls this backend can usefully serve at once.
    max_concurrency: int = 1
    #: Models whose adapters return the same key share one concurrency pool (``None``: own pool).
    connection_key: str | None = None

    @abc.abstractmethod
    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        """Generate one completion."""

    @property
    def preferred_concurrency(self) -> int | None:
        """Conversations a run should keep in flight on this backend (``None``: no preference)."""
        return None

    def describe(self) -> dict[str, Any]:
        """Facts recorded in ``run.json`` (model file hash, base URL, ...)."""
        return {"name": self.name}

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release resources (connections, model memory)."""


class RetryPolicy:
    """Exponential backoff with full jitter for retryable :class:`ModelError` s.

    Args:
        max_retries: Retries after the first attempt.
        base_delay: Delay before the first retry, seconds.
        max_delay: Cap on one delay, seconds.
        timeout: Per-attempt timeout in seconds (``None``: no timeout).
        total_timeout: Give up retrying once this many seconds have passed since the first
            attempt (``None``: no limit).
    """

    def __init__(
        self,
        *,
        max_retries: int = 3,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        timeout: float | None = None,
        total_timeout: float | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.timeout = timeout
        self.total_timeout = total_timeout

    def delay(self, attempt: int, error: ModelError) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        return random.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class CallLog:
    """Collects the model calls made while it is active (see :func:`record_calls`)."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []
        self.usage = Usage()

    def add(self, call: dict[str, Any], usage: Usage) -> None:
        self.calls.append(call)
        self.usage = self.usage + usage


_CALL_LOG: contextvars.ContextVar[CallLog | None] = contextvars.ContextVar(
    "simulacra_call_log", default=None
)


def current_call_log() -> CallLog | None:
    """The :class:`CallLog` of the running :func:`record_calls` context (one per conversation
    in a run), or ``None``."""
    return _CALL_LOG.get()


@contextlib.contextmanager
def record_calls() -> Iterator[CallLog]:
    """Record every :meth:`Model.generate` call made in this context (and its tasks)."""
    log = CallLog()
    token = _CALL_LOG.set(log)
    try:
        yield log
    finally:
        _CALL_LOG.reset(token)


def _message_dict(m: ChatMessage) -> dict[str, str]:
    if m.name is None:
        return {"role": m.role, "content": m.content}
    return {"role": m.role, "content": m.content, "name": m.name}


class Model:
    """A model as the rest of Simulacra sees it: a provider plus policy.

    The wrapper owns retries (exponential backoff, ``Retry-After``), a concurrency limit, usage and
    latency accounting, and the recording of every call into the active :class:`CallLog`.

    Args:
        api: The provider adapter.
        role: What this model is used for (``user``, ``target``, ``judge``...).
        config: Default generation options, overridden per call.
        retry: Retry policy.
        max_concurrency: Calls in flight at once (default: the adapter's own limit). Given
            explicitly, the limit is fixed; otherwise it adapts to rate-limit signals.
        cache: Cache of outputs (``None``: no caching).
    """

    def __init__(
        self,
        api: ModelAPI,
        *,
        role: str = "default",
        config: GenerateConfig | None = None,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        cache: CallCache | None = None,
    ) -> None:
        self.api = api
        self.role = role
        self.config = config or GenerateConfig()
        self.retry = retry or RetryPolicy()
        self.cache = cache
        self._limit = max_concurrency or api.max_concurrency
        self._adaptive = max_concurrency is None
        self._own_limiter: AdaptiveLimiter | None = None
        self.usage = Usage()
        self.calls = 0
        self.cache_hits = 0
        self.retries = 0
        self.retries_by_kind: dict[str, int] = {}
        self.errors = 0
        self.latency_s = 0.0

    def limiter(self) -> AdaptiveLimiter:
        """The concurrency pool of this model's connection (shared with other models on the
        same connection)."""
        key = self.api.connection_key
        if key is not None:
            return shared_limiter(key, limit=self._limit, adaptive=self._adaptive)
        if self._own_limiter is None:
            self._own_limiter = AdaptiveLimiter(self._limit, adaptive=False)
        return self._own_limiter

    @property
    def name(self) -> str:
        """The provider's model identifier."""
        return self.api.name

    def __repr__(self) -> str:
        return f"Model({self.name!r}, role={self.role!r})"

    async def generate(
        self,
        messages: Sequence[ChatMessage],
        *,
        config: GenerateConfig | None = None,
        templates: Sequence[str] = (),
    ) -> ModelOutput:
        """Generate a completion, retrying retryable failures.

        Args:
            messages: The chat request.
            config: Per-call options on top of the model's defaults.
            templates: Ids@versions of the prompt templates that built the request (recorded).

        Raises:
            ModelError: When the call fails for good (after retries, or not retryable).
        """
        effective = self.config.merged(config)
        call_id = secrets.token_hex(8)
        started = time.time()
        cache_key = None
        if self.cache is not None:
            cache_key = self.cache.key(self.name, messages, effective, rollout_index.get())
            hit = self.cache.get(cache_key)
            if hit is not None:
                self.cache_hits += 1
                hit = hit.model_copy(update={"call_id": call_id, "latency_s": 0.0, "attempts": 0})
                self._record(
                    call_id, messages, effective, templates, started, hit, None, 0, cached=True
                )
                return hit
        attempt = 0
        retried: dict[str, int] = {}  # this call's retries by kind (recorded with the call)
        limiter = self.limiter()
        while True:
            attempt += 1
            await limiter.acquire()
            t0 = time.perf_counter()
            try:
                coro = self.api.generate(messages, effective)
                if self.retry.timeout is not None:
                    try:
                        output = await asyncio.wait_for(coro, self.retry.timeout)
                    except TimeoutError as exc:
                        raise TransientError(
                            f"{self.name}: no answer within {self.retry.timeout}s"
                        ) from exc
                else:
                    output = await coro
            except ModelError as exc:
                limiter.release()
                if isinstance(exc, RateLimitError):
                    limiter.on_rate_limit(exc.retry_after)
                total = self.retry.total_timeout
                in_time = total is None or time.time() - started < total
                if exc.retryable and attempt <= self.retry.max_retries and in_time:
                    self.retries += 1
                    self.retries_by_kind[exc.kind] = self.retries_by_kind.get(exc.kind, 0) + 1
                    retried[exc.kind] = retried.get(exc.kind, 0) + 1
                    await asyncio.sleep(self.retry.delay(attempt, exc))
                    continue
                self.errors += 1
                self._record(
                    call_id, messages, effective, templates, started, None, exc, attempt, retried
                )
                raise
            except BaseException:
                limiter.release()
                raise
            limiter.release()
            limiter.on_success()
            break
        latency = time.perf_counter() - t0
        # The adapter's output object is ours now: annotate it in place.
        output.call_id, output.latency_s, output.attempts = call_id, latency, attempt
        self.calls += 1
        self.usage = self.usage + output.usage
        self.latency_s += latency
        if self.cache is not None and cache_key is not None:
            self.cache.put(cache_key, self.name, output)
        self._record(
            call_id, messages, effective, templates, started, output, None, attempt, retried
        )
        return output

    def _record(
        self,
        call_id: str,
        messages: Sequence[ChatMessage],
        config: GenerateConfig,
        templates: Sequence[str],
        started: float,
        output: ModelOutput | None,
        error: ModelError | None,
        attempts: int,
        retried: dict[str, int] | None = None,
        cached: bool = False,
    ) -> None:
        log = _CALL_LOG.get()
        if log is None:
            return
        call: dict[str, Any] = {
            "call_id": call_id,
            "role": self.role,
            "model": self.name,
            "started_at": started,
            "attempts": attempts,
            "cached": cached,
            "templates": list(templates),
            "config": {k: v for k, v in config.__dict__.items() if v is not None},
            "messages": [_message_dict(m) for m in messages],
        }
        if retried:
            call["retried"] = dict(retried)
        if output is not None:
            call["output"] = output.text
            call["finish_reason"] = output.finish_reason
            call["usage"] = output.usage.model_dump(exclude_none=True)
            call["latency_s"] = round(output.latency_s or 0.0, 4)
        if error is not None:
            call["error"] = {"kind": error.kind, "message": str(error)}
        log.add(call, output.usage if output else Usage())

    def stats(self) -> dict[str, Any]:
        """Usage and accounting so far (recorded in ``run.json``)."""
        return {
            "model": self.name,
            "role": self.role,
            "calls": self.calls,
            "cache_hits": self.cache_hits,
            "retries": self.retries,
            "retries_by_kind": dict(self.retries_by_kind),
            "errors": self.errors,
            "latency_s": round(self.latency_s, 3),
            **self.usage.model_dump(exclude_none=True),
        }

    async def aclose(self) -> None:
        """Close the provider."""
        await self.api.aclose()
