"""Perplexity of user turns under a reference language model (survey §6, Appendix E).

Each user turn is scored by its log-probability given the conversation before it, under a GGUF
model run by llama.cpp with logits for every position (``logits_all=True``; the
:class:`~simulacra.models.EmbeddedAPI` used for generation keeps only the last position's, so
scoring loads its own context). Real and simulated dialogues are rendered identically — a
one-line header, then ``User: ...`` / ``Assistant: ...`` lines whatever the participants are
called — and only the tokens of the user's text are scored (not the ``User:`` label or the line
break), so the numbers of both sides are comparable.

The summary is the token-weighted mean negative log-likelihood (nats per token) and its
exponential, the perplexity, with a percentile-bootstrap interval that resamples dialogues
(turns of one dialogue are not independent). Perplexity is an intrinsic measure of fit to the
reference model, not of realism: a simulated user that writes bland, predictable text scores
*lower* (more "likely") than real users, whose turns are terse, typo-ridden and specific.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra.conversation import Conversation
from simulacra.errors import ConfigError, MissingExtraError, ModelNotAvailableError
from simulacra.evaluation._metrics import _is_user
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles
from simulacra.models import CATALOGUE, check_model_requests_allowed, resolve_gguf

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets import MultiWOZDialogue

__all__ = [
    "PerplexityComparison",
    "PerplexityReport",
    "ReferenceLM",
    "TurnNLL",
    "compare_perplexity",
    "perplexity",
]

HEADER = "A conversation between a user and an assistant.\n\n"
"""The text before the first turn (it gives the first turn a context)."""


@dataclass(frozen=True)
class TurnNLL:
    """The score of one user turn.

    Attributes:
        dialogue: The dialogue's id.
        turn_index: The turn's index in the dialogue.
        n_tokens: Tokens scored.
        nll: Their summed negative log-likelihood (nats).
        truncated: The preceding context (or the turn) was cut to fit the window.
    """

    dialogue: str
    turn_index: int
    n_tokens: int
    nll: float
    truncated: bool = False


class ReferenceLM:
    """A GGUF model that scores text, loaded with logits for every position.

    Args:
        path: The GGUF file.
        name: Recorded in reports.
        n_ctx: The window in tokens; longer dialogues are scored turn by turn with the most
            recent context that fits. Memory is ``n_ctx × vocabulary`` floats (1024 × 152k =
            0.6 GB for the default model).
        n_threads: CPU threads (default: all cores).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        name: str | None = None,
        n_ctx: int = 1024,
        n_threads: int | None = None,
    ) -> None:
        try:
            import llama_cpp
        except ImportError:  # pragma: no cover - depends on the environment
            raise MissingExtraError("embedded", "perplexity under an embedded model") from None
        self.path = Path(path)
        if not self.path.is_file():
            raise ModelNotAvailableError(f"{self.path}: GGUF file not found")
        self.name = name or f"gguf:{self.path}"
        check_model_requests_allowed(self.name)
        self.n_ctx = n_ctx
        self._llama_cpp = llama_cpp
        with contextlib.redirect_stderr(io.StringIO()):
            self.llm = llama_cpp.Llama(
                model_path=str(self.path),
                n_ctx=n_ctx,
                n_batch=min(512, n_ctx),
                n_threads=n_threads or os.cpu_count() or 1,
                logits_all=True,
                verbose=False,
            )
        self._label = {True: self._tokens("User:"), False: self._tokens("Assistant:")}
        self._newline = self._tokens("\n")
        self._header = self.llm.tokenize(HEADER.encode(), add_bos=True)

    @classmethod
    def from_spec(
        cls, spec: str, *, n_ctx: int = 1024, n_threads: int | None = None
    ) -> ReferenceLM:
        """``embedded:<tier>`` (the catalogue) or ``gguf:<path>``.

        Raises:
            ConfigError: For another kind of spec (a server gives no token log-probabilities
                of given text here).
        """

        prefix, _, rest = spec.partition(":")
        if prefix == "embedded" and rest in CATALOGUE:
            return cls(resolve_gguf(CATALOGUE[rest]), name=spec, n_ctx=n_ctx, n_threads=n_threads)
        if prefix == "gguf" and rest:
            return cls(Path(rest).expanduser(), name=spec, n_ctx=n_ctx, n_threads=n_threads)
        known = ", ".join(f"embedded:{t}" for t in CATALOGUE)
        raise ConfigError(f"perplexity model must be {known} or gguf:<path>, got {spec!r}")

    def _tokens(self, text: str) -> list[int]:
        return list(self.llm.tokenize(text.encode(), add_bos=False))

    def _logprobs(self, tokens: Sequence[int], spans: Sequence[tuple[int, int]]) -> list[float]:
        """Evaluate ``tokens`` once; summed log-prob of each ``[start, end)`` span."""
        import numpy as np

        self.llm.reset()  # type: ignore[no-untyped-call]
        self.llm.eval(list(tokens))
        scores = self.llm.scores
        out = []
        for start, end in spans:
            rows = np.asarray(scores[start - 1 : end - 1], dtype=np.float64)
            top = rows.max(axis=1, keepdims=True)
            lse = top[:, 0] + np.log(np.exp(rows - top).sum(axis=1))
            picked = rows[np.arange(end - start), np.asarray(tokens[start:end])]
            out.append(float((picked - lse).sum()))
        return out

    def score(self, dialogue: str, turns: Sequence[tuple[bool, str]]) -> list[TurnNLL]:
        """Score the user turns (``is_user`` True) of one dialogue, each given all before it."""
        seq = list(self._header)
        spans: list[tuple[int, int, int]] = []  # turn index, start, end
        for i, (is_user, text) in enumerate(turns):
            seq += self._label[is_user]
            words = " ".join(text.split())
            body = self._tokens(" " + words) if words else []
            if is_user and body:
                spans.append((i, len(seq), len(seq) + len(body)))
            seq += body + self._newline
        results: list[TurnNLL] = []
        fits = [s for s in spans if s[2] <= self.n_ctx]
        if fits:
            lps = self._logprobs(seq[: max(e for _, _, e in fits)], [(s, e) for _, s, e in fits])
            results += [
                TurnNLL(dialogue, i, e - s, -lp) for (i, s, e), lp in zip(fits, lps, strict=True)
            ]
        room = self.n_ctx - len(self._header)
        for i, s, e in spans:
            if e <= self.n_ctx:
                continue
            # the most recent context that fits, after the header; a turn longer than the
            # window keeps its end
            keep = seq[max(len(self._header), e - room) : e]
            window = self._header + keep
            start = max(len(window) - (e - s), len(self._header) + 1)
            (lp,) = self._logprobs(window, [(start, len(window))])
            results.append(TurnNLL(dialogue, i, len(window) - start, -lp, truncated=True))
        return sorted(results, key=lambda r: r.turn_index)

    def close(self) -> None:
        """Free the llama.cpp context."""
        close = getattr(self.llm, "close", None)
        if close is not None:
            close()


def _dialogue_turns(
    d: Conversation | MultiWOZDialogue, user_id: str | None
) -> list[tuple[bool, str]]:

    if isinstance(d, Conversation):
        users = {user_id} if user_id else _is_user(d)
        return [(t.speaker in users, t.utterance) for t in d.turns]
    return [(t.speaker == "user", t.text) for t in d.turns]


@dataclass(frozen=True)
class PerplexityReport:
    """User-turn perplexity of a set of dialogues under one reference model.

    Attributes:
        model: The reference model.
        n_dialogues: Dialogues with at least one scored user turn.
        n_turns: User turns scored.
        n_tokens: Tokens scored.
        mean_nll: Token-weighted mean negative log-likelihood (nats/token), bootstrap over
            dialogues; ``n`` = dialogues.
        perplexity: ``exp(mean_nll)`` with the exponentiated interval.
        truncated_turns: Turns scored with a shortened context.
        turns: Every turn's score.
    """

    model: str
    n_dialogues: int
    n_turns: int
    n_tokens: int
    mean_nll: Estimate
    perplexity: Estimate
    truncated_turns: int
    turns: tuple[TurnNLL, ...]

    def to_dict(self, *, with_turns: bool = False) -> dict[str, object]:
        """A JSON-ready dictionary."""
        data: dict[str, object] = {
            "model": self.model,
            "n_dialogues": self.n_dialogues,
            "n_turns": self.n_turns,
            "n_tokens": self.n_tokens,
            "mean_nll": _estimate_dict(self.mean_nll),
            "perplexity": _estimate_dict(self.perplexity),
            "truncated_turns": self.truncated_turns,
        }
        if with_turns:
            data["turns"] = [t.__dict__ for t in self.turns]
        return data


def _groups(turns: Sequence[TurnNLL]) -> list[tuple[float, int]]:
    by: dict[str, list[float]] = {}
    for t in turns:
        g = by.setdefault(t.dialogue, [0.0, 0.0])
        g[0] += t.nll
        g[1] += t.n_tokens
    return [(nll, int(n)) for nll, n in by.values()]


def _ratio(groups: Sequence[tuple[float, int]]) -> float:
    return sum(g[0] for g in groups) / max(1, sum(g[1] for g in groups))


def perplexity(
    dialogues: Sequence[Conversation | MultiWOZDialogue],
    lm: ReferenceLM,
    *,
    user_id: str | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> PerplexityReport:
    """Score the user turns of dialogues (run conversations or MultiWOZ dialogues read with
    turns) and summarise them.

    Args:
        dialogues: The dialogues.
        lm: The reference model.
        user_id: The user's participant id in conversations (default: every simulated or real
            human participant).
        resamples: Bootstrap resamples (over dialogues).
        seed: Seeds the bootstrap.

    Raises:
        ConfigError: If no user turn has any token.
    """
    turns: list[TurnNLL] = []
    for d in dialogues:
        turns += lm.score(d.id, _dialogue_turns(d, user_id))
    groups = _groups(turns)
    if not groups:
        raise ConfigError("no user turns to score")
    value = _ratio(groups)
    rng = random.Random(seed)
    boots = [_ratio(rng.choices(groups, k=len(groups))) for _ in range(resamples)]
    low, high = _percentiles(boots, 0.95) if boots else (math.nan, math.nan)
    nll = Estimate(value, low, high, 0.95, len(groups))
    return PerplexityReport(
        model=lm.name,
        n_dialogues=len(groups),
        n_turns=len(turns),
        n_tokens=sum(t.n_tokens for t in turns),
        mean_nll=nll,
        perplexity=Estimate(math.exp(value), math.exp(low), math.exp(high), 0.95, len(groups)),
        truncated_turns=sum(t.truncated for t in turns),
        turns=tuple(turns),
    )


@dataclass(frozen=True)
class PerplexityComparison:
    """Simulated against real user turns under the same model.

    Attributes:
        simulated: The simulated side.
        real: The real side.
        nll_difference: ``mean_nll(simulated) - mean_nll(real)`` (nats/token), bootstrap over
            dialogues on each side; negative = the simulated users are more predictable.
        perplexity_ratio: ``exp`` of the difference (simulated / real perplexity).
    """

    simulated: PerplexityReport
    real: PerplexityReport
    nll_difference: Estimate
    perplexity_ratio: Estimate

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary."""
        return {
            "simulated": self.simulated.to_dict(),
            "real": self.real.to_dict(),
            "nll_difference": _estimate_dict(self.nll_difference),
            "perplexity_ratio": _estimate_dict(self.perplexity_ratio),
        }


def compare_perplexity(
    simulated: PerplexityReport, real: PerplexityReport, *, resamples: int = 1000, seed: int = 0
) -> PerplexityComparison:
    """The difference of the two sides' mean NLL with a bootstrap interval."""
    gs, gr = _groups(simulated.turns), _groups(real.turns)
    rng = random.Random(seed)
    diffs = [
        _ratio(rng.choices(gs, k=len(gs))) - _ratio(rng.choices(gr, k=len(gr)))
        for _ in range(resamples)
    ]
    value = simulated.mean_nll.value - real.mean_nll.value
    low, high = _percentiles(diffs, 0.95) if diffs else (math.nan, math.nan)
    n = len(gs) + len(gr)
    return PerplexityComparison(
        simulated,
        real,
        Estimate(value, low, high, 0.95, n),
        Estimate(math.exp(value), math.exp(low), math.exp(high), 0.95, n),
    )
