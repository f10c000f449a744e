from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from simulacra.evaluation._reliability import (
    cohen_kappa,
    compare_pair,
    ensemble,
    fleiss_kappa,
    krippendorff_alpha,
    position_bias,
)
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.testing import function_model

PAIRS = [
    ("hi", "Hello! Nice to meet you, what brings you here?"),
    ("The hotel is in the north, 3 stars, with parking.", "ok"),
    ("sure", "Sure, I booked it for Friday at 7pm."),
    ("I don't know.", "It is about a family that moves to the countryside."),
]


def _always_a(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    return json.dumps({"explanation": "A reads better.", "better": "A"})


def _longer(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    text = messages[0].content
    a = text.split("Response A: ")[1].split("\n")[0]
    b = text.split("Response B: ")[1].split("\n")[0]
    return json.dumps({"explanation": "longer", "better": "A" if len(a) > len(b) else "B"})


async def test_position_bias_of_a_judge_that_always_prefers_a() -> None:
    model = function_model(_always_a)
    verdicts = [await compare_pair(model, context=["User: hi"], x=x, y=y) for x, y in PAIRS]
    report = position_bias(verdicts)
    assert report.n == 4
    assert report.flip_rate.value == 1.0
    assert report.first_position_win_rate.value == 1.0
    assert all(v.winner == "tie" for v in verdicts)


async def test_an_order_consistent_judge_shows_no_bias() -> None:
    model = function_model(_longer)
    verdicts = [await compare_pair(model, context=[], x=x, y=y) for x, y in PAIRS]
    report = position_bias(verdicts)
    assert report.flip_rate.value == 0.0
    assert report.first_position_win_rate.value == 0.5
    assert [v.winner for v in verdicts] == ["y", "x", "y", "y"]


async def test_unparseable_pairwise_answer_is_left_out() -> None:
    verdict = await compare_pair(function_model(lambda m, c: "A!"), context=[], x="a", y="b")
    assert verdict.forward is None and verdict.winner is None
    assert position_bias([verdict]).n == 0


def test_fleiss_kappa_worked_example() -> None:
    # Fleiss (1971) as worked on Wikipedia: 10 subjects, 14 raters, 5 categories -> 0.210.
    table = [
        [0, 0, 0, 0, 14],
        [0, 2, 6, 4, 2],
        [0, 0, 3, 5, 6],
        [0, 3, 9, 2, 0],
        [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0],
        [3, 2, 6, 3, 0],
        [2, 5, 3, 2, 2],
        [6, 5, 2, 1, 0],
        [0, 2, 2, 3, 7],
    ]
    labels = [[c for c, count in enumerate(row) for _ in range(count)] for row in table]
    assert fleiss_kappa(labels) == pytest.approx(0.210, abs=5e-4)
    assert fleiss_kappa([[1, 1], [2, 2]]) == 1.0
    with pytest.raises(ValueError):
        fleiss_kappa([[1, 2], [1]])


def test_cohen_kappa_worked_example() -> None:
    # Wikipedia: 50 proposals, yes/yes 20, yes/no 5, no/yes 10, no/no 15 -> kappa 0.4.
    a = ["y"] * 25 + ["n"] * 25
    b = ["y"] * 20 + ["n"] * 5 + ["y"] * 10 + ["n"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_krippendorff_alpha_worked_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability": 4 coders, 12 units,
    # nominal data with missing values -> alpha = 0.743.
    n = None
    data = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, n, n, n],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, n, 3],
        [n, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, n],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, n],
    ]
    assert krippendorff_alpha(data, level="nominal") == pytest.approx(0.743, abs=5e-4)


def test_ensemble_agreement() -> None:
    same = ensemble({"a": [1, 2, 3, 4, 5], "b": [1, 2, 3, 4, 5]})
    assert same.alpha_interval == pytest.approx(1.0)
    assert same.mean_pairwise_kappa == pytest.approx(1.0)
    mixed = ensemble({"a": [1, 2, 3, 4, 5], "b": [5, 4, 3, 2, 1], "c": [1, None, 3, 4, 5]})
    assert mixed.alpha_interval < 0.5
    assert mixed.scores[1] == pytest.approx(3.0)
    with pytest.raises(ValueError):
        ensemble({"a": [1, 2]})
