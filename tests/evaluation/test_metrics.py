from __future__ import annotations

import math

import pytest
import sacrebleu
from rouge_score import rouge_scorer

from simulacra.errors import ConfigError
from simulacra.evaluation._metrics import (
    bleu,
    chrf,
    compute_metrics,
    exact_match,
    fact_f1,
    facts_mentioned,
    pass_hat_k,
    resolve_metrics,
    rouge_l,
)
from tests.evaluation._convs import conversation

HYP = "I would like a cheap hotel in the north of town, please."
REF = "I want a cheap hotel in the north part of the town."


def test_lexical_metrics_equal_the_reference_libraries() -> None:
    assert bleu(HYP, REF) == sacrebleu.sentence_bleu(HYP, [REF]).score
    assert chrf(HYP, REF) == sacrebleu.sentence_chrf(HYP, [REF]).score
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    assert rouge_l(HYP, REF) == scorer.score(REF, HYP)["rougeL"].fmeasure
    assert 0 < bleu(HYP, REF) < 100


def test_exact_match_and_facts() -> None:
    assert exact_match("Hello, World!", "hello world")
    assert not exact_match("hello", "hello world")
    assert facts_mentioned("A cheap hotel in the North.", ["cheap", "north", "parking"]) == [
        "cheap",
        "north",
    ]
    p, r, f = fact_f1(["cheap", "north"], ["cheap", "north", "parking"])
    assert (p, r) == (1.0, 2 / 3)
    assert f == pytest.approx(0.8)
    assert fact_f1([], []) == (1.0, 1.0, 1.0)
    assert fact_f1(["x"], []) == (0.0, 0.0, 0.0)


def test_pass_hat_k_hand_computed() -> None:
    # task a: 3 of 4 succeed; task b: 4 of 4; task c: 1 of 4.
    trials = {
        "a": [True, True, True, False],
        "b": [True] * 4,
        "c": [True, False, False, False],
    }
    assert pass_hat_k(trials, 1) == pytest.approx((0.75 + 1 + 0.25) / 3)
    # C(3,2)/C(4,2) = 0.5 ; 1 ; 0
    assert pass_hat_k(trials, 2) == pytest.approx(0.5)
    # k = n: only tasks where every trial succeeded count
    assert pass_hat_k(trials, 4) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no task has 5 trials"):
        pass_hat_k(trials, 5)


def test_compute_metrics_over_conversations() -> None:
    convs = [
        conversation([HYP, "Sure.", "Thanks"], id="c1", epoch=0),
        conversation(["Hi", "Hello"], id="c2", epoch=1, goal=False),
        conversation(["Book it", "Done", "Bye", "Bye"], id="c3", scenario="s2", epoch=0),
        conversation(["Book", "Done"], id="c4", scenario="s2", epoch=1),
    ]
    report = compute_metrics(
        convs,
        metrics=["all"],
        references={"c1": REF},
        facts={"s2": ["book"]},
        k=(1, 2, 3),
        resamples=200,
    )
    v = report.values
    assert v["turns"].value == pytest.approx((3 + 2 + 4 + 2) / 4)
    assert v["turns"].n == 4
    assert v["user_turns"].value == pytest.approx((2 + 1 + 2 + 1) / 4)
    assert v["success"].value == pytest.approx(0.75)
    assert v["pass^1"].value == pytest.approx((0.5 + 1.0) / 2)
    assert v["pass^2"].value == pytest.approx((0.0 + 1.0) / 2)
    assert "pass^3" in report.skipped
    assert (
        report.per_conversation["c1"]["bleu"]
        == sacrebleu.sentence_bleu(f"{HYP}\nThanks", [REF]).score
    )
    assert report.points["corpus_bleu"] == sacrebleu.corpus_bleu([f"{HYP}\nThanks"], [[REF]]).score
    assert report.points["corpus_chrf"] == sacrebleu.corpus_chrf([f"{HYP}\nThanks"], [[REF]]).score
    assert (
        report.per_conversation["c1"]["chrf"]
        == sacrebleu.sentence_chrf(f"{HYP}\nThanks", [REF]).score
    )
    assert v["fact_f1"].value == 1.0 and v["fact_f1"].n == 2
    assert v["bleu"].low <= v["bleu"].value <= v["bleu"].high
    assert 0 < report.points["distinct_1"] <= 1
    assert not math.isnan(v["user_words_per_turn"].value)


def test_custom_checks_and_missing_references() -> None:
    convs = [conversation(["hi", "ok"], id="a"), conversation(["bye", "ok"], id="b")]
    report = compute_metrics(
        convs,
        metrics=["success", "bleu"],
        checks={"says_hi": lambda c: "hi" in c.turns[0].utterance},
    )
    assert report.values["success"].value == 0.5
    assert report.values["check:says_hi"].value == 0.5
    assert "bleu" in report.skipped


def test_unknown_metric_suggests() -> None:
    with pytest.raises(ConfigError, match="did you mean 'rouge_l'"):
        resolve_metrics(["rouge"])
    assert resolve_metrics(["bleu,chrf", "bleu"]) == ("bleu", "chrf")


def test_peer_corpora_count_only_the_declared_user() -> None:
    """Both sides of a CaSiNo-style dialogue are human: the declared user alone is the user side."""
    from simulacra import ParticipantInfo, ParticipantKind
    from simulacra.evaluation._metrics import side_text

    peer = conversation(["one two three", "four five", "six"], id="c1").model_copy(
        update={
            "participants": [
                ParticipantInfo(id="user", name="A", kind=ParticipantKind.HUMAN),
                ParticipantInfo(id="bot", name="B", kind=ParticipantKind.HUMAN),
            ],
        }
    )
    assert side_text(peer) == ["one two three", "four five", "six"]  # undeclared: both sides
    peer.metadata["user_participant"] = "user"
    assert side_text(peer) == ["one two three", "six"]
    assert side_text(peer, "target") == ["four five"]
