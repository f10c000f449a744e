"""In-process llama.cpp (llama-cpp-python): the offline default provider."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulacra.errors import (
    ConfigError,
    ContextWindowError,
    MalformedResponseError,
    MissingExtraError,
    ModelError,
    ModelNotAvailableError,
)
from simulacra.models._model import ModelAPI
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["EmbeddedAPI", "default_threads"]


def _import_llama_cpp() -> Any:
    try:
        import llama_cpp
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError("embedded", "the embedded llama.cpp model") from exc
    return llama_cpp


def default_threads() -> int:
    """CPU threads for llama.cpp: ``$SIMULACRA_THREADS`` when set, else every core.

    On a machine shared with other jobs one thread per core is many times slower than fewer
    threads (llama.cpp's threads spin-wait for each other), hence the override.
    """
    raw = os.environ.get("SIMULACRA_THREADS", "").strip()
    if raw:
        if not raw.isdigit() or int(raw) < 1:
            raise ConfigError(f"SIMULACRA_THREADS: expected a positive integer, got {raw!r}")
        return int(raw)
    return os.cpu_count() or 1


class EmbeddedAPI(ModelAPI):
    """A GGUF model run in-process by llama.cpp.

    One instance owns one llama.cpp context. Calls are serialised (llama.cpp contexts are not
    thread-safe) and run in a worker thread so the event loop stays free.

    With ``reuse_prefix`` (default) the KV cache of the previous call is kept and only the tokens
    after the longest common prefix are evaluated: a participant whose prompt grows turn by turn
    pays only for the new turn. Give each role its own instance to keep its prefix warm.

    Args:
        path: GGUF file.
        name: Identifier recorded in logs.
        n_ctx: Context window in tokens.
        n_threads: CPU threads (default: ``$SIMULACRA_THREADS`` if set, else all cores).
        seed: Default sampling seed.
        reuse_prefix: Keep the KV cache between calls.
        sha256: Verified checksum of the file, recorded in ``run.json``.
    """

    max_concurrency = 1

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        seed: int = 0,
        reuse_prefix: bool = True,
        sha256: str | None = None,
    ) -> None:
        llama_cpp = _import_llama_cpp()
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotAvailableError(f"{self.path}: GGUF file not found")
        self.name = name or f"gguf:{self.path}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.reuse_prefix = reuse_prefix
        self.sha256 = sha256
        self._llama_cpp = llama_cpp
        self._lock = threading.Lock()
        try:
            # llama.cpp prints its load log on the C stderr; verbose=False keeps it quiet.
            with contextlib.redirect_stderr(io.StringIO()):
                self.llm = llama_cpp.Llama(
                    model_path=str(self.path),
                    n_ctx=n_ctx,
                    n_threads=self.n_threads,
                    n_threads_batch=self.n_threads,
                    seed=seed,
                    verbose=False,
                )
        except (ValueError, RuntimeError) as exc:
            raise ModelNotAvailableError(
                f"{self.path}: llama.cpp could not load it ({exc})"
            ) from exc

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": "embedded",
            "path": str(self.path),
            "sha256": self.sha256,
            "n_ctx": self.n_ctx,
            "n_threads": self.n_threads,
            "reuse_prefix": self.reuse_prefix,
            "llama_cpp_python": getattr(self._llama_cpp, "__version__", None),
        }

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        return await asyncio.to_thread(self.generate_sync, messages, config)

    def generate_sync(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> ModelOutput:
        """Blocking generation (used by :meth:`generate` in a worker thread, and by benchmarks)."""
        kwargs: dict[str, Any] = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": config.max_tokens or 256,
        }
        for ours, theirs in (
            ("temperature", "temperature"),
            ("top_p", "top_p"),
            ("top_k", "top_k"),
            ("min_p", "min_p"),
            ("repeat_penalty", "repeat_penalty"),
            ("seed", "seed"),
            ("stop", "stop"),
        ):
            value = getattr(config, ours)
            if value is not None:
                kwargs[theirs] = value
        if config.json_schema is not None:
            kwargs["response_format"] = {"type": "json_object", "schema": config.json_schema}
        ctx = self.llm._ctx.ctx
        with self._lock:
            if not self.reuse_prefix:
                self.llm.reset()
            self._llama_cpp.llama_perf_context_reset(ctx)
            try:
                result = self.llm.create_chat_completion(**kwargs)
            except ValueError as exc:
                if "context window" in str(exc) or "exceed" in str(exc):
                    raise ContextWindowError(f"{self.name}: {exc}") from exc
                raise ModelError(f"{self.name}: {exc}") from exc
            evaluated = int(self._llama_cpp.llama_perf_context(ctx).n_p_eval)
        try:
            choice = result["choices"][0]
            text = choice["message"]["content"] or ""
            usage = result.get("usage") or {}
        except (KeyError, IndexError, TypeError) as exc:
            raise MalformedResponseError(f"{self.name}: unexpected result shape") from exc
        return ModelOutput(
            text=text,
            finish_reason=choice.get("finish_reason") or "stop",
            usage=Usage(
                prompt_tokens=int(usage.get("prompt_tokens", 0)),
                completion_tokens=int(usage.get("completion_tokens", 0)),
                prompt_tokens_evaluated=evaluated,
            ),
        )

    async def aclose(self) -> None:
        with self._lock:
            close = getattr(self.llm, "close", None)
            if close is not None:
                close()
