"""Judges: an LLM judge driven by a rubric, and a cheap non-LLM baseline (survey §6.2, E.2).

:class:`RubricJudge` asks for explain-then-score JSON constrained to the rubric's schema, and on
an unparseable answer asks again (``retries`` times) with the parse error quoted. An answer that
stays unparseable, or a failed call, is a :class:`Verdict` with ``error`` — data, never raised.

:class:`BaselineJudge` scores a response from features — its length, a question back, and the
MiniLM cosine similarity (or, without embeddings, word overlap) between context and response —
with fixed weights, fitted on nothing, so that every LLM judge can be compared with something
cheap. :func:`judge_run` judges an existing run directory and writes ``judgments.jsonl`` into it
atomically, keeping verdicts of other judges/rubrics already there.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from simulacra.conversation import Conversation
from simulacra.errors import ModelError
from simulacra.evaluation._metrics import _is_user
from simulacra.evaluation._rubric import Rubric
from simulacra.models import ChatMessage, GenerateConfig, Model

__all__ = [
    "JUDGMENTS_FILE",
    "BaselineJudge",
    "Judge",
    "JudgeItem",
    "RubricJudge",
    "Verdict",
    "conversation_items",
    "judge_run",
    "parse_scores",
]

JUDGMENTS_FILE = "judgments.jsonl"


@dataclass(frozen=True)
class JudgeItem:
    """One thing to judge: a response in its context (turn level) or a whole conversation.

    Attributes:
        id: Unique id (``<conversation>:<turn>`` or ``<conversation>``).
        context: ``"Speaker: text"`` lines (the conversation so far, or all of it).
        response: The judged response; ``None`` at dialogue level.
        conversation_id: The conversation it comes from.
        turn_index: The judged turn (turn level).
    """

    id: str
    context: tuple[str, ...]
    response: str | None = None
    conversation_id: str | None = None
    turn_index: int | None = None


@dataclass(frozen=True)
class Verdict:
    """A judge's verdict on one item, with who judged it by which rubric.

    Attributes:
        item_id: The judged item.
        judge: The judge's id (model name, or ``baseline/features@1``).
        rubric: The rubric's ``rubric/<id>@<version>`` (``None`` for the baseline).
        scores: Dimension → score.
        explanation: The judge's explanation (before its scores).
        attempts: Calls made (1 + parse retries).
        error: Why there are no scores, if there are none.
        conversation_id: The conversation of the item.
        turn_index: The judged turn (turn level).
        details: Numbers behind the scores (a probability-weighted judge's ``<dim>:entropy``
            and ``<dim>:mass``; a calibrated judge's features).
    """

    item_id: str
    judge: str
    rubric: str | None
    scores: dict[str, float] = field(default_factory=dict)
    explanation: str = ""
    attempts: int = 1
    error: str | None = None
    conversation_id: str | None = None
    turn_index: int | None = None
    details: dict[str, float] = field(default_factory=dict)

    @property
    def overall(self) -> float | None:
        """The mean of the dimension scores, or ``None`` without scores."""
        return statistics.fmean(self.scores.values()) if self.scores else None


class Judge(Protocol):
    """Anything that turns items into verdicts."""

    name: str

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """One verdict per item, in order."""
        ...


def parse_scores(text: str, rubric: Rubric) -> tuple[dict[str, float], str]:
    """Read a judge answer: ``(scores, explanation)``.

    Raises:
        ValueError: If it is not a JSON object with a string ``explanation`` and an integer
            within the scale for every dimension.
    """
    match = re.search(r"\{.*\}", text, re.DOTALL)
    try:
        data = json.loads(match.group(0) if match else text, strict=False)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    explanation = data.get("explanation")
    if not isinstance(explanation, str):
        raise ValueError("'explanation' is missing or not a string")
    scores: dict[str, float] = {}
    lo, hi = rubric.scale.min, rubric.scale.max
    for d in rubric.dimensions:
        value = data.get(d.name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise ValueError(f"{d.name!r} is missing or not an integer")
        if not lo <= value <= hi:
            raise ValueError(f"{d.name!r} = {value} is outside {lo}-{hi}")
        scores[d.name] = float(value)
    return scores, explanation.strip()


class RubricJudge:
    """An LLM judge: one schema-constrained, explain-then-score call per item.

    Args:
        model: The judge model.
        rubric: The rubric (see :func:`~simulacra.evaluation.load_rubric`).
        retries: Extra calls after an unparseable answer (the error is quoted back).
        config: Generation options on top of the schema (default ``temperature=0``,
            ``max_tokens=120``).
        explanation_chars: Bound on the explanation (a small model must reach the scores).
        name: The judge id recorded with verdicts (default: the model's name).
    """

    def __init__(
        self,
        model: Model,
        rubric: Rubric,
        *,
        retries: int = 2,
        config: GenerateConfig | None = None,
        explanation_chars: int = 160,
        name: str | None = None,
    ) -> None:
        self.model = model
        self.rubric = rubric
        self.retries = retries
        self.name = name or model.name
        self.config = GenerateConfig(
            json_schema=rubric.answer_schema(explanation_chars=explanation_chars),
            temperature=0.0,
            max_tokens=120,
        ).merged(config)

    async def judge_one(self, item: JudgeItem) -> Verdict:
        """Judge one item."""
        base = Verdict(
            item_id=item.id,
            judge=self.name,
            rubric=self.rubric.ref,
            conversation_id=item.conversation_id,
            turn_index=item.turn_index,
        )
        response = item.response if self.rubric.level == "turn" else None
        messages = [
            ChatMessage(
                role="user",
                content=self.rubric.prompt(context=list(item.context), response=response),
            )
        ]
        error = ""
        for attempt in range(1, self.retries + 2):
            try:
                output = await self.model.generate(
                    messages, config=self.config, templates=[self.rubric.ref]
                )
            except ModelError as exc:
                return _replace(base, attempts=attempt, error=f"judge call failed: {exc}")
            try:
                scores, explanation = parse_scores(output.text, self.rubric)
            except ValueError as exc:
                error = f"unparseable judge answer: {exc}"
                messages = [
                    *messages,
                    ChatMessage(role="assistant", content=output.text),
                    ChatMessage(
                        role="user",
                        content=f"That answer is invalid ({exc}). Answer again with only the "
                        "JSON object.",
                    ),
                ]
                continue
            return _replace(base, scores=scores, explanation=explanation, attempts=attempt)
        return _replace(base, attempts=self.retries + 1, error=error)

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Judge items one after another (the model wrapper bounds concurrency)."""
        return [await self.judge_one(item) for item in items]


def _replace(v: Verdict, **changes: object) -> Verdict:
    from dataclasses import replace

    return replace(v, **changes)  # type: ignore[arg-type]


_CONTENT = re.compile(r"[a-z0-9']+")


def _words(text: str) -> set[str]:
    return {w for w in _CONTENT.findall(text.lower()) if len(w) > 2}


def _last_text(context: Sequence[str]) -> str:
    if not context:
        return ""
    line = context[-1]
    return line.split(":", 1)[1] if ":" in line[:40] else line


class BaselineJudge:
    """A non-LLM judge: fixed-weight features of a response and its context.

    ``score = log(1 + min(words, 40)) + 2 * similarity + 0.5 * asks_back`` where similarity is
    the MiniLM cosine between the last context turn and the response (``embeddings=True``) or
    their content-word Jaccard overlap. A dialogue is scored as the mean over its consecutive
    turn pairs. The weights are set by hand, fitted on no ratings.

    Args:
        embeddings: Use the packaged all-MiniLM-L6-v2 (extra ``embeddings``).
    """

    name = "baseline/features@1"

    def __init__(self, *, embeddings: bool = True) -> None:
        self.embeddings = embeddings
        if embeddings:
            self.name = "baseline/features+minilm@1"

    def _pairs(self, item: JudgeItem) -> list[tuple[str, str]]:
        if item.response is not None:
            return [(_last_text(item.context), item.response)]
        texts = [_last_text([line]) for line in item.context]
        return list(itertools.pairwise(texts)) or [("", texts[0] if texts else "")]

    def score(self, items: Sequence[JudgeItem]) -> list[float]:
        """One score per item (higher = better)."""
        pairs = [self._pairs(item) for item in items]
        flat = [p for ps in pairs for p in ps]
        if self.embeddings and flat:
            from simulacra.memory import load_embedding_model

            model = load_embedding_model()
            a = model.encode([c for c, _ in flat], normalize_embeddings=True, batch_size=64)
            b = model.encode([r for _, r in flat], normalize_embeddings=True, batch_size=64)
            sims = [float((x * y).sum()) for x, y in zip(a, b, strict=True)]
        else:
            sims = []
            for c, r in flat:
                wc, wr = _words(c), _words(r)
                sims.append(len(wc & wr) / len(wc | wr) if wc | wr else 0.0)
        values = [
            math.log1p(min(len(r.split()), 40)) + 2 * s + 0.5 * ("?" in r)
            for (_, r), s in zip(flat, sims, strict=True)
        ]
        out, i = [], 0
        for ps in pairs:
            out.append(statistics.fmean(values[i : i + len(ps)]))
            i += len(ps)
        return out

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Verdicts with one dimension, ``score``."""
        return [
            Verdict(
                item_id=item.id,
                judge=self.name,
                rubric=None,
                scores={"score": s},
                conversation_id=item.conversation_id,
                turn_index=item.turn_index,
            )
            for item, s in zip(items, self.score(items), strict=True)
        ]


def conversation_items(
    conversations: Iterable[Conversation],
    *,
    level: Literal["turn", "dialogue"],
    side: Literal["user", "target"] = "target",
    context_turns: int = 6,
) -> list[JudgeItem]:
    """Items of conversations: each turn of ``side`` in its context, or each conversation."""
    items: list[JudgeItem] = []
    for c in conversations:
        names = {p.id: p.name for p in c.participants}
        users = _is_user(c)
        lines = [f"{names.get(t.speaker, t.speaker)}: {t.utterance}" for t in c.turns]
        if level == "dialogue":
            items.append(JudgeItem(id=c.id, context=tuple(lines), conversation_id=c.id))
            continue
        for i, t in enumerate(c.turns):
            if (t.speaker in users) != (side == "user") or (i == 0 and side == "target"):
                continue
            items.append(
                JudgeItem(
                    id=f"{c.id}:{i}",
                    context=tuple(lines[max(0, i - context_turns) : i]),
                    response=t.utterance,
                    conversation_id=c.id,
                    turn_index=i,
                )
            )
    return items


def judge_run(run_dir: str | Path, verdicts: Sequence[Verdict]) -> Path:
    """Write verdicts into ``<run_dir>/judgments.jsonl`` atomically (temp file + rename).

    Verdicts already there from another judge or rubric are kept; those of the same
    judge and rubric are replaced.
    """
    path = Path(run_dir) / JUDGMENTS_FILE
    replaced = {(v.judge, v.rubric) for v in verdicts}
    kept: list[str] = []
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            old = json.loads(line)
            if (old.get("judge"), old.get("rubric")) not in replaced:
                kept.append(line)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for line in kept:
            f.write(line + "\n")
        for v in verdicts:
            f.write(json.dumps(asdict(v), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
