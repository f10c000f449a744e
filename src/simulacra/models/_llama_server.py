"""The embedded model on llama.cpp's own server (``engine: server``).

Simulacra starts ``llama-server`` (built from the llama.cpp sources that llama-cpp-python vendors,
see ``scripts/build_llama_server.sh``) as a child process on a loopback port
(:mod:`simulacra.models._llama_process`) and talks to its ``/completion`` endpoint. The server
brings what the in-process engines do by hand: a KV slot per sequence, continuous batching, a
prompt cache and, with a draft model, speculative decoding. Prompts are rendered here with the
same chat formatter as the in-process engines, so every engine sees the same tokens.

A server that exits mid-run (killed, out of memory) is replaced by a fresh one: the calls in flight
fail with a retryable :class:`~simulacra.errors.TransientError` naming its exit status and the
last line of its log, and :class:`~simulacra.models.Model`'s retries send them to the new server;
later calls go there directly. After ``MAX_RESTARTS`` restarts the calls fail for good (a crash
loop is a fault to fix, not to retry).
"""

from __future__ import annotations

import asyncio
import collections
import json
import urllib.error
import urllib.request
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

from simulacra.errors import (
    ConfigError,
    MissingExtraError,
    ModelError,
    ModelNotAvailableError,
    TransientError,
)
from simulacra.models._embedded import default_threads
from simulacra.models._kv_slots import kv_bytes_per_token, slot_count
from simulacra.models._llama_process import (
    DRAFT_MAX,
    MAX_RESTARTS,
    SERVER_ENV,
    ServerProcess,
    find_server_binary,
    release,
    restart,
    shared_server,
)
from simulacra.models._model import ModelAPI, current_call_log
from simulacra.models._openai import classify_http_error
from simulacra.models._types import ChatMessage, GenerateConfig, ModelOutput, Usage

__all__ = [
    "SERVER_ENV",
    "ServerEmbeddedAPI",
    "ServerProcess",
    "find_server_binary",
]

#: Default slots when memory allows (each role of each conversation in flight keeps one warm).
MAX_DEFAULT_SLOTS = 16


class _SlotTable:
    """Which server slot each conversation's role uses: least recently used eviction."""

    def __init__(self, n_slots: int) -> None:
        self.n_slots = n_slots
        self._slots: collections.OrderedDict[tuple[int, int, int], int] = collections.OrderedDict()

    def slot(self, key: tuple[int, int, int]) -> int:
        if key in self._slots:
            self._slots.move_to_end(key)
            return self._slots[key]
        if len(self._slots) < self.n_slots:
            slot = len(self._slots)
        else:
            _, slot = self._slots.popitem(last=False)
        self._slots[key] = slot
        return slot


_TABLES: weakref.WeakKeyDictionary[ServerProcess, _SlotTable] = weakref.WeakKeyDictionary()


def _metadata(path: Path) -> dict[str, str]:
    """The GGUF's metadata, read by llama.cpp without loading the weights."""
    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr

    try:
        with suppress_stdout_stderr(disable=False):  # llama.cpp's context warnings
            vocab = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
    except (ValueError, RuntimeError) as exc:
        raise ModelNotAvailableError(f"{path}: llama.cpp cannot read the GGUF ({exc})") from exc
    try:
        return dict(vocab.metadata)
    finally:
        vocab.close()


class ServerEmbeddedAPI(ModelAPI):
    """A GGUF model served by a Simulacra-managed ``llama-server``.

    Args:
        path: GGUF file.
        name: Identifier recorded in logs.
        n_ctx: Context window of each slot, in tokens.
        n_threads: CPU threads (default: ``$SIMULACRA_THREADS`` if set, else every core).
        n_slots: Slots (default: as many as fit in half the available memory, at most 16).
        seed: Default sampling seed.
        reuse_prefix: Keep each slot's cache between calls (``False``: evaluate every prompt).
        sha256: Verified checksum of the file, recorded in ``run.json``.
        draft: GGUF of a draft model (same tokenizer) for speculative decoding.
        draft_max: Most tokens drafted per step.
        port: Loopback port of the server (default: a free one).

    Raises:
        ModelNotAvailableError: No ``llama-server`` binary, or the server cannot load the file.
        ConfigError: The port is in use, or ``n_slots`` slots do not fit in memory.
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
        draft: str | Path | None = None,
        draft_max: int = DRAFT_MAX,
        port: int | None = None,
    ) -> None:
        try:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise MissingExtraError("embedded", "the embedded llama.cpp model") from exc
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotAvailableError(f"{self.path}: GGUF file not found")
        self.draft = None if draft is None else Path(draft)
        if self.draft is not None and not self.draft.is_file():
            raise ModelNotAvailableError(f"draft: {self.draft}: GGUF file not found")
        self.name = name or f"gguf:{self.path}"
        self.n_ctx = n_ctx
        self.n_threads = n_threads or default_threads()
        self.seed = seed
        self.reuse_prefix = reuse_prefix
        self.sha256 = sha256
        find_server_binary()  # a missing binary fails before anything loads
        meta = _metadata(self.path)
        slots = slot_count(n_slots, n_ctx, kv_bytes_per_token(meta), MAX_DEFAULT_SLOTS)
        self.server, self._key = shared_server(
            self.path,
            n_ctx=n_ctx,
            n_slots=slots,
            n_threads=self.n_threads,
            draft=self.draft,
            draft_max=draft_max,
            port=port,
        )
        self._closed = False
        try:
            props = self.server.props()
        except (OSError, ValueError) as exc:
            self._release()
            raise ModelNotAvailableError(f"{self.path}: llama-server /props failed: {exc}") from exc
        template = props.get("chat_template") or meta.get("tokenizer.chat_template")
        if not template:
            self._release()
            raise ModelNotAvailableError(f"{self.path}: the GGUF has no chat template")
        self._eos_text = str(props.get("eos_token") or "")
        self._format = Jinja2ChatFormatter(
            template=template,
            eos_token=self._eos_text,
            bos_token=str(props.get("bos_token") or ""),
        )
        self._slots = _TABLES.setdefault(self.server, _SlotTable(self.server.n_slots))
        self.max_concurrency = self.server.n_slots
        self.connection_key = f"llama-server:{self.server.port}"
        #: Draft tokens proposed and accepted on this adapter's calls (speculative decoding).
        self.drafted_tokens = 0
        self.accepted_tokens = 0

    @property
    def preferred_concurrency(self) -> int:
        """Conversations to run at once: the slots shared out among the roles on the server."""
        return max(1, self.server.n_slots // max(1, self.server.users))

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "provider": "embedded",
            "engine": "server",
            "path": str(self.path),
            "sha256": self.sha256,
            "n_ctx": self.n_ctx,
            "n_slots": self.server.n_slots,
            "n_threads": self.n_threads,
            "reuse_prefix": self.reuse_prefix,
            "draft": None if self.draft is None else str(self.draft),
            "llama_server": str(self.server.binary),
        }

    def request_body(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> dict[str, Any]:
        """The ``/completion`` body, with llama-cpp-python's defaults for unset options."""
        chat: Any = [{"role": m.role, "content": m.content} for m in messages]
        prompt = self._format(messages=chat).prompt
        body: dict[str, Any] = {
            "prompt": prompt,
            "n_predict": config.max_tokens or 256,
            "stop": [*(config.stop or []), *([self._eos_text] if self._eos_text else [])],
            "temperature": 0.2 if config.temperature is None else config.temperature,
            "top_p": 0.95 if config.top_p is None else config.top_p,
            "top_k": 40 if config.top_k is None else config.top_k,
            "min_p": 0.05 if config.min_p is None else config.min_p,
            "repeat_penalty": 1.1 if config.repeat_penalty is None else config.repeat_penalty,
            "repeat_last_n": 64,
            "samplers": ["penalties", "top_k", "top_p", "min_p", "temperature"],
            "seed": _seed(self.seed) if config.seed is None else config.seed,
            "cache_prompt": self.reuse_prefix,
        }
        if config.json_schema is not None:
            body["json_schema"] = config.json_schema
        log = current_call_log()
        if log is not None:
            # One slot per conversation, role and prompt family (a role's calls with another
            # first message, such as a validity check, keep their own prefix warm).
            family = hash(messages[0].content) if messages else 0
            body["id_slot"] = self._slots.slot((id(log), id(self), family))
        return body

    async def generate(
        self, messages: Sequence[ChatMessage], config: GenerateConfig
    ) -> ModelOutput:
        if self._closed:
            raise ModelError(f"{self.name}: the model is closed")
        if not self.server.alive:  # died between calls: this call goes to a fresh server
            await asyncio.to_thread(self._restart, self.server.exit_message())
        body = self.request_body(messages, config)
        try:
            # A session per call: loopback connections cost microseconds, and a session kept
            # across calls would be tied to one event loop.
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=None)) as session,
                session.post(f"{self.server.base_url}/completion", json=body) as resp,
            ):
                text = await resp.text()
                if resp.status != 200:
                    raise _http_error(self.name, resp.status, text)
                data = json.loads(text)
        except (aiohttp.ClientError, ConnectionError) as exc:
            if await asyncio.to_thread(self.server.died):
                message = self.server.exit_message()
                await asyncio.to_thread(self._restart, message)
                raise TransientError(f"{self.name}: {message}; restarted it") from exc
            raise ModelError(f"{self.name}: llama-server request failed: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise ModelError(f"{self.name}: llama-server sent invalid JSON") from exc
        self._count_drafts(data)
        return output_of(data)

    def _restart(self, message: str) -> None:
        """Move to a fresh server after this one exited (at most ``MAX_RESTARTS`` times).

        Raises:
            ModelError: The restart budget is spent, or the fresh server does not start.
        """
        try:
            fresh = restart(self._key, self.server)
        except (ModelNotAvailableError, ConfigError) as exc:
            raise ModelError(f"{self.name}: {message}; restarting failed: {exc}") from exc
        if fresh is None:
            raise ModelError(
                f"{self.name}: {message}; not restarted ({MAX_RESTARTS} restarts already)"
            )
        self.server = fresh
        self._slots = _TABLES.setdefault(fresh, _SlotTable(fresh.n_slots))

    def _count_drafts(self, data: dict[str, Any]) -> None:
        timings = data.get("timings") or {}
        self.drafted_tokens += int(timings.get("draft_n") or 0)
        self.accepted_tokens += int(timings.get("draft_n_accepted") or 0)

    def generate_sync(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> ModelOutput:
        """Blocking generation (tests and benchmarks; several threads may call it at once)."""
        if not self.server.alive:
            self._restart(self.server.exit_message())
        body = json.dumps(self.request_body(messages, config)).encode()
        request = urllib.request.Request(
            f"{self.server.base_url}/completion",
            data=body,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request) as resp:
                data = json.load(resp)
        except urllib.error.HTTPError as exc:
            raise _http_error(self.name, exc.code, exc.read().decode(errors="replace")) from exc
        except OSError as exc:
            if self.server.died():
                message = self.server.exit_message()
                self._restart(message)
                raise TransientError(f"{self.name}: {message}; restarted it") from exc
            raise ModelError(f"{self.name}: llama-server request failed: {exc}") from exc
        self._count_drafts(data)
        return output_of(data)

    def _release(self) -> None:
        if not self._closed:
            self._closed = True
            release(self._key, self.server)

    async def aclose(self) -> None:
        await asyncio.to_thread(self._release)


def _seed(engine_seed: int) -> int:
    # Without a seed per call, a fixed one: the same text for the same prompt, as on the
    # other engines with a seeded context.
    return engine_seed if engine_seed >= 0 else 0


def _http_error(name: str, status: int, text: str) -> ModelError:
    try:
        message = json.loads(text).get("error", {}).get("message") or text
    except (json.JSONDecodeError, AttributeError):
        message = text
    return classify_http_error(name, status, {}, str(message))


def output_of(data: dict[str, Any]) -> ModelOutput:
    """A :class:`ModelOutput` from a ``/completion`` response (usage from its timings)."""
    timings = data.get("timings") or {}
    prompt_tokens = int(data.get("tokens_evaluated") or 0)
    evaluated = int(timings.get("prompt_n", prompt_tokens))
    stop_type = data.get("stop_type")
    return ModelOutput(
        text=str(data.get("content", "")),
        finish_reason="length" if stop_type == "limit" else "stop",
        usage=Usage(
            prompt_tokens=prompt_tokens,
            completion_tokens=int(data.get("tokens_predicted") or 0),
            prompt_tokens_evaluated=evaluated,
        ),
    )
