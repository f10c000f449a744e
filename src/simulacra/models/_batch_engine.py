"""A llama.cpp batch engine: one KV slot per conversation, continuous batching across them.

One ``llama_context`` holds ``n_slots`` sequences (llama.cpp's ``n_seq_max``, each with its own
``n_ctx`` tokens of KV cache). A request is a chat prompt; it is given the free slot whose cached
tokens it continues (or the least recently used one), keeps the longest common token prefix of
that slot and evaluates only the rest. A scheduler thread decodes one token of every running
request per ``llama_decode`` call, with the prompt chunks of newly arrived requests in the same
batch, so a new request joins the running batch at the next step.

Every request has its own sampler chain seeded by the request's seed: the sampled tokens of one
request never depend on another's random draws. The logits themselves can differ in the last bits
with the batch composition (llama.cpp's CPU kernels pick different paths by batch size); see
``docs/performance.md`` for what the determinism test shows.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import json
import random
import threading
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulacra.errors import ConfigError, ContextWindowError, ModelError, ModelNotAvailableError
from simulacra.models._kv_slots import kv_bytes_per_token, slot_count

__all__ = ["BatchEngine", "EngineStats", "PreparedRequest", "default_seed", "json_schema_grammar"]

_N_BATCH = 512  # tokens per llama_decode call (prompt chunks + one token per running request)
_PENALTY_LAST_N = 64  # as llama-cpp-python's Llama (last_n_tokens_size)


@dataclass
class EngineStats:
    """Counters since the engine started (read them for tests and benchmarks)."""

    requests: int = 0
    prompt_tokens: int = 0
    prompt_tokens_evaluated: int = 0
    completion_tokens: int = 0
    decode_calls: int = 0
    decoded_tokens: int = 0
    max_sequences_in_batch: int = 0
    slot_evictions: int = 0


@dataclass
class _Slot:
    seq_id: int
    tokens: list[int] = field(default_factory=list)  # tokens whose KV is in the cache
    last_used: int = -1
    busy: bool = False
    affinity: Hashable | None = None


@dataclass
class PreparedRequest:
    """A tokenized request (see :meth:`BatchEngine.prepare`)."""

    tokens: list[int]
    max_tokens: int
    stop: list[str]
    temperature: float
    top_p: float
    top_k: int
    min_p: float
    repeat_penalty: float
    seed: int
    grammar: str | None = None
    reuse_prefix: bool = True
    affinity: Hashable | None = None  # requests with the same key prefer the same slot


@dataclass
class _Active:
    req: PreparedRequest
    done: Callable[[dict[str, Any] | BaseException], None]
    sampler: Any = None
    slot: _Slot | None = None
    pending: list[int] = field(default_factory=list)  # tokens still to feed into the KV cache
    in_prompt: bool = True
    evaluated: int = 0
    completion: list[int] = field(default_factory=list)
    pieces: list[bytes] = field(default_factory=list)
    cancelled: bool = False
    out_index: int = -1


class BatchEngine:
    """Owns one llama.cpp model and context and the scheduler thread that drives them.

    Args:
        path: GGUF file.
        n_slots: Sequences kept in the KV cache (conversations whose prefix stays warm).
        n_ctx: Context window of each slot, in tokens.
        n_threads: CPU threads of llama.cpp.
        seed: Seed of requests that give none.

    Raises:
        ModelError: llama.cpp could not load the model or create the context.
    """

    def __init__(
        self,
        path: str,
        *,
        n_slots: int | None,
        n_ctx: int,
        n_threads: int,
        seed: int = 0,
        max_default_slots: int = 16,
    ) -> None:
        import llama_cpp
        from llama_cpp import _internals as internals
        from llama_cpp._utils import suppress_stdout_stderr

        _internals: Any = internals  # untyped
        self._l = llama_cpp
        self.n_ctx = n_ctx
        self.seed = seed
        self.stats = EngineStats()
        with suppress_stdout_stderr(disable=False):
            try:
                params = _internals.LlamaModel.default_params()
                self._model: Any = _internals.LlamaModel(
                    path_model=path, params=params, verbose=False
                )
            except (ValueError, RuntimeError) as exc:
                raise ModelNotAvailableError(
                    f"{path}: llama.cpp could not load it ({exc})"
                ) from exc
            self.metadata: dict[str, str] = self._model.metadata()
            try:
                self.n_slots = slot_count(
                    n_slots, n_ctx, kv_bytes_per_token(self.metadata), max_default_slots
                )
                cparams = llama_cpp.llama_context_default_params()
                cparams.n_ctx = n_ctx * self.n_slots
                cparams.n_seq_max = self.n_slots
                cparams.n_batch = _N_BATCH
                cparams.n_ubatch = _N_BATCH
                cparams.n_threads = n_threads
                cparams.n_threads_batch = n_threads
                cparams.kv_unified = False  # one KV stream of n_ctx cells per slot
                # As llama-cpp-python's Llama (same numerics as the single-context engine).
                cparams.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
                self._ctx: Any = _internals.LlamaContext(
                    model=self._model, params=cparams, verbose=False
                )
            except ValueError as exc:
                self._model.close()
                raise ModelNotAvailableError(
                    f"{path}: llama.cpp could not create a context of {self.n_slots} slots x "
                    f"{n_ctx} tokens ({exc}); lower n_slots or n_ctx"
                ) from exc
            except ConfigError:
                self._model.close()
                raise
        self._vocab = self._model.vocab
        self.eos = int(llama_cpp.llama_vocab_eos(self._vocab))
        self.bos = int(llama_cpp.llama_vocab_bos(self._vocab))
        self.users = 0  # adapters sharing this engine (see models._embedded_batched)
        self._mem = llama_cpp.llama_get_memory(self._ctx.ctx)
        self._batch = llama_cpp.llama_batch_init(_N_BATCH, 0, 1)
        self._piece_buf = ctypes.create_string_buffer(256)
        self.slots = [_Slot(seq_id=i) for i in range(self.n_slots)]
        self._clock = itertools.count()
        self._cond = threading.Condition()
        self._queue: deque[_Active] = deque()
        self._waiting: deque[_Active] = deque()
        self._active: list[_Active] = []
        self._closing = False
        self._thread = threading.Thread(
            target=self._loop, name="simulacra-batch-engine", daemon=True
        )
        self._thread.start()

    # ------------------------------------------------------------------ requests
    def tokenize(self, text: str) -> list[int]:
        """Tokens of a rendered chat prompt (special tokens parsed, no BOS added)."""
        return list(self._model.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def token_text(self, token: int) -> str:
        """The vocabulary text of a token (``""`` for none)."""
        if token < 0:
            return ""
        return bytes(self._l.llama_vocab_get_text(self._vocab, token)).decode("utf-8", "replace")

    def submit(
        self, req: PreparedRequest, done: Callable[[dict[str, Any] | BaseException], None]
    ) -> Any:
        """Queue a request; ``done`` is called (in the engine thread) with the result dict
        (``text``, ``finish_reason``, ``prompt_tokens``, ``completion_tokens``,
        ``prompt_tokens_evaluated``) or the exception. Returns a handle for :meth:`cancel`.

        Raises:
            ContextWindowError: The prompt does not fit one slot.
        """
        if len(req.tokens) >= self.n_ctx:
            raise ContextWindowError(
                f"prompt of {len(req.tokens)} tokens exceeds the context window of {self.n_ctx}"
            )
        req.max_tokens = min(req.max_tokens, self.n_ctx - len(req.tokens))
        active = _Active(req=req, done=done)
        with self._cond:
            if self._closing:
                raise ModelError("the embedded engine is closed")
            self._queue.append(active)
            self._cond.notify()
        return active

    def cancel(self, handle: Any) -> None:
        """Drop a request (its caller gave up): it stops at the next step and frees its slot."""
        with self._cond:
            handle.cancelled = True
            self._cond.notify()

    def generate(self, req: PreparedRequest) -> dict[str, Any]:
        """Blocking helper: submit and wait for the result."""
        event = threading.Event()
        box: list[dict[str, Any] | BaseException] = []

        def done(result: dict[str, Any] | BaseException) -> None:
            box.append(result)
            event.set()

        self.submit(req, done)
        event.wait()
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    @property
    def alive(self) -> bool:
        """Whether the scheduler thread runs."""
        return self._thread.is_alive()

    def close(self) -> None:
        """Stop the scheduler (requests still queued or running fail), free llama.cpp memory."""
        with self._cond:
            if self._closing and not self._thread.is_alive():
                return
            self._closing = True
            self._cond.notify_all()
        self._thread.join()
        for a in list(self._queue) + list(self._waiting) + self._active:
            self._release(a, clear=False)
            self._finish(a, ModelError("the embedded engine was closed"))
        self._queue.clear()
        self._waiting.clear()
        self._active.clear()
        if self._batch is not None:
            self._l.llama_batch_free(self._batch)
            self._batch = None
        self._ctx.close()
        self._model.close()

    # ------------------------------------------------------------------ scheduler
    def _loop(self) -> None:
        while True:
            with self._cond:
                while (
                    not self._closing
                    and not self._queue
                    and not self._active
                    and not (self._waiting and self._free_slot_exists())
                ):
                    self._cond.wait()
                if self._closing:
                    return
                self._waiting.extend(self._queue)
                self._queue.clear()
            try:
                self._step()
            except Exception as exc:  # the thread must survive and report
                for a in self._active:
                    self._release(a, clear=True)
                    self._finish(a, ModelError(f"embedded engine: {exc}"))
                self._active.clear()

    def _free_slot_exists(self) -> bool:
        return any(not s.busy for s in self.slots)

    def _step(self) -> None:
        for a in [a for a in self._waiting if a.cancelled]:
            self._waiting.remove(a)
            self._finish(a, ModelError("cancelled"))
        for a in [a for a in self._active if a.cancelled]:
            self._active.remove(a)
            self._release(a, clear=False)
            self._finish(a, ModelError("cancelled"))
        while self._waiting and self._free_slot_exists():
            a = self._waiting.popleft()
            try:
                self._start(a)
            except Exception as exc:  # a request that cannot start fails alone
                self._release(a, clear=True)
                self._finish(a, ModelError(f"embedded engine: {exc}"))
        if not self._active:
            return
        batch = self._batch
        n, seqs = 0, 0
        for a in self._active:  # running requests first: one token each
            if not a.in_prompt:
                n = self._add(batch, n, a, a.pending, logits_last=True)
                seqs += 1
        for a in self._active:  # then prompt chunks in the room left
            if a.in_prompt and n < _N_BATCH:
                chunk = a.pending[: _N_BATCH - n]
                n = self._add(batch, n, a, chunk, logits_last=len(chunk) == len(a.pending))
                seqs += 1
        batch.n_tokens = n
        rc = self._l.llama_decode(self._ctx.ctx, batch)
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
        self.stats.decode_calls += 1
        self.stats.decoded_tokens += n
        self.stats.max_sequences_in_batch = max(self.stats.max_sequences_in_batch, seqs)
        for a in list(self._active):
            if a.out_index < 0:
                continue
            a.in_prompt = False
            token = self._l.llama_sampler_sample(a.sampler, self._ctx.ctx, a.out_index)
            a.out_index = -1
            result = self._accept(a, token)
            if result is not None:
                self._active.remove(a)
                self._release(a, clear=False)
                self._finish(a, result)

    def _add(self, batch: Any, n: int, a: _Active, tokens: list[int], *, logits_last: bool) -> int:
        assert a.slot is not None
        pos0 = len(a.slot.tokens)
        for i, tok in enumerate(tokens):
            batch.token[n + i] = tok
            batch.pos[n + i] = pos0 + i
            batch.n_seq_id[n + i] = 1
            batch.seq_id[n + i][0] = a.slot.seq_id
            batch.logits[n + i] = False
        if tokens and logits_last:
            batch.logits[n + len(tokens) - 1] = True
            a.out_index = n + len(tokens) - 1
        count = len(tokens)
        a.slot.tokens.extend(tokens)
        a.pending = a.pending[count:]
        return n + count

    def _pick_slot(self, tokens: list[int], affinity: Hashable | None) -> tuple[_Slot, int]:
        """The free slot of the same conversation and role (``affinity``); else, among the free
        slots no other conversation owns (all free slots when none is unowned), the one whose
        cache this prompt mostly continues, else the least recently used one."""
        free = [s for s in self.slots if not s.busy]
        if affinity is not None:
            for s in free:
                if s.affinity == affinity:
                    return s, _common_prefix(s.tokens, tokens)
            free = [s for s in free if s.affinity is None] or free
        best, best_lcp = None, 0
        for s in free:
            lcp = _common_prefix(s.tokens, tokens)
            similar = lcp * 2 >= len(s.tokens) or lcp * 2 >= len(tokens)
            if s.tokens and similar and lcp > best_lcp:
                best, best_lcp = s, lcp
        if best is not None:
            return best, best_lcp
        slot = min(free, key=lambda s: s.last_used)
        if slot.tokens:
            self.stats.slot_evictions += 1
        return slot, _common_prefix(slot.tokens, tokens)

    def _start(self, a: _Active) -> None:
        req = a.req
        slot, keep = self._pick_slot(req.tokens, req.affinity)
        if not req.reuse_prefix:
            keep = 0
        keep = min(keep, len(req.tokens) - 1)  # the last prompt token is evaluated for its logits
        if not self._l.llama_memory_seq_rm(self._mem, slot.seq_id, keep, -1):
            self._l.llama_memory_seq_rm(self._mem, slot.seq_id, 0, -1)
            keep = 0
        slot.busy = True
        slot.affinity = req.affinity
        slot.tokens = slot.tokens[:keep]
        a.slot = slot
        a.pending = list(req.tokens[keep:])
        a.evaluated = len(a.pending)
        try:
            a.sampler = self._make_sampler(req)
        except ModelError as exc:
            self._release(a, clear=False)
            self._finish(a, exc)
            return
        self.stats.requests += 1
        self.stats.prompt_tokens += len(req.tokens)
        self.stats.prompt_tokens_evaluated += a.evaluated
        self._active.append(a)

    def _make_sampler(self, req: PreparedRequest) -> Any:
        lib = self._l
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        add = lib.llama_sampler_chain_add
        # Same arguments as llama-cpp-python's Llama (its binding passes n_vocab first).
        n_vocab = lib.llama_vocab_n_tokens(self._vocab)
        add(
            chain,
            lib.llama_sampler_init_penalties(
                n_vocab, _PENALTY_LAST_N, req.repeat_penalty, 0.0, 0.0
            ),
        )
        if req.grammar is not None:
            grammar = lib.llama_sampler_init_grammar(
                self._vocab, req.grammar.encode("utf-8"), b"root"
            )
            if not grammar:
                lib.llama_sampler_free(chain)
                raise ModelError("llama.cpp rejected the grammar of the JSON schema")
            add(chain, grammar)
        if req.temperature == 0.0:
            add(chain, lib.llama_sampler_init_greedy())
        else:
            add(chain, lib.llama_sampler_init_top_k(req.top_k))
            add(chain, lib.llama_sampler_init_typical(1.0, 1))
            add(chain, lib.llama_sampler_init_top_p(req.top_p, 1))
            add(chain, lib.llama_sampler_init_min_p(req.min_p, 1))
            add(chain, lib.llama_sampler_init_temp(req.temperature))
            add(chain, lib.llama_sampler_init_dist(req.seed & 0xFFFFFFFF))
        return chain

    def _accept(self, a: _Active, token: int) -> dict[str, Any] | None:
        """Take a sampled token; return the result when the request is finished."""
        finish: str | None = None
        if self._l.llama_vocab_is_eog(self._vocab, token):
            finish = "stop"
        else:
            a.completion.append(token)
            a.pieces.append(self._piece(token))
            a.pending = [token]
        text = b"".join(a.pieces).decode("utf-8", errors="ignore")
        if finish is None:
            cut = [text.index(s) for s in a.req.stop if s and s in text]
            if cut:
                text, finish = text[: min(cut)], "stop"
            elif len(a.completion) >= a.req.max_tokens:
                finish = "length"
        if finish is None:
            return None
        self.stats.completion_tokens += len(a.completion)
        return {
            "text": text,
            "finish_reason": finish,
            "prompt_tokens": len(a.req.tokens),
            "completion_tokens": len(a.completion),
            "prompt_tokens_evaluated": a.evaluated,
        }

    def _piece(self, token: int) -> bytes:
        n = self._l.llama_token_to_piece(self._vocab, token, self._piece_buf, 256, 0, False)
        return self._piece_buf.raw[: max(n, 0)]

    def _release(self, a: _Active, *, clear: bool) -> None:
        if a.sampler is not None:
            self._l.llama_sampler_free(a.sampler)
            a.sampler = None
        slot = a.slot
        if slot is None:
            return
        if clear:
            self._l.llama_memory_seq_rm(self._mem, slot.seq_id, 0, -1)
            slot.tokens = []
        slot.busy = False
        slot.last_used = next(self._clock)
        a.slot = None

    @staticmethod
    def _finish(a: _Active, result: dict[str, Any] | BaseException) -> None:
        with contextlib.suppress(Exception):  # a caller's callback must not kill the engine
            a.done(result)


def _common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def json_schema_grammar(schema: dict[str, Any]) -> str:
    """The GBNF grammar of a JSON schema (llama-cpp-python's converter)."""
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    return str(json_schema_to_gbnf(json.dumps(schema)))


def default_seed(engine_seed: int) -> int:
    """The seed of a request that gives none (as llama-cpp-python derives it)."""
    return random.Random(engine_seed or 0xFFFFFFFF).randint(0, 2**32)
