"""The calibrated judge: ridge fit, leave-one-group-out and the calibration file round trip
(issue #19, item 3)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation._calibrate import (
    FEATURES,
    centred_ranks,
    fit_calibration,
    leave_one_group_out,
    load_calibrations,
    save_calibrations,
)
from simulacra.evaluation._calibrate_cv import k_fold_within_groups
from simulacra.evaluation._correlation import spearman


def _data(seed: int = 0) -> tuple[list[dict[str, float]], list[float], list[str]]:
    """Two sets on different human scales; the human score follows ``pmi`` minus ``fed`` noise."""
    rng = random.Random(seed)
    rows, humans, groups = [], [], []
    for group, scale in (("a", 5.0), ("b", 1.0)):
        for _ in range(40):
            row = {f: rng.gauss(0, 1) for f in FEATURES}
            rows.append(row)
            humans.append(scale * (2 * row["pmi"] - row["fed"]) + rng.gauss(0, 0.3))
            groups.append(group)
    return rows, humans, groups


def test_centred_ranks() -> None:
    assert centred_ranks([10.0, 30.0, 20.0, 20.0]) == pytest.approx([-0.375, 0.375, 0.0, 0.0])


def test_fit_recovers_the_signal_and_ignores_noise_features() -> None:
    rows, humans, groups = _data()
    cal = fit_calibration(rows, humans, groups, level="turn", alpha=1.0)
    w = dict(zip(cal.features, cal.weights, strict=True))
    assert w["pmi"] > 0 > w["fed"]
    assert abs(w["pmi"]) > 3 * max(abs(w[f]) for f in FEATURES if f not in ("pmi", "fed"))
    rho = spearman(cal.predict(rows), humans)
    assert rho is not None and rho > 0.8
    assert cal.groups == {"a": 40, "b": 40} and cal.n == 80 and cal.rubric == "engagement"


def test_leave_one_group_out_predicts_each_set_from_the_other() -> None:
    rows, humans, groups = _data()
    lodo = leave_one_group_out(rows, humans, groups, level="turn")
    assert set(lodo) == {"a", "b"} and len(lodo["a"]) == 40
    rho = spearman(lodo["b"], humans[40:])
    assert rho is not None and rho > 0.7
    # a set predicted by a model that never saw it: refitting without it changes nothing
    only_a = fit_calibration(rows[:40], humans[:40], groups[:40], level="turn")
    assert lodo["b"] == pytest.approx(only_a.predict(rows[40:]))


def test_k_fold_within_groups_predicts_each_fold_from_the_rest_of_its_own_set() -> None:
    rows, humans, groups = _data()
    within = k_fold_within_groups(rows, humans, groups, level="turn", k=4, seed=3)
    assert set(within) == {"a", "b"} and len(within["a"]) == len(within["b"]) == 40
    for g, lo in (("a", 0), ("b", 40)):
        rho = spearman(within[g], humans[lo : lo + 40])
        assert rho is not None and rho > 0.8
    # each prediction comes from a model that never saw the item's rating, nor any rating of
    # another set: changing them leaves the prediction as it was
    for j in (0, 17, 39):
        changed = list(humans)
        changed[40 + j] = -1000.0
        changed[:40] = [-h for h in changed[:40]]
        assert k_fold_within_groups(rows, changed, groups, level="turn", k=4, seed=3)["b"][
            j
        ] == pytest.approx(within["b"][j])
    # and it does come from the rest of its set: changing all of those moves it
    flipped = humans[:40] + [-h for h in humans[40:]]
    assert k_fold_within_groups(rows, flipped, groups, level="turn", k=4, seed=3)["b"][
        0
    ] != pytest.approx(within["b"][0])


def test_k_fold_within_groups_does_not_leak_on_noise() -> None:
    rng = random.Random(7)
    rows = [{f: rng.gauss(0, 1) for f in FEATURES} for _ in range(40)]
    humans = [rng.gauss(0, 1) for _ in range(40)]
    groups = ["noise"] * 40
    in_sample = spearman(
        fit_calibration(rows, humans, groups, level="turn", alpha=0.1).predict(rows), humans
    )
    out_of_fold = spearman(
        k_fold_within_groups(rows, humans, groups, level="turn", alpha=0.1)["noise"], humans
    )
    assert in_sample is not None and out_of_fold is not None
    assert in_sample > 0.3 and out_of_fold < in_sample - 0.3


def test_k_fold_within_groups_skips_small_sets_and_refuses_k_below_2() -> None:
    rows, humans, groups = _data()
    small = k_fold_within_groups(rows[:7], humans[:7], groups[:7], level="turn", k=5)
    assert small == {}
    with pytest.raises(ConfigError, match="k >= 2"):
        k_fold_within_groups(rows, humans, groups, level="turn", k=1)


def test_calibration_file_round_trip(tmp_path: Path) -> None:
    rows, humans, groups = _data()
    turn = fit_calibration(rows, humans, groups, level="turn")
    dialogue = fit_calibration(rows[:30], humans[:30], groups[:30], level="dialogue")
    path = save_calibrations(
        tmp_path / "c" / "cal.json",
        {"turn": turn, "dialogue": dialogue},
        model="embedded:tiny",
        card={"what": "test"},
    )
    model, levels = load_calibrations(path)
    assert model == "embedded:tiny"
    assert levels["turn"] == turn and levels["dialogue"] == dialogue
    assert levels["turn"].predict(rows[:5]) == pytest.approx(turn.predict(rows[:5]))
    data = json.loads(path.read_text())
    assert data["card"] == {"what": "test"} and data["followups"] == "followups/fed@1"
    assert not list(path.parent.glob(".*tmp"))


def test_bad_calibration_files_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="calibration file not found"):
        load_calibrations(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "other"}')
    with pytest.raises(ConfigError, match="not a calibration file"):
        load_calibrations(bad)


def test_fit_needs_matching_lengths_and_enough_rows() -> None:
    rows, humans, groups = _data()
    with pytest.raises(ValueError, match="one human score"):
        fit_calibration(rows, humans[:-1], groups, level="turn")
    with pytest.raises(ValueError, match="too few"):
        fit_calibration(rows[:2], humans[:2], groups[:2], level="turn")


def test_the_shipped_calibration_loads_with_its_data_card() -> None:
    from simulacra.evaluation._calibrate import _package_file

    model, levels = load_calibrations()
    assert model == "embedded:default"
    assert set(levels) == {"turn", "dialogue"}
    assert levels["turn"].features == FEATURES and levels["turn"].rubric == "engagement"
    assert levels["dialogue"].rubric == "satisfaction"
    card = json.loads(_package_file().read_text())["card"]
    for key in (
        "training_sets",
        "licences",
        "spearman_per_set",
        "mean_spearman_over_sets",
        "caveats",
    ):
        assert card[key]
    assert set(levels["turn"].groups) == {
        "pe-dailydialog",
        "pe-convai",
        "ab-redial-turn",
        "topical-chat-turn",
    }
