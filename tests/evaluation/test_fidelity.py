"""The Sim2Real fidelity report."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.datasets._multiwoz import MultiWOZDialogue, multiwoz_dialogues
from simulacra.errors import ConfigError
from simulacra.evaluation._fidelity import fidelity_report
from simulacra.evaluation._fidelity_measures import (
    _Dialogue,
    _distinct,
    _diversity,
    _from_corpus,
    _Side,
    _words,
)
from simulacra.evaluation._stats import Estimate, _percentiles
from simulacra.scenarios import format_acts
from tests._cli import run_cli
from tests.evaluation._convs import conversation


def _real(shared_data: Path, limit: int = 160) -> list[MultiWOZDialogue]:
    path = shared_data / "multiwoz21" / "val.json.zip"
    return list(multiwoz_dialogues(path, with_turns=True, limit=limit))


def _as_simulated(d: MultiWOZDialogue, scenario: str) -> Conversation:
    """A real dialogue dressed as a simulated one (acts in the user turns' metadata)."""
    return Conversation(
        id=d.id,
        scenario_id=scenario,
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="bot", name="Bot", kind=ParticipantKind.AI_SYSTEM),
        ],
        turns=[
            Turn(speaker="user", utterance=t.text, metadata={"acts": format_acts(t.acts)})
            if t.speaker == "user"
            else Turn(speaker="bot", utterance=t.text)
            for t in d.turns
        ],
    )


def test_two_halves_of_real_users_are_indistinguishable(shared_data: Path) -> None:
    dialogues = _real(shared_data)
    random.Random(3).shuffle(dialogues)
    half = len(dialogues) // 2
    simulated = [_as_simulated(d, f"other:{d.id}") for d in dialogues[:half]]
    report = fidelity_report(simulated, dialogues[half:], resamples=100)
    assert not report.paired and report.n_reference == len(dialogues) - half
    auc = report.distinguishability.auc
    # near chance; not exactly 0.5: two random halves of 160 dialogues differ in domain mix
    assert 0.4 < auc.value < 0.6 and auc.low < 0.55 and auc.high > 0.5, auc
    assert report.comparisons["turn_length_words"].value.value < 0.1
    assert report.comparisons["user_turns_per_dialogue"].value.value < 0.2
    assert report.comparisons["dialogue_acts"].value.value < 0.02
    assert report.comparisons["ended_by"].value.value == pytest.approx(0.0, abs=1e-9)
    assert abs(report.comparisons["distinct_1"].value.value) < 0.02


def test_a_corpus_tokeniser_s_spacing_does_not_tell_users_apart(shared_data: Path) -> None:
    """MultiWOZ's user turns are tokenised ("4 stars ."); the same people typing "4 stars."
    must not look like another population (the classifier compares texts as typed)."""
    import dataclasses

    from simulacra.evaluation._fidelity_classifier import surface_text

    dialogues = _real(shared_data)
    random.Random(3).shuffle(dialogues)
    half = len(dialogues) // 2
    typed = [
        dataclasses.replace(
            d, turns=tuple(dataclasses.replace(t, text=surface_text(t.text)) for t in d.turns)
        )
        for d in dialogues[:half]
    ]
    assert sum(" ." in t.text for d in dialogues[half:] for t in d.turns) > 100
    assert not any(" ." in t.text for d in typed for t in d.turns)
    simulated = [_as_simulated(d, f"other:{d.id}") for d in typed]
    auc = fidelity_report(simulated, dialogues[half:], resamples=100).distinguishability.auc
    assert 0.4 < auc.value < 0.6, auc
    assert surface_text("i do n't need a 4 star hotel , thanks .") == (
        "i don't need a 4 star hotel, thanks."
    )


def test_templated_users_are_told_apart(shared_data: Path) -> None:
    dialogues = _real(shared_data, limit=80)
    templates = ["I need a {} please.", "Can you book it for {}?", "Thanks, goodbye."]
    rng = random.Random(0)
    simulated = []
    for i, d in enumerate(dialogues[:40]):
        lines = []
        for t in templates:
            lines += [t.format(rng.choice(["monday", "two people", "a hotel"])), "Sure."]
        simulated.append(conversation(lines[:-1], id=f"c{i}", scenario=f"multiwoz:{d.id}"))
    report = fidelity_report(simulated, dialogues, resamples=100)
    assert report.paired and report.n_paired == 40 and report.n_reference == 40
    assert report.distinguishability.auc.value > 0.9
    assert report.distinguishability.auc.low > 0.8
    assert report.comparisons["turn_length_words"].value.value > 0.3
    assert report.comparisons["ended_by"].value.value > 0.5  # the user ends every templated one
    assert report.comparisons["distinct_2"].value.value < -0.1
    assert "dialogue_acts" in report.skipped  # templated turns carry no acts
    json.dumps(report.to_dict())


def test_pairing_uses_only_the_goals_simulated(shared_data: Path) -> None:
    dialogues = _real(shared_data, limit=60)
    simulated = [_as_simulated(d, f"multiwoz:{d.id}") for d in dialogues[:12]]
    simulated.append(_as_simulated(dialogues[0], "multiwoz:not-a-dialogue"))
    report = fidelity_report(simulated, dialogues, resamples=20)
    assert report.paired and report.n_paired == 12 and report.n_reference == 12
    # the same dialogues on both sides: identical length distributions
    assert report.comparisons["user_turns_per_dialogue"].value.value <= 1 / 12


def test_too_few_turns_is_a_config_error(shared_data: Path) -> None:
    dialogues = _real(shared_data, limit=20)
    short = [conversation(["hi", "hello"], id="c1")]
    with pytest.raises(ConfigError, match="at least 10 user turns"):
        fidelity_report(short, dialogues)


def _run_dir(tmp_path: Path, conversations: list[Conversation]) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"name": "t"}))
    (run / "conversations.jsonl").write_text(
        "".join(c.model_dump_json() + "\n" for c in conversations)
    )
    return run


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, shared_data: Path) -> None:
    ref = shared_data / "multiwoz21" / "val.json.zip"
    out = tmp_path / "report.json"
    result = run_cli(["fidelity", str(tmp_path / "nope"), "--reference", str(ref)], tmp_path)
    assert result.returncode == 2 and "run directory not found" in result.stderr
    run = _run_dir(tmp_path, [conversation(["hi", "hello"], id="c1")])
    missing = tmp_path / "missing.zip"
    result = run_cli(["fidelity", str(run), "--reference", str(missing), "-o", str(out)], tmp_path)
    assert result.returncode == 2 and "reference not found" in result.stderr
    result = run_cli(["fidelity", str(run), "--reference", str(ref), "-o", str(out)], tmp_path)
    assert result.returncode == 2 and "at least 10 user turns" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()


def test_cli_writes_the_report(tmp_path: Path, shared_data: Path) -> None:
    ref = shared_data / "multiwoz21" / "val.json.zip"
    dialogues = _real(shared_data, limit=30)
    run = _run_dir(tmp_path, [_as_simulated(d, f"multiwoz:{d.id}") for d in dialogues])
    out = tmp_path / "report.json"
    result = run_cli(["fidelity", str(run), "--reference", str(ref), "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "30 paired by goal" in result.stdout and "distinguishability AUC" in result.stdout
    data = json.loads(out.read_text())
    assert data["n_paired"] == 30 and 0.3 < data["distinguishability"]["auc"]["value"] < 0.7


def test_real_vs_real_baseline_is_near_chance_and_sized_like_the_comparison(
    shared_data: Path,
) -> None:
    dialogues = _real(shared_data, limit=200)
    rng = random.Random(0)
    templates = ["I need a {} please.", "Can you book it for {}?", "Thanks, goodbye."]
    simulated = []
    for i, d in enumerate(dialogues[:30]):
        lines = []
        for t in templates:
            lines += [t.format(rng.choice(["monday", "two people", "a hotel"])), "Sure."]
        simulated.append(conversation(lines[:-1], id=f"c{i}", scenario=f"multiwoz:{d.id}"))
    report = fidelity_report(simulated, dialogues, resamples=100)
    base = report.baseline
    assert base is not None and base.per_half == 30  # as many real dialogues as compared
    # real against real: hard to tell apart, unlike the templated users
    assert base.distinguishability.auc.value < 0.7 < report.distinguishability.auc.value
    assert base.distinguishability.auc.low < 0.5 + 0.1
    for name in ("turn_length_words", "user_turns_per_dialogue"):
        assert base.comparisons[name].value.value < report.comparisons[name].value.value
    assert json.loads(json.dumps(report.to_dict()))["baseline"]["per_half"] == 30
    assert fidelity_report(simulated, dialogues, resamples=20, baseline=False).baseline is None


def test_baseline_is_skipped_when_the_reference_cannot_be_split(shared_data: Path) -> None:
    dialogues = _real(shared_data, limit=3)
    simulated = [_as_simulated(d, f"other:{d.id}") for d in _real(shared_data, limit=10)]
    report = fidelity_report(simulated, dialogues, resamples=20)
    assert report.baseline is None  # one real dialogue per half is too few


def test_cli_prints_the_real_vs_real_column(tmp_path: Path, shared_data: Path) -> None:
    ref = shared_data / "multiwoz21" / "val.json.zip"
    dialogues = _real(shared_data, limit=12)
    run = _run_dir(tmp_path, [_as_simulated(d, f"multiwoz:{d.id}") for d in dialogues])
    out = tmp_path / "report.json"
    result = run_cli(["fidelity", str(run), "--reference", str(ref), "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "real vs real (12 + 12 dialogues)" in result.stdout
    assert "real vs real AUC" in result.stdout
    assert json.loads(out.read_text())["baseline"]["per_half"] == 12
    result = run_cli(["fidelity", str(run), "--reference", str(ref), "--no-baseline"], tmp_path)
    assert result.returncode == 0 and "real vs real" not in result.stdout


def test_fast_ks_and_auc_equal_scipy_and_sklearn() -> None:
    import numpy as np
    from scipy.stats import ks_2samp
    from sklearn.metrics import roc_auc_score

    from simulacra.evaluation._fidelity import _auc, _ks

    rng = random.Random(0)
    for _ in range(100):
        a = [float(rng.randint(0, 9)) for _ in range(rng.randint(1, 30))]
        b = [rng.random() * 9 for _ in range(rng.randint(1, 30))]
        assert _ks(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
        y = np.array([0, 1] + [rng.randint(0, 1) for _ in range(30)])
        s = np.array([rng.randint(0, 5) / 5 for _ in range(32)])  # many ties
        assert _auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def _as_peer_reference(d: MultiWOZDialogue) -> Conversation:
    """A real dialogue as an imported corpus stores it: both sides human, the user declared."""
    return Conversation(
        id=f"ref:{d.id}",
        scenario_id=f"ref:{d.id}",
        participants=[
            ParticipantInfo(id="a", name="A", kind=ParticipantKind.HUMAN),
            ParticipantInfo(id="b", name="B", kind=ParticipantKind.HUMAN),
        ],
        turns=[
            Turn(speaker="a" if t.speaker == "user" else "b", utterance=t.text) for t in d.turns
        ],
        metadata={"user_participant": "a"},
    )


def test_a_reference_run_of_real_conversations_uses_its_declared_user(shared_data: Path) -> None:
    dialogues = _real(shared_data, limit=120)
    random.Random(5).shuffle(dialogues)
    simulated = [_as_simulated(d, f"multiwoz:{d.id}") for d in dialogues[:60]]
    reference = [_as_peer_reference(d) for d in dialogues[60:]]
    report = fidelity_report(simulated, reference, resamples=100)
    # real users against real users: unpaired, near chance, same turn counts per dialogue
    assert not report.paired and report.n_reference == 60
    assert report.distinguishability.auc.value < 0.65
    assert report.comparisons["user_turns_per_dialogue"].value.value < 0.2
    # counting the wrong side (the system's turns as the user's) is told apart at once
    flipped = [c.model_copy(update={"metadata": {"user_participant": "b"}}) for c in reference]
    told = fidelity_report(simulated, flipped, resamples=100, baseline=False)
    assert told.distinguishability.auc.value > 0.8


def test_cli_takes_a_run_directory_as_the_reference(tmp_path: Path, shared_data: Path) -> None:
    val = shared_data / "multiwoz21" / "val.json.zip"
    ref = tmp_path / "real"
    imported = run_cli(
        ["data", "import", "multiwoz21", str(val), "--limit", "40", "-o", str(ref)], tmp_path
    )
    assert imported.returncode == 0, imported.stderr
    test_split = shared_data / "multiwoz21" / "test.json.zip"
    dialogues = list(multiwoz_dialogues(test_split, with_turns=True, limit=30))
    run = _run_dir(tmp_path, [_as_simulated(d, f"other:{d.id}") for d in dialogues])
    out = tmp_path / "report.json"
    result = run_cli(["fidelity", str(run), "--reference", str(ref), "-o", str(out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "30 simulated vs 40 real dialogues (unpaired" in result.stdout
    data = json.loads(out.read_text())
    assert data["n_reference"] == 40 and data["distinguishability"]["auc"]["value"] < 0.7


# --- distinct-n differences: a jackknife interval that holds its estimate -----------------------


def _population(rng: random.Random, k: int, vocab: int, turns: tuple[int, int]) -> _Side:
    """``k`` synthetic dialogues: Zipf-distributed words over ``vocab``, and in each dialogue a
    few topic words of its own (turns of one dialogue share words, as real ones do)."""
    words = [f"w{i}" for i in range(vocab)]
    weights = [1 / (i + 1) for i in range(vocab)]
    out = []
    for d in range(k):
        topic = rng.sample(words, min(6, vocab))
        texts = tuple(
            " ".join(
                rng.choice(topic) if rng.random() < 0.3 else rng.choices(words, weights)[0]
                for _ in range(rng.randint(4, 12))
            )
            for _ in range(rng.randint(*turns))
        )
        out.append(_Dialogue(f"d{d}", texts, None, None))
    return _Side(out)


def test_distinct_n_difference_interval_covers_the_true_difference() -> None:
    # (real, simulated): dialogues, vocabulary, user turns per dialogue
    Spec = tuple[tuple[int, int, tuple[int, int]], tuple[int, int, tuple[int, int]]]

    def estimate(rng: random.Random, spec: Spec, n: int, seed: int) -> Estimate:
        (kr, vr, tr), (ks, vs, ts) = spec
        real, sim = _population(rng, kr, vr, tr), _population(rng, ks, vs, ts)
        return _diversity(real, sim, n, seed=seed).value

    rng = random.Random(0)
    # the same users at unequal sizes, 3 turns each: the true difference is 0
    same: Spec = ((100, 300, (3, 3)), (20, 300, (3, 3)))
    # a narrower simulated vocabulary, dialogues of varying length: the truth by simulation
    narrow: Spec = ((60, 300, (2, 5)), (20, 120, (2, 5)))
    for spec, n in ((same, 2), (narrow, 1), (narrow, 2)):
        if spec is same:
            truth = 0.0
        else:
            truth = statistics.fmean(estimate(rng, spec, n, i).value for i in range(300))
            assert truth < -0.05  # the narrower vocabulary is less diverse
        trials = [estimate(rng, spec, n, 1000 + i) for i in range(80)]
        covered = sum(e.low <= truth <= e.high for e in trials)
        assert covered >= 72, (spec, n, covered)  # >= 90% of nominal 95% intervals
        sd = statistics.stdev(e.value for e in trials)
        assert statistics.fmean(e.high - e.low for e in trials) < 2 * 3.92 * sd  # not too wide


def test_distinct_n_interval_always_holds_its_estimate(shared_data: Path) -> None:
    rng = random.Random(1)
    for i in range(200):
        real = _population(rng, rng.randint(1, 30), rng.choice([3, 20, 300]), (1, 6))
        sim = _population(rng, rng.randint(1, 30), rng.choice([3, 20, 300]), (1, 6))
        for n in (1, 2):
            e = _diversity(real, sim, n, seed=i).value
            assert -1.0 <= e.low <= e.value <= e.high <= 1.0, (i, n, e)
    # the case: 20 real val dialogues against the 1,000 real test dialogues printed
    # distinct_2 -0.061 [-0.257, -0.109]; now the interval holds it, and 0 (real against real)
    val = _real(shared_data, limit=20)
    test_split = shared_data / "multiwoz21" / "test.json.zip"
    reference = list(multiwoz_dialogues(test_split, with_turns=True))
    simulated = [_as_simulated(d, f"other:{d.id}") for d in val]
    report = fidelity_report(simulated, reference, baseline=False)
    for name in ("distinct_1", "distinct_2"):
        e = report.comparisons[name].value
        assert e.low <= e.value <= e.high and e.low < 0 < e.high, (name, e)


def test_distinct_n_point_estimate_is_distinct_n_of_equally_many_turns() -> None:
    real = _Side(
        [
            _Dialogue("r1", ("I'd like a hotel, please.", "Yes: the cheap one!"), None, None),
            _Dialogue("r2", ("Book it for two nights", "thanks"), None, None),
        ]
    )
    sim = _Side([_Dialogue("s1", ("a hotel please", "a hotel please", "book", "ok"), None, None)])
    for n in (1, 2):
        c = _diversity(real, sim, n, seed=0)
        expected_real = _distinct([t for d in real.dialogues for t in d.user_turns], n)
        expected_sim = _distinct(list(sim.dialogues[0].user_turns), n)
        assert c.real["value"] == expected_real and c.simulated["value"] == expected_sim
        assert c.value.value == pytest.approx(expected_sim - expected_real)
        assert c.real["n"] == c.simulated["n"] == 4 and c.value.n == 8
    # the larger side is cut to as many turns, of whole dialogues: 2 turns of one dialogue
    two = _Side([_Dialogue("s2", ("a hotel please", "book"), None, None)])
    c = _diversity(real, two, 1, seed=0)
    assert c.real["n"] == 2 and c.real["value"] in (
        _distinct(list(d.user_turns), 1) for d in real.dialogues
    )


# --- the fast report computes the same numbers as the per-resample loops it replaced ------------


def test_resampled_statistics_equal_the_per_resample_loop(shared_data: Path) -> None:
    from simulacra.evaluation._fidelity_measures import _compare, _draws, _js, _ks

    dialogues = _real(shared_data, limit=40)
    real = [_from_corpus(d) for d in dialogues[:25]]
    sim = [_from_corpus(d) for d in dialogues[25:]]

    def lengths(ds: list[_Dialogue]) -> list[list[float]]:
        return [[float(len(_words(t))) for t in d.user_turns] for d in ds]

    def acts(ds: list[_Dialogue]) -> list[list[str]]:
        return [[a for turn in d.acts or () for a in turn] for d in ds]

    def ks(r: list[_Dialogue], s: list[_Dialogue]) -> float:
        return _ks([v for vs in lengths(r) for v in vs], [v for vs in lengths(s) for v in vs])

    def js(r: list[_Dialogue], s: list[_Dialogue]) -> float:
        return _js([v for vs in acts(r) for v in vs], [v for vs in acts(s) for v in vs])

    draws = _draws(len(real), len(sim), seed=3, resamples=50)
    for fast, stat in (
        (_compare("q", "ks", lengths(real), lengths(sim), draws), ks),
        (_compare("q", "js", acts(real), acts(sim), draws), js),
    ):
        rng = random.Random(3)  # the loop the report ran before: one statistic per resample
        slow = [
            stat(rng.choices(real, k=len(real)), rng.choices(sim, k=len(sim))) for _ in range(50)
        ]
        low, high = _percentiles(slow, 0.95)
        assert fast.value.value == pytest.approx(stat(real, sim), abs=1e-12)
        assert (fast.value.low, fast.value.high) == pytest.approx((low, high), abs=1e-12)


def test_bootstrap_aucs_equal_the_rank_sum_auc_of_each_resample() -> None:
    import numpy as np

    from simulacra.evaluation._fidelity_classifier import _auc, _bootstrap_aucs

    rng = random.Random(0)
    scores = np.array([rng.randint(0, 20) / 20 for _ in range(120)])  # many ties
    order = list(range(120))
    rng.shuffle(order)
    pos = [order[i : i + 4] for i in range(0, 60, 4)]
    neg = [order[i : i + 3] for i in range(60, 120, 3)]
    labels = np.zeros(120, dtype=int)
    labels[[i for ix in pos for i in ix]] = 1
    fast = _bootstrap_aucs(scores, pos, neg, random.Random(7), 250)
    slow_rng = random.Random(7)
    for value in fast:
        idx = [i for ix in slow_rng.choices(pos, k=len(pos)) for i in ix]
        idx += [i for ix in slow_rng.choices(neg, k=len(neg)) for i in ix]
        assert value == _auc(labels[idx], scores[idx])  # exactly: integer and half sums


def test_text_features_give_each_fold_the_tfidf_of_its_own_vectorisers(
    shared_data: Path,
) -> None:
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_union

    from simulacra.evaluation._fidelity_classifier import _TextFeatures, surface_text

    texts = [t.text for d in _real(shared_data, limit=30) for t in d.user_turns]
    features = _TextFeatures([*texts, "words that no fold trains on", "zebra quagga"])
    rng = random.Random(0)
    for _ in range(3):
        train = rng.sample(texts, len(texts) * 4 // 5)
        test = [t for t in texts if t not in set(train)] + ["zebra quagga"]
        union = make_union(
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
        )
        expected_train = union.fit_transform([surface_text(t) for t in train])
        expected_test = union.transform([surface_text(t) for t in test])
        got_train, got_test = features.tfidf(train, test)
        assert got_train.shape == expected_train.shape
        assert np.abs(got_train - expected_train).max() < 1e-12
        assert np.abs(got_test - expected_test).max() < 1e-12


def test_baseline_is_sized_like_the_smaller_side(shared_data: Path) -> None:
    dialogues = _real(shared_data, limit=120)
    simulated = [_as_simulated(d, f"other:{d.id}") for d in dialogues[:15]]
    report = fidelity_report(simulated, dialogues[15:], resamples=20)
    # 15 simulated against 105 real: two samples of 15 real dialogues, not halves of 105
    assert report.n_reference == 105 and report.baseline is not None
    assert report.baseline.per_half == 15
