"""The embedded model on the batch engine: a KV slot per conversation, batched decoding.

:class:`BatchedEmbeddedAPI` translates chat requests for a :class:`BatchEngine`. Adapters of the
same GGUF file, context size and thread count share one engine (one model in memory, one
scheduler, one batch), so the simulated user of one conversation and the assistant of another
decode in the same ``llama_decode`` call. The engine is closed when its last adapter is.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from simulacra.errors import MissingExtraError, ModelError, ModelNotAvailableError
from simulacra.models._batch_engine import (
    BatchEngine,
    PreparedRequest,
    default_seed,
    json_schema_grammar,
)
from simulacra.models._model import ModelAPI, current_call_log
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = ["BatchedEmbeddedAPI", "shared_engine"]

_LOCK = threading.Lock()
_ENGINES: dict[tuple[str, int, int, int | None], BatchEngine] = {}


def shared_engine(
    path: Path, *, n_ctx: int, n_threads: int, n_slots: int | None, seed: int
) -> tuple[BatchEngine, tuple[str, int, int, int | None]]:
    """The engine of these settings (loaded on first use); the caller must :func:`_release` it."""
    key = (str(path.resolve()), n_ctx, n_threads, n_slots)
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None or not engine.alive:
            engine = BatchEngine(
                str(path), n_slots=n_slots, n_ctx=n_ctx, n_threads=n_threads, seed=seed
            )
            _ENGINES[key] = engine
        engine.users += 1
        return engine, key


def _release(key: tuple[str, int, int, int | None]) -> None:
    with _LOCK:
        engine = _ENGINES.get(key)
        if engine is None:
            return
        engine.users -= 1
        if engine.users > 0:
            return
        del _ENGINES[key]
    engine.close()


class BatchedEmbeddedAPI(ModelAPI):
    """A GGUF model served by the shared :class:`BatchEngine` (llama.cpp's batch API).

    Args:
        path: GGUF file.
        name: Identifier recorded in logs.
        n_ctx: Context window of each slot, in tokens.
        n_threads: CPU threads (default: ``$SIMULACRA_THREADS`` if set, else every core).
        n_slots: KV slots (default: as many as fit in half the available memory, at most 16).
        seed: Default sampling seed.
        reuse_prefix: Keep each slot's cache between calls (``False``: evaluate every prompt
            from scratch; for measurements).
        sha256: Verified checksum of the file, recorded in ``run.json``.

    Raises:
        ModelNotAvailableError: The file is missing or llama.cpp cannot load it.
        ConfigError: ``n_slots`` slots do not fit in memory.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_slots: int | None = None,
        seed: int = 0,
        reuse_prefix: bool = True,
        sha256: str | None = None,
    ) -> None:
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingExtraError("embedded", "the embedded llama.cpp model") from exc
        from simulacra.models._embedded import default_threads

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotAvailableError(f"{self.path}: GGUF file not found")
        self.name = name or f"gguf:{self.path}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.seed = seed
        self.reuse_prefix = reuse_prefix
        self.sha256 = sha256
        self._version = getattr(llama_cpp, "__version__", None)
        self.engine, self._key = shared_engine(
            self.path, n_ctx=n_ctx, n_threads=self.n_threads, n_slots=n_slots, seed=seed
        )
        self._closed = False
        meta = self.engine.metadata
        template = meta.get("tokenizer.chat_template")
        if not template:
            self._close_engine()
            raise ModelNotAvailableError(
                f"{self.path}: the GGUF has no chat template; use 'engine: single'"
            )
        eos = self.engine.token_text(self.engine.eos)
        self._eos_text = eos
        self._format = Jinja2ChatFormatter(
            template=template,
            eos_token=eos,
            bos_token=self.engine.token_text(self.engine.bos),
        )
        # Calls of every role on this engine share one pool of its slots.
        self.max_concurrency = self.engine.n_slots
        self.connection_key = f"embedded-engine:{id(self.engine)}"

    @property
    def preferred_concurrency(self) -> int:
        """Conversations to run at once: the slots shared out among the roles on the engine
        (each role keeps one prompt per conversation warm)."""
        return max(1, self.engine.n_slots // max(1, self.engine.users))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": "embedded",
            "engine": "batched",
            "path": str(self.path),
            "sha256": self.sha256,
            "n_ctx": self.n_ctx,
            "n_slots": self.engine.n_slots,
            "n_threads": self.n_threads,
            "reuse_prefix": self.reuse_prefix,
            "llama_cpp_python": self._version,
        }

    def prepare(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> PreparedRequest:
        """Render and tokenize a chat request with llama-cpp-python's defaults for unset options."""
        chat: Any = [{"role": m.role, "content": m.content} for m in messages]
        rendered = self._format(messages=chat)
        stop = [*(config.stop or []), self._eos_text]
        return PreparedRequest(
            tokens=self.engine.tokenize(rendered.prompt),
            max_tokens=config.max_tokens or 256,
            stop=stop,
            temperature=0.2 if config.temperature is None else config.temperature,
            top_p=0.95 if config.top_p is None else config.top_p,
            top_k=40 if config.top_k is None else config.top_k,
            min_p=0.05 if config.min_p is None else config.min_p,
            repeat_penalty=1.1 if config.repeat_penalty is None else config.repeat_penalty,
            seed=default_seed(self.seed) if config.seed is None else config.seed,
            grammar=None if config.json_schema is None else json_schema_grammar(config.json_schema),
            reuse_prefix=self.reuse_prefix,
            affinity=_affinity(self),
        )

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        if self._closed:
            raise ModelError(f"{self.name}: the model is closed")
        req = self.prepare(messages, config)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()

        def settle(result: dict[str, Any] | BaseException) -> None:
            if future.done():
                return
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

        def done(result: dict[str, Any] | BaseException) -> None:  # engine thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                loop.call_soon_threadsafe(settle, result)

        try:
            handle = self.engine.submit(req, done)
        except ModelError as exc:
            raise type(exc)(f"{self.name}: {exc}") from exc
        try:
            result = await future
        except asyncio.CancelledError:
            self.engine.cancel(handle)
            raise
        except ModelError as exc:
            raise ModelError(f"{self.name}: {exc}") from exc
        return _output(result)

    def generate_sync(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> ModelOutput:
        """Blocking generation (benchmarks; several threads may call it at once)."""
        return _output(self.engine.generate(self.prepare(messages, config)))

    def _close_engine(self) -> None:
        if not self._closed:
            self._closed = True
            _release(self._key)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._close_engine)


def _affinity(api: BatchedEmbeddedAPI) -> tuple[int, int] | None:
    """This role's calls in the running conversation share a slot: the key is the
    conversation's call log (one per conversation, see :func:`record_calls`) and the adapter."""
    log = current_call_log()
    return None if log is None else (id(log), id(api))


def _output(result: dict[str, Any]) -> ModelOutput:
    return ModelOutput(
        text=result["text"],
        finish_reason=result["finish_reason"],
        usage=Usage(
            prompt_tokens=result["prompt_tokens"],
            completion_tokens=result["completion_tokens"],
            prompt_tokens_evaluated=result["prompt_tokens_evaluated"],
        ),
    )
