from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from scipy import stats

from simulacra.errors import ConfigError
from simulacra.evaluation._judge import JudgeItem
from simulacra.evaluation._meta import correlate, meta_evaluate
from simulacra.evaluation._ratings import (
    RatedItem,
    read_ab_redial,
    read_predictive_engagement,
    read_ratings,
)


def _synthetic(rho: float, n: int, seed: int = 1) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    xs, ys = [], []
    for _ in range(n):
        a, b = rng.gauss(0, 1), rng.gauss(0, 1)
        xs.append(a)
        ys.append(rho * a + (1 - rho * rho) ** 0.5 * b)
    return xs, ys


def test_correlations_recover_a_known_correlation() -> None:
    xs, ys = _synthetic(0.6, 3000)
    pearson = correlate(xs, ys, method="pearson", resamples=300)
    assert pearson is not None
    assert pearson.low < 0.6 < pearson.high
    assert pearson.value == pytest.approx(stats.pearsonr(xs, ys)[0])
    spearman = correlate(xs, ys, method="spearman", resamples=300)
    kendall = correlate(xs, ys, method="kendall", resamples=100)
    assert spearman is not None and kendall is not None
    assert spearman.value == pytest.approx(stats.spearmanr(xs, ys)[0])
    # for a bivariate normal, Kendall's tau = 2/pi * arcsin(rho)
    assert kendall.value == pytest.approx(0.4097, abs=0.03)
    assert correlate([1, 1, 1], [1, 2, 3]) is None


def test_meta_evaluate_levels_and_unscored() -> None:
    rated = [
        RatedItem(
            item=JudgeItem(id=str(i), context=(), response="r", conversation_id=f"d{i // 2}"),
            human=float(i),
            level="turn",
            system=f"s{i % 3}",
        )
        for i in range(12)
    ]
    scores: list[float | None] = [float(i) for i in range(12)]
    scores[5] = None
    report = meta_evaluate(rated, scores, judge="j", resamples=100)
    assert report.n_items == 12 and report.n_unscored == 1
    turn = report.levels["turn"]["spearman"]
    assert turn is not None and turn.value == pytest.approx(1.0) and turn.n == 11
    dialogue = report.levels["dialogue (mean of turns)"]["pearson"]
    assert dialogue is not None and dialogue.n == 6
    assert report.levels["system"]["spearman"] is not None
    json.dumps(report.to_dict())


def test_generic_ratings_with_mapping(tmp_path: Path) -> None:
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("uid,reply,ctx,rating,sys\n1,hello,A: hi ||| B: yo,4,x\n2,bye,,2,y\n")
    rated = read_ratings(
        csv_path,
        mapping={
            "id": "uid",
            "response": "reply",
            "context": "ctx",
            "score": "rating",
            "system": "sys",
        },
    )
    assert [r.human for r in rated] == [4.0, 2.0]
    assert rated[0].item.context == ("A: hi", "B: yo") and rated[0].system == "x"
    jsonl = tmp_path / "r.jsonl"
    jsonl.write_text(json.dumps({"response": "x", "context": ["A: q"], "score": 1}) + "\n")
    assert read_ratings(jsonl)[0].item.context == ("A: q",)
    with pytest.raises(ConfigError, match=r"column 'rating' .*not found"):
        read_ratings(jsonl, mapping={"score": "rating"})
    with pytest.raises(ConfigError, match="not found"):
        read_ratings(tmp_path / "missing.csv")


def test_predictive_engagement_adapter_reads_real_data(shared_data: Path) -> None:
    root = shared_data / "predictive-engagement"
    dd = read_predictive_engagement(root)
    # 1,800 rows = 600 query/response pairs x 3 annotators, averaged per pair
    assert len(dd) == 600 and all(r.annotators == 3 for r in dd)
    assert dd[0].item.context == ("A: how long will it take us to drive to London ?",)
    assert dd[0].item.response == "Not really ." and dd[0].human == pytest.approx(5 / 3)
    assert all(1 <= r.human <= 5 for r in dd)
    convai = read_predictive_engagement(root, subset="convai")
    assert len(convai) == 297 and sum(r.human for r in convai) == 95
    assert convai[13].item.response.startswith("Yeah , I do , but rarely have time")


def test_ab_redial_adapter_reads_real_data(shared_data: Path) -> None:
    root = shared_data / "ab-redial-satisfaction"
    turns = read_ab_redial(root)
    assert len(turns) == 600
    first = turns[0]
    assert first.item.id == "86:1" and first.item.response == 'Have you seen "The Witch  (2015)" ?'
    assert first.item.context == (
        "System: Hi Any genre you love?",
        "User: I love horror Any recommendations?",
    )
    assert first.annotators == 3 and first.human == pytest.approx(14 / 3)
    dialogues = read_ab_redial(root, level="dialogue")
    assert len(dialogues) == 195
    km = next(r for r in dialogues if r.item.id == "KM")
    assert km.annotators == 4 and km.item.context[0] == "System: Hi. How are you today?"
    assert all(1 <= r.human <= 5 for r in dialogues)
