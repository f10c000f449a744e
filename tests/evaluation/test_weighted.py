"""Probability-weighted rubric scores and position-symmetric pairwise verdicts (issue #19,
item 1), on a scripted scorer with known token log-probabilities."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence

import pytest

from simulacra.errors import TransientError
from simulacra.evaluation import JudgeItem, load_rubric
from simulacra.evaluation._weighted import (
    WeightedRubricJudge,
    compare_weighted,
    expected_score,
    score_prompt,
)
from simulacra.models import ChatMessage


class Scripted:
    """Answers every prompt with fixed next-token probabilities (by a rule on the prompt)."""

    name = "scripted"

    def __init__(self, rule: object) -> None:
        self.rule = rule
        self.prompts: list[str] = []

    async def next_token_logprobs(
        self, messages: Sequence[ChatMessage], candidates: Sequence[str]
    ) -> dict[str, float]:
        self.prompts.append(messages[-1].content)
        probs = self.rule(messages[-1].content)  # type: ignore[operator]
        return {c: math.log(probs[c]) if probs.get(c, 0) > 0 else -math.inf for c in candidates}


ITEM = JudgeItem(id="a", context=("A: Do you like games?",), response="Yes, chess. You?")


def test_expected_score_is_the_expectation_over_the_scale_with_its_entropy() -> None:
    mean, entropy, mass = expected_score({1: math.log(0.1), 2: math.log(0.1), 3: math.log(0.3)})
    # renormalised over the values given: 0.2, 0.2, 0.6
    assert mean == pytest.approx(1 * 0.2 + 2 * 0.2 + 3 * 0.6)
    assert entropy == pytest.approx(-(2 * 0.2 * math.log(0.2) + 0.6 * math.log(0.6)))
    assert mass == pytest.approx(0.5)
    certain = expected_score({1: -math.inf, 4: 0.0})
    assert certain == (4.0, 0.0, 1.0)
    with pytest.raises(ValueError, match="no probability"):
        expected_score({1: -math.inf, 2: -math.inf})


def test_weighted_judge_scores_the_expectation_not_the_most_likely_value() -> None:
    probs = {"1": 0.0, "2": 0.0, "3": 0.4, "4": 0.3, "5": 0.3}  # argmax 3, expectation 3.9
    scorer = Scripted(lambda _: probs)
    rubric = load_rubric("engagement")
    (v,) = asyncio.run(WeightedRubricJudge(scorer, rubric).judge([ITEM]))
    assert v.error is None
    assert v.scores == {"engagement": pytest.approx(3 * 0.4 + 4 * 0.3 + 5 * 0.3)}
    expected_h = -(0.4 * math.log(0.4) + 2 * 0.3 * math.log(0.3))
    assert v.details["engagement:entropy"] == pytest.approx(expected_h)
    assert v.details["engagement:mass"] == pytest.approx(1.0)
    assert v.rubric == rubric.ref and v.judge == "scripted+weighted"
    # the prompt asks for only the integer of the dimension, with the item in it
    assert scorer.prompts[0] == score_prompt(rubric, ITEM, "engagement")
    assert scorer.prompts[0].endswith("one integer from 1 to 5.")
    assert "Yes, chess. You?" in scorer.prompts[0]
    assert '"explanation"' not in scorer.prompts[0].splitlines()[-1]


def test_weighted_judge_without_scale_probability_or_failing_call_is_an_unscored_verdict() -> None:
    none = Scripted(lambda _: {"x": 1.0})
    (v,) = asyncio.run(WeightedRubricJudge(none, load_rubric("engagement")).judge([ITEM]))
    assert v.overall is None and v.error is not None and "no probability" in v.error

    def boom(_: str) -> dict[str, float]:
        raise TransientError("server down")

    (w,) = asyncio.run(WeightedRubricJudge(Scripted(boom), load_rubric("engagement")).judge([ITEM]))
    assert w.overall is None and w.error is not None and "server down" in w.error


def _biased(p_first: float, prefer: str) -> Scripted:
    """Prefers the response containing ``prefer`` a little, and position A a lot."""

    def rule(prompt: str) -> dict[str, float]:
        a = prompt.split("Response A: ", 1)[1].split("\n", 1)[0]
        pa = p_first + (0.1 if prefer in a else -0.1)
        return {"A": pa, "B": 1 - pa}

    return Scripted(rule)


def test_pairwise_verdict_is_position_symmetric() -> None:
    scorer = _biased(0.7, "chess")
    kw = {"context": ["A: Do you like games?"]}
    xy = asyncio.run(compare_weighted(scorer, x="I play chess.", y="No.", **kw))
    yx = asyncio.run(compare_weighted(scorer, x="No.", y="I play chess.", **kw))
    # forward P(A) = 0.8 (chess shown first), swapped P(A) = 0.6: p_x = (0.8 + 0.4) / 2
    assert xy.p_x == pytest.approx(0.6)
    assert yx.p_x == pytest.approx(1 - xy.p_x)
    assert xy.winner == "x" and yx.winner == "y"  # the same response wins in both orders
    assert xy.first_position_preference == pytest.approx(0.7)  # the bias is reported, not used


def test_pure_position_bias_gives_a_tie_not_a_flip() -> None:
    always_a = Scripted(lambda _: {"A": 0.9, "B": 0.1})
    v = asyncio.run(compare_weighted(always_a, context=[], x="one", y="two"))
    assert v.p_x == pytest.approx(0.5) and v.winner == "tie"
    assert v.first_position_preference == pytest.approx(0.9)
