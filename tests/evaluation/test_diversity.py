"""Population diversity: distinct-n (jackknife interval), self-BLEU, embedding dispersion,
behavioural spread and entropy, persona effects; the CLI."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import pytest
import sacrebleu

from simulacra.conversation import TerminationReason
from simulacra.evaluation import diversity_report, load_population
from simulacra.evaluation._diversity import self_bleu
from simulacra.evaluation._metrics import compute_metrics, distinct_n
from simulacra.evaluation._vectors import embed
from tests._cli import run_cli
from tests.evaluation._convs import conversation

WORDS = [f"w{i}" for i in range(300)]
WEIGHTS = [1 / (i + 1) for i in range(300)]


def _synthetic(rng: random.Random) -> list[str]:
    return [" ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(4, 12))) for _ in range(3)]


def test_distinct_n_values_and_jackknife_coverage() -> None:
    est = distinct_n([["a b a"], ["a c"]], 1)
    assert est.value == pytest.approx(3 / 5) and est.n == 2
    rng = random.Random(0)
    truth = [distinct_n([_synthetic(rng) for _ in range(25)], 2).value for _ in range(300)]
    mean, sd = statistics.fmean(truth), statistics.stdev(truth)
    covered, widths = 0, []
    for _ in range(60):
        e = distinct_n([_synthetic(rng) for _ in range(25)], 2)
        covered += e.low <= mean <= e.high
        widths.append(e.high - e.low)
    assert covered >= 51  # >= 85% of nominal 95% intervals cover the true mean
    assert statistics.fmean(widths) < 2 * 3.92 * sd  # and they are not wide for it


def test_compute_metrics_reports_distinct_with_its_interval() -> None:
    convs = [
        conversation(["hello there", "hi", "book a room"], id="a"),
        conversation(["hello again", "hi", "cancel it now"], id="b"),
        conversation(["a quiet room please"], id="c"),
    ]
    report = compute_metrics(convs, metrics=["distinct"])
    d2 = report.values["distinct_2"]
    assert d2.n == 3 and d2.low <= d2.value <= d2.high
    assert report.points["distinct_2"] == d2.value


def test_self_bleu_is_sacrebleus_multi_reference_bleu() -> None:
    texts = ["the cat sat on the mat", "the cat sat on a hat", "dogs run fast in parks"]
    scores = self_bleu(texts)
    expected = sacrebleu.sentence_bleu(texts[0], [texts[1], texts[2]]).score
    assert scores[0] == pytest.approx(expected)
    assert self_bleu(["same words here", "same words here"]) == pytest.approx([100.0, 100.0])


def _population(lines: list[list[str]], **kw: object) -> list:  # type: ignore[type-arg]
    return [conversation(ls, id=f"c{i}", **kw) for i, ls in enumerate(lines)]  # type: ignore[arg-type]


def test_clones_are_less_diverse_than_varied_users() -> None:
    clones = _population([["I want a cheap hotel in the north", "ok", "book it"]] * 6)
    varied = _population(
        [
            ["I want a cheap hotel in the north", "ok", "book it"],
            ["Is there a train to London on Friday?", "yes", "two tickets"],
            ["my parcel never arrived and I am furious", "sorry", "refund now"],
            ["what museums are free to visit", "several", "the nearest one"],
            ["cancel my gym membership please", "why", "moving abroad"],
            ["need a taxi to the station at 5pm", "sure", "thanks a lot"],
        ]
    )
    a = diversity_report(clones, encoder="tfidf", resamples=200)
    b = diversity_report(varied, encoder="tfidf", resamples=200)
    assert a.encoder == b.encoder == "tfidf:word-1-2gram"
    assert a.values["self_bleu"].value == pytest.approx(100.0)
    assert a.values["dispersion_conversations"].value == pytest.approx(0.0, abs=1e-6)
    assert b.values["dispersion_conversations"].value > 0.5
    assert b.values["distinct_2"].value > a.values["distinct_2"].value
    for e in b.values.values():
        assert e.low <= e.value + 1e-9 and e.value <= e.high + 1e-9 and e.n == 6


def test_dispersion_equals_brute_force_pairwise_distance() -> None:
    convs = _population(
        [["red apples", "x", "green pears"], ["blue sky", "x", "grey clouds"], ["red sky"]]
    )
    report = diversity_report(convs, encoder="tfidf", resamples=50)
    turns = ["red apples", "green pears", "blue sky", "grey clouds", "red sky"]
    owner = [0, 0, 1, 1, 2]
    vectors, _ = embed(turns, encoder="tfidf")
    pairs = [
        1 - float(vectors[i] @ vectors[j])
        for i in range(5)
        for j in range(5)
        if owner[i] != owner[j]
    ]
    assert report.values["dispersion_turns"].value == pytest.approx(statistics.fmean(pairs))


def test_behaviour_entropy_and_persona_effect() -> None:
    convs = []
    for i in range(8):
        long = i % 2 == 0
        c = conversation(
            ["word " * (30 if long else 3), "ok", "more " * (30 if long else 3)],
            id=f"c{i}",
            profile="verbose" if long else "terse",
        )
        c.ended_by = "user" if i < 4 else "bot"
        c.termination = TerminationReason.USER_STOP if i < 4 else TerminationReason.TARGET_STOP
        convs.append(c)
    report = diversity_report(convs, encoder="tfidf", resamples=200)
    assert report.values["entropy_ended_by"].value == pytest.approx(1.0)
    assert report.distributions["ended_by"] == {"user": 4, "target": 4}
    assert report.between_personas["words_per_turn"].value == pytest.approx(1.0)
    assert "user_turns" not in report.between_personas  # constant: no variance to explain
    assert "entropy_acts" in report.skipped


def test_real_multiwoz_users_with_minilm(shared_data: Path) -> None:
    population = load_population(
        shared_data / "multiwoz21" / "val.json.zip", limit=12, domains=["hotel"]
    )
    report = diversity_report(population.conversations, encoder="auto", resamples=200)
    assert report.encoder == "minilm:all-MiniLM-L6-v2"
    assert report.n_conversations == 12
    assert report.values["entropy_acts"].value > 0.5  # real turns carry dialogue acts
    assert 0 < report.values["dispersion_turns"].value < 1
    assert report.distributions["ended_by"] == {"target": 12}


def test_cli_compares_populations_and_writes_json(tmp_path: Path, shared_data: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "config": {}}))
    convs = _population([["a cheap hotel", "ok", "book it"], ["train to London", "ok", "two"]])
    (run / "conversations.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in convs))
    out = tmp_path / "div.json"
    corpus = shared_data / "multiwoz21" / "val.json.zip"
    args = ["eval", "diversity", str(run), str(corpus), "--limit", "5", "--domains", "hotel"]
    result = run_cli([*args, "--encoder", "tfidf", "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "self_bleu" in result.stdout and "|" in result.stdout
    data = json.loads(out.read_text())
    assert [r["n_conversations"] for r in data["reports"]] == [2, 5]
    bad = run_cli(["eval", "diversity", str(tmp_path / "nope"), "-o", str(out)], tmp_path)
    assert bad.returncode == 2 and "not found" in bad.stderr and len(bad.stderr.splitlines()) == 1
