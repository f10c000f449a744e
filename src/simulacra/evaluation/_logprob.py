"""Token log-probabilities for judges: what a model *would* answer, without sampling an answer.

A :class:`TokenScorer` gives (a) the log-probability of each of a few candidate answers as the
next token after a chat prompt (the scale values of a rubric, ``A``/``B`` of a pairwise
comparison) and (b) the summed log-probability of a given continuation after a given text (the
likelihood features). Two implementations:

- :class:`EmbeddedScorer`: a GGUF model run in-process by llama.cpp with logits for every
  position (``logits_all=True``), read straight from ``Llama.scores``. The KV cache of the last
  evaluation is kept and only the tokens after the longest common prefix are evaluated, so a
  rubric's long fixed instructions, or a context scored with several follow-ups, cost once.
  (``create_completion(logprobs=k)`` of llama-cpp-python needs ``logits_all=True`` as well, sorts
  the whole vocabulary for every token and gives only generated tokens; reading the logits
  directly is exact and cheaper.)
- :class:`OpenAIScorer`: an OpenAI-compatible server asked for one token with
  ``logprobs: true, top_logprobs: 20``; a candidate outside the top 20 gets no probability.
  Servers give no log-probabilities of given text, so it has no :meth:`continuation`.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from simulacra.errors import (
    ConfigError,
    MalformedResponseError,
    MissingExtraError,
    ModelNotAvailableError,
    TransientError,
)
from simulacra.models import ChatMessage

__all__ = ["EmbeddedScorer", "OpenAIScorer", "TokenScorer", "scorer_from_spec"]


class TokenScorer(Protocol):
    """A model that gives log-probabilities of candidate next tokens."""

    name: str

    async def next_token_logprobs(
        self, messages: Sequence[ChatMessage], candidates: Sequence[str]
    ) -> dict[str, float]:
        """Log-probability of each candidate as the first token of the assistant's answer
        (``-inf`` for a candidate the model gives no probability)."""
        ...


def _log_softmax(row: Any) -> Any:
    import numpy as np

    x = np.asarray(row, dtype=np.float64)
    top = x.max()
    return x - (top + math.log(float(np.exp(x - top).sum())))


class EmbeddedScorer:
    """A GGUF model that scores candidate answers and continuations (see the module doc).

    Args:
        path: The GGUF file.
        name: Recorded with verdicts.
        n_ctx: Window in tokens. Memory is about ``2 × n_ctx × vocabulary`` floats (2048 ×
            152k × 8 bytes = 2.5 GB for the Qwen2.5 models).
        n_threads: CPU threads (default: ``$SIMULACRA_THREADS`` or every core).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 2048,
        n_threads: int | None = None,
    ) -> None:
        try:
            import llama_cpp
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter
        except ImportError:  # pragma: no cover - depends on the environment
            raise MissingExtraError("embedded", "token log-probabilities of a judge") from None
        from simulacra.models._embedded import default_threads

        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotAvailableError(f"{self.path}: GGUF file not found")
        self.name = name or f"gguf:{self.path}"
        self.n_ctx = n_ctx
        with contextlib.redirect_stderr(io.StringIO()):
            self.llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_batch=512,
                n_threads=n_threads or default_threads(),
                n_threads_batch=n_threads or default_threads(),
                logits_all=True,
                verbose=False,
            )
        template = self.llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelNotAvailableError(f"{self.path}: the GGUF file has no chat template")
        eos = self.llm.detokenize([self.llm.token_eos()], special=True).decode(errors="replace")
        self._format = Jinja2ChatFormatter(template=template, eos_token=eos, bos_token="")
        self._cached: list[int] = []
        self.evaluated = 0  # tokens evaluated so far (after prefix reuse)

    @classmethod
    def from_spec(cls, spec: str, *, n_ctx: int = 2048) -> EmbeddedScorer:
        """``embedded:<tier>`` (the catalogue) or ``gguf:<path>``."""
        from simulacra.models import CATALOGUE, resolve_gguf

        prefix, _, rest = spec.partition(":")
        if prefix == "embedded" and rest in CATALOGUE:
            return cls(resolve_gguf(CATALOGUE[rest]), name=spec, n_ctx=n_ctx)
        if prefix == "gguf" and rest:
            return cls(Path(rest).expanduser(), name=spec, n_ctx=n_ctx)
        known = ", ".join(f"embedded:{t}" for t in CATALOGUE)
        raise ConfigError(f"token log-probabilities need {known} or gguf:<path>, got {spec!r}")

    def tokens(self, text: str, *, bos: bool = False) -> list[int]:
        """The token ids of ``text`` (``bos``: with the model's begin-of-sequence token)."""
        return list(self.llm.tokenize(text.encode(), add_bos=bos, special=True))

    def _eval(self, tokens: Sequence[int]) -> None:
        """Make ``llm.scores[i]`` the logits after ``tokens[: i + 1]``, reusing the cache."""
        if len(tokens) > self.n_ctx:
            raise ValueError(f"{len(tokens)} tokens do not fit the window of {self.n_ctx}")
        common = 0
        for a, b in zip(self._cached, tokens, strict=False):
            if a != b:
                break
            common += 1
        if common == len(tokens) and common == len(self._cached):
            return
        # at least the last token is evaluated again when the request is a prefix of the cache
        common = min(common, len(tokens) - 1)
        self.llm.n_tokens = common
        self.llm._ctx.kv_cache_seq_rm(-1, common, -1)
        self._cached = []
        self.llm.eval(list(tokens[common:]))
        self.evaluated += len(tokens) - common
        self._cached = list(tokens)

    def logprob_rows(self, tokens: Sequence[int], positions: Sequence[int]) -> list[Any]:
        """Log-softmax rows of the next-token distribution after ``tokens[: p + 1]``."""
        self._eval(tokens)
        return [_log_softmax(self.llm.scores[p]) for p in positions]

    def chat_prompt(self, messages: Sequence[ChatMessage]) -> str:
        """The model's chat template applied to ``messages``, ready for the assistant's turn."""
        rendered: Any = [{"role": m.role, "content": m.content} for m in messages]
        result = self._format(messages=rendered)
        return str(result.prompt)

    def candidate_ids(self, candidate: str) -> list[int]:
        """Single-token spellings of a candidate (``"4"`` and ``" 4"``).

        Raises:
            ConfigError: If neither spelling is one token.
        """
        ids = {tuple(self.tokens(s)) for s in (candidate, " " + candidate)}
        single = sorted(t[0] for t in ids if len(t) == 1)
        if not single:
            raise ConfigError(
                f"{self.name}: candidate answer {candidate!r} is not one token; probability "
                "weighting needs one-token answers (scales up to 9)"
            )
        return single

    def next_token_logprobs_sync(
        self, messages: Sequence[ChatMessage], candidates: Sequence[str], prefix: str = ""
    ) -> dict[str, float]:
        """Blocking :meth:`next_token_logprobs` (``prefix``: text the answer starts with)."""
        tokens = self.tokens(self.chat_prompt(messages) + prefix)
        (row,) = self.logprob_rows(tokens, [len(tokens) - 1])
        out: dict[str, float] = {}
        for c in candidates:
            ids = self.candidate_ids(c)
            top = max(float(row[i]) for i in ids)
            out[c] = top + math.log(sum(math.exp(float(row[i]) - top) for i in ids))
        return out

    async def next_token_logprobs(
        self, messages: Sequence[ChatMessage], candidates: Sequence[str]
    ) -> dict[str, float]:
        """Log-probability of each candidate as the first token of the answer; a candidate's
        spellings with and without a leading space are summed."""
        return self.next_token_logprobs_sync(messages, candidates)

    def continuation(self, prefix: str, texts: Sequence[str]) -> list[tuple[float, int]]:
        """``(summed log-probability, tokens)`` of each text right after ``prefix``.

        The prefix is evaluated once (and reused from the cache when it was the last one); a
        prefix too long for the window keeps its beginning's first line (a header) and its end.
        """
        head = self.tokens(prefix, bos=True)
        out: list[tuple[float, int]] = []
        for text in texts:
            body = self.tokens(text)[: self.n_ctx // 2]
            if not body:
                out.append((0.0, 0))
                continue
            start = head
            if len(head) + len(body) > self.n_ctx:
                keep = self.n_ctx - len(body)
                start = head[:1] + head[len(head) - keep + 1 :]
            seq = start + body
            rows = self.logprob_rows(seq, range(len(start) - 1, len(seq) - 1))
            lp = sum(float(r[t]) for r, t in zip(rows, body, strict=True))
            out.append((lp, len(body)))
        return out

    def close(self) -> None:
        """Free the llama.cpp context."""
        close = getattr(self.llm, "close", None)
        if close is not None:
            close()


class OpenAIScorer:
    """Next-token log-probabilities from an OpenAI-compatible server (``top_logprobs=20``).

    Args:
        api: The server's adapter (:class:`~simulacra.models.OpenAICompatibleAPI`).
        top_logprobs: How many alternatives to ask for (OpenAI allows at most 20).
    """

    def __init__(self, api: Any, *, top_logprobs: int = 20) -> None:
        self.api = api
        self.name = api.name
        self.top_logprobs = top_logprobs

    def request(self, messages: Sequence[ChatMessage]) -> dict[str, Any]:
        """The JSON body: one token at temperature 0 with its top alternatives."""
        from simulacra.models import GenerateConfig

        body: dict[str, Any] = self.api.build_request(
            messages, GenerateConfig(temperature=0.0, max_tokens=1)
        )
        body.update(logprobs=True, top_logprobs=self.top_logprobs)
        return body

    @staticmethod
    def parse(content: bytes, candidates: Sequence[str], name: str = "") -> dict[str, float]:
        """Candidate → log-probability from a chat completion body with ``logprobs`` (tokens
        compared without surrounding spaces; probabilities of equal ones summed)."""
        try:
            data = json.loads(content)
            first = data["choices"][0]["logprobs"]["content"][0]
            tops = first.get("top_logprobs") or [
                {"token": first["token"], "logprob": first["logprob"]}
            ]
            pairs = [(str(t["token"]).strip(), float(t["logprob"])) for t in tops]
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            raise MalformedResponseError(
                f"{name}: no logprobs in the response (does the server support logprobs?): "
                f"{content[:160]!r}"
            ) from None
        out: dict[str, float] = {}
        for c in candidates:
            probs = [math.exp(lp) for tok, lp in pairs if tok == c]
            out[c] = math.log(sum(probs)) if probs else -math.inf
        return out

    async def next_token_logprobs(
        self, messages: Sequence[ChatMessage], candidates: Sequence[str]
    ) -> dict[str, float]:
        """Log-probabilities of the candidates among the first answer token's alternatives."""
        import aiohttp

        from simulacra.models._openai import classify_http_error

        try:
            async with self.api._client().post(
                f"{self.api.base_url}/chat/completions", json=self.request(messages)
            ) as response:
                content = await response.read()
                status, headers = response.status, response.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise TransientError(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        if status >= 400:
            raise classify_http_error(
                self.name, status, headers, content.decode("utf-8", errors="replace")
            )
        return self.parse(content, candidates, self.name)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.api.aclose()


def scorer_from_spec(spec: str) -> EmbeddedScorer | OpenAIScorer:
    """A scorer for a model spec: ``embedded:<tier>``/``gguf:<path>`` (in-process) or
    ``openai:<model>`` (a server that returns ``logprobs``).

    Raises:
        ConfigError: For another kind of spec.
    """
    if spec.startswith(("embedded:", "gguf:")):
        return EmbeddedScorer.from_spec(spec)
    if spec.startswith("openai:"):
        from simulacra.models import OpenAICompatibleAPI, build_api, parse_model_spec

        api = build_api(parse_model_spec(spec))
        if not isinstance(api, OpenAICompatibleAPI):  # pragma: no cover - by construction
            raise ConfigError(f"{spec!r} is not an OpenAI-compatible model")
        return OpenAIScorer(api)
    raise ConfigError(
        f"token log-probabilities need embedded:<tier>, gguf:<path> or openai:<model>, got {spec!r}"
    )
