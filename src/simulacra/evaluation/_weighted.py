"""Probability-weighted judging (G-Eval, Liu et al., 2023): the score is the expectation of the
scale under the judge's own next-token probabilities, not one sampled integer.

:class:`WeightedRubricJudge` asks, per rubric dimension, for only the integer and reads the
probabilities of the scale values as the first answer token (:class:`~simulacra.evaluation.
_logprob.TokenScorer`). With ``p_v`` the probability of value ``v`` renormalised over the scale,
the dimension's score is ``Σ v·p_v``; its entropy ``-Σ p_v log p_v`` (nats; 0 = certain,
``log K`` = uniform over ``K`` values) is recorded as the judge's confidence, with the mass the
model put on scale tokens at all. Explain-then-score stays :class:`~simulacra.evaluation.
RubricJudge`.

:func:`compare_weighted` compares two responses from ``P(A)`` and ``P(B)`` in both orders:
``p_x = (P_fwd(x) + P_swp(x)) / 2`` with each order renormalised over {A, B}. Swapping ``x`` and
``y`` gives exactly ``1 - p_x``, so a verdict cannot flip on position alone; the judge's position
preference is reported beside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from simulacra.errors import ModelError
from simulacra.evaluation._judge import JudgeItem, Verdict
from simulacra.evaluation._logprob import TokenScorer
from simulacra.evaluation._rubric import Rubric
from simulacra.models import ChatMessage

__all__ = [
    "WEIGHTED_PAIR_REF",
    "WeightedPair",
    "WeightedRubricJudge",
    "compare_weighted",
    "expected_score",
]

WEIGHTED_PAIR_REF = "prompt/pairwise_weighted@1"


def expected_score(logprobs: dict[int, float]) -> tuple[float, float, float]:
    """``(expectation, entropy, mass)`` of scale value → log-probability.

    The probabilities are renormalised over the values given; ``mass`` is their sum before.

    Raises:
        ValueError: If no value has any probability.
    """
    probs = {v: math.exp(lp) for v, lp in logprobs.items() if lp > -math.inf}
    mass = sum(probs.values())
    if mass <= 0.0:
        raise ValueError("no probability on any scale value")
    p = {v: q / mass for v, q in probs.items()}
    expectation = sum(v * q for v, q in p.items())
    entropy = -sum(q * math.log(q) for q in p.values() if q > 0.0)
    return expectation, entropy, mass


def score_prompt(rubric: Rubric, item: JudgeItem, dimension: str) -> str:
    """The rubric's prompt for one item, asking for only the integer of one dimension."""
    response = item.response if rubric.level == "turn" else None
    text = rubric.prompt(context=list(item.context), response=response)
    head = text.rsplit("\n", 1)[0]  # the explain-then-score instruction is the last line
    lo, hi = rubric.scale.min, rubric.scale.max
    return f"{head}\nAnswer with only the {dimension} score: one integer from {lo} to {hi}."


class WeightedRubricJudge:
    """A rubric judge whose score is the probability-weighted mean of the scale.

    Args:
        scorer: The model's token log-probabilities.
        rubric: The rubric (scale values must be one token each: up to 9 for embedded models).
        name: The judge id recorded with verdicts (default ``<model>+weighted``).
        max_context: Keep at most this many (latest) context lines in the prompt.
    """

    def __init__(
        self,
        scorer: TokenScorer,
        rubric: Rubric,
        *,
        name: str | None = None,
        max_context: int | None = None,
    ) -> None:
        self.scorer = scorer
        self.rubric = rubric
        self.name = name or f"{scorer.name}+weighted"
        self.max_context = max_context

    async def judge_one(self, item: JudgeItem) -> Verdict:
        """Judge one item; a failed call is a verdict with ``error``."""
        if self.max_context is not None and len(item.context) > self.max_context:
            item = JudgeItem(**{**item.__dict__, "context": item.context[-self.max_context :]})
        values = list(range(self.rubric.scale.min, self.rubric.scale.max + 1))
        scores: dict[str, float] = {}
        details: dict[str, float] = {}
        for d in self.rubric.dimensions:
            messages = [ChatMessage(role="user", content=score_prompt(self.rubric, item, d.name))]
            try:
                lps = await self.scorer.next_token_logprobs(messages, [str(v) for v in values])
                mean, entropy, mass = expected_score({v: lps[str(v)] for v in values})
            except (ModelError, ValueError) as exc:
                return Verdict(
                    item_id=item.id,
                    judge=self.name,
                    rubric=self.rubric.ref,
                    error=f"no scale probabilities: {exc}",
                    conversation_id=item.conversation_id,
                    turn_index=item.turn_index,
                )
            scores[d.name] = mean
            details[f"{d.name}:entropy"] = entropy
            details[f"{d.name}:mass"] = mass
        return Verdict(
            item_id=item.id,
            judge=self.name,
            rubric=self.rubric.ref,
            scores=scores,
            details=details,
            conversation_id=item.conversation_id,
            turn_index=item.turn_index,
        )

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Judge items one after another."""
        return [await self.judge_one(item) for item in items]


@dataclass(frozen=True)
class WeightedPair:
    """A position-symmetric pairwise verdict.

    Attributes:
        p_x: Probability that ``x`` is better, averaged over both orders.
        forward: ``P(A)`` with ``x`` shown as A (renormalised over A and B).
        swapped: ``P(A)`` with ``y`` shown as A.
        tie_margin: ``|p_x - 0.5|`` at or under this is a tie.
    """

    p_x: float
    forward: float
    swapped: float
    tie_margin: float = 0.05

    @property
    def winner(self) -> str:
        """``"x"``, ``"y"`` or ``"tie"``."""
        if abs(self.p_x - 0.5) <= self.tie_margin:
            return "tie"
        return "x" if self.p_x > 0.5 else "y"

    @property
    def first_position_preference(self) -> float:
        """Mean probability given to whatever is shown first (0.5: no position bias)."""
        return (self.forward + self.swapped) / 2


def _pair_prompt(context: Sequence[str], a: str, b: str, criterion: str) -> str:
    return "\n".join(
        [
            f"Which response is better? Criterion: {criterion}",
            "",
            "Conversation so far:",
            *(context or ["(nothing yet)"]),
            "",
            f"Response A: {a}",
            f"Response B: {b}",
            "",
            "Answer with only the letter of the better response: A or B.",
        ]
    )


async def _p_first(scorer: TokenScorer, context: Sequence[str], a: str, b: str, crit: str) -> float:
    msg = ChatMessage(role="user", content=_pair_prompt(context, a, b, crit))
    lps = await scorer.next_token_logprobs([msg], ["A", "B"])
    pa, pb = math.exp(lps["A"]), math.exp(lps["B"])
    if pa + pb <= 0.0:
        raise ValueError("no probability on A or B")
    return pa / (pa + pb)


async def compare_weighted(
    scorer: TokenScorer,
    *,
    context: Sequence[str],
    x: str,
    y: str,
    criterion: str = "which reply a user would rather get",
    tie_margin: float = 0.05,
) -> WeightedPair:
    """Compare ``x`` and ``y`` from the judge's probabilities in both orders.

    Raises:
        ModelError: If a call fails.
        ValueError: If the model puts no probability on A or B.
    """
    forward = await _p_first(scorer, context, x, y, criterion)
    swapped = await _p_first(scorer, context, y, x, criterion)
    p_x = (forward + (1.0 - swapped)) / 2
    return WeightedPair(p_x=p_x, forward=forward, swapped=swapped, tie_margin=tie_margin)
