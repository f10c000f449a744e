"""Length-bias statistics against hand-computed values (issue #19, item 4)."""

from __future__ import annotations

import math

import pytest

from simulacra.evaluation import JudgeItem
from simulacra.evaluation._correlation import spearman
from simulacra.evaluation._length_bias import (
    debias_length,
    item_length,
    length_bias,
    partial_spearman,
)

# judge, human, length for 5 items
JUDGE = [1.0, 2.0, 3.0, 4.0, 5.0]
HUMAN = [2.0, 1.0, 4.0, 3.0, 5.0]
LENGTH = [10.0, 30.0, 20.0, 50.0, 40.0]


def test_partial_spearman_matches_the_hand_computed_value() -> None:
    # ranks: judge 1..5, human 2 1 4 3 5, length 1 3 2 5 4; Spearman = 1 - 6 Σd² / (n(n²-1))
    r_jh = 1 - 6 * (1 + 1 + 1 + 1 + 0) / 120  # 0.8
    r_jl = 1 - 6 * (0 + 1 + 1 + 1 + 1) / 120  # 0.8
    r_hl = 1 - 6 * (1 + 4 + 4 + 4 + 1) / 120  # 0.3
    assert spearman(JUDGE, HUMAN) == pytest.approx(r_jh)
    assert spearman(JUDGE, LENGTH) == pytest.approx(r_jl)
    assert spearman(HUMAN, LENGTH) == pytest.approx(r_hl)
    expected = (0.8 - 0.8 * 0.3) / math.sqrt((1 - 0.64) * (1 - 0.09))
    assert partial_spearman(JUDGE, HUMAN, LENGTH) == pytest.approx(expected)  # 0.9786


def test_length_bias_report_and_flag() -> None:
    lb = length_bias([*JUDGE, None], [*HUMAN, 9.0], [*LENGTH, 1.0], resamples=200)
    assert lb.n == 5  # the unscored item is left out
    assert lb.judge_length is not None and lb.judge_length.value == pytest.approx(0.8)
    assert lb.human_length is not None and lb.human_length.value == pytest.approx(0.3)
    assert lb.judge_human is not None and lb.judge_human.value == pytest.approx(0.8)
    assert lb.partial is not None
    assert lb.partial.value == pytest.approx(0.56 / math.sqrt(0.36 * 0.91))
    assert lb.partial.low <= lb.partial.value <= lb.partial.high
    assert lb.over_uses_length is True
    d = lb.to_dict()
    assert d["judge_over_uses_length"] is True and d["n"] == 5


def test_partial_is_undefined_when_length_decides_everything() -> None:
    assert partial_spearman([1, 2, 3], [3, 1, 2], [1, 2, 3]) is None  # judge == length ranks


def test_debias_length_removes_the_rank_trend() -> None:
    out = debias_length([*JUDGE, None], [*LENGTH, 7.0])
    assert out[-1] is None
    kept = [v for v in out if v is not None]
    # residuals of rank(judge) on rank(length): slope 0.8 on ranks centred at 3
    rl = [1, 3, 2, 5, 4]
    assert kept == pytest.approx(
        [(j - 3) - 0.8 * (r - 3) for j, r in zip(range(1, 6), rl, strict=True)]
    )
    # no linear rank trend left
    assert sum(k * (r - 3) for k, r in zip(kept, rl, strict=True)) == pytest.approx(0.0)


def test_item_length_counts_the_response_or_the_whole_dialogue() -> None:
    assert item_length(JudgeItem(id="t", context=("A: hi",), response="one two three")) == 3
    d = JudgeItem(id="d", context=("User: hello there", "System: hi, how can I help"))
    assert item_length(d) == 2 + 5
