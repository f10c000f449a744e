"""Agreement statistics and win rates against values computed by hand or from the literature,
and on the real multi-annotator ratings shipped in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation._agreement import agreement, win_rates
from simulacra.evaluation._rating_tables import (
    ab_redial_table,
    engagement_study,
    engagement_table,
)


def _table(columns: dict[str, list[object]]) -> dict[str, dict[str, object]]:
    """Annotator → values per item (``None``: not rated) into item → annotator → value."""
    n = len(next(iter(columns.values())))
    return {f"i{k}": {a: vs[k] for a, vs in columns.items() if vs[k] is not None} for k in range(n)}


def test_cohen_kappa_two_annotators_by_hand() -> None:
    # 10 items, labels yes/no:          B yes  B no
    #                            A yes    4      1
    #                            A no     1      4
    # p_o = 8/10 = 0.8; p_e = 0.5*0.5 + 0.5*0.5 = 0.5; kappa = (0.8 - 0.5) / (1 - 0.5) = 0.6.
    a = ["y", "y", "y", "y", "y", "n", "n", "n", "n", "n"]
    b = ["y", "y", "y", "y", "n", "y", "n", "n", "n", "n"]
    report = agreement(_table({"a": a, "b": b}), level="nominal", resamples=200)
    assert report.cohen_kappa is not None
    assert report.cohen_kappa.value == pytest.approx(0.6)
    assert report.cohen_kappa.n == 10
    assert report.cohen_kappa.low <= 0.6 <= report.cohen_kappa.high
    assert report.percent_agreement is not None
    assert report.percent_agreement.value == pytest.approx(0.8)
    assert report.within_one is None and report.cohen_kappa_quadratic is None  # nominal
    # Fleiss' kappa with two raters on the same table (pooled marginals 0.5/0.5): also 0.6.
    assert report.fleiss_kappa is not None and report.fleiss_kappa.value == pytest.approx(0.6)


def test_krippendorff_alpha_nominal_by_hand() -> None:
    # Two coders, three units: (a, a), (a, b), (b, b).
    # Coincidences: o_aa = 2, o_ab = o_ba = 1, o_bb = 2; n_a = n_b = 3, n = 6.
    # D_o = (o_ab + o_ba) / n = 2/6; D_e = 2 * n_a * n_b / (n (n - 1)) = 18/30;
    # alpha = 1 - D_o / D_e = 1 - (1/3) / (3/5) = 4/9.
    report = agreement(
        _table({"c1": ["a", "a", "b"], "c2": ["a", "b", "b"]}), level="nominal", resamples=100
    )
    assert report.alpha is not None and report.alpha.value == pytest.approx(4 / 9)


def test_krippendorff_alpha_literature_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers,
    # 12 units, missing values; alpha = 0.743 (nominal) and 0.849 (interval).
    columns: dict[str, list[object]] = {
        "A": [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
        "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
        "C": [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
        "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
    }
    table = _table(columns)  # unit 12 has one value: not pairable, left out
    nominal = agreement(table, level="nominal", resamples=100)
    interval = agreement(table, level="interval", resamples=100)
    assert nominal.alpha is not None and interval.alpha is not None
    assert nominal.alpha.value == pytest.approx(0.743, abs=5e-4)
    assert interval.alpha.value == pytest.approx(0.849, abs=5e-4)
    assert nominal.n_items == 11 and nominal.annotators == 4


def test_fleiss_kappa_literature_example() -> None:
    # Fleiss (1971) worked example as reproduced on Wikipedia ("Fleiss' kappa"): 10 subjects,
    # 14 raters each, 5 categories; P-bar = 0.378, P_e = 0.213, kappa = 0.210.
    counts = [
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
    table = {}
    for i, row in enumerate(counts):
        labels = [cat for cat, n in enumerate(row, start=1) for _ in range(n)]
        table[f"s{i}"] = {f"r{k}": label for k, label in enumerate(labels)}
    report = agreement(table, level="nominal", resamples=200)
    assert report.fleiss_kappa is not None
    assert report.fleiss_kappa.value == pytest.approx(0.210, abs=1e-3)
    assert (report.fleiss_items, report.fleiss_raters) == (10, 14)
    assert report.cohen_kappa is None  # 14 annotators: no two-annotator kappa


def test_pairwise_agreement_by_hand() -> None:
    # Item 1: (3, 3, 4) -> pairs 33 34 34: 1 of 3 exact, 3 of 3 within one.
    # Item 2: (1, 5)    -> 0 of 1 exact, 0 of 1 within one.
    # Pooled: exact 1/4, within one 3/4.
    table = {"x": {"a": 3, "b": 3, "c": 4}, "y": {"a": 1, "c": 5}, "z": {"b": 2}}
    report = agreement(table, level="ordinal", resamples=200)
    assert report.n_items == 2  # z has one rating
    assert report.percent_agreement is not None and report.within_one is not None
    assert report.percent_agreement.value == pytest.approx(1 / 4)
    assert report.within_one.value == pytest.approx(3 / 4)


def test_bootstrap_is_seeded_and_bad_tables_fail() -> None:
    table = {f"i{k}": {"a": k % 3 + 1, "b": (k * 7) % 3 + 1, "c": k % 2 + 1} for k in range(30)}
    one = agreement(table, level="ordinal", resamples=300, seed=5)
    two = agreement(table, level="ordinal", resamples=300, seed=5)
    assert one == two
    assert one.alpha is not None and one.alpha.low <= one.alpha.value <= one.alpha.high
    with pytest.raises(ValueError, match="at least 2 items"):
        agreement({"i": {"a": 1, "b": 2}}, level="ordinal")
    with pytest.raises(ValueError, match="not a number"):
        agreement({"i": {"a": "A", "b": "B"}, "j": {"a": "A", "b": "A"}}, level="ordinal")


def test_win_rates_by_hand() -> None:
    # Item p1: alpha shown as A; choices A, A, tie -> alpha 1 + 1 + 0.5.
    # Item p2: alpha shown as B; choices A, B      -> alpha 0 + 1.
    # alpha: 3.5 / 5 = 0.7 (3 wins, 1 loss, 1 tie); beta: 1.5 / 5 = 0.3.
    # Shown-as-A chosen: 3 of the 4 non-tie choices.
    table = {"p1": {"u": "A", "v": "A", "w": "tie"}, "p2": {"u": "A", "v": "B"}}
    sides = {"p1": ("alpha", "beta"), "p2": ("beta", "alpha")}
    report = win_rates(table, sides, resamples=200)
    alpha = report.systems["alpha"]
    assert (alpha["wins"], alpha["losses"], alpha["ties"]) == (3, 1, 1)
    assert alpha["win_rate"].value == pytest.approx(0.7)  # type: ignore[union-attr]
    assert report.systems["beta"]["win_rate"].value == pytest.approx(0.3)  # type: ignore[union-attr]
    assert report.first_shown is not None and report.first_shown.value == pytest.approx(0.75)
    assert (report.n_items, report.n_ratings) == (2, 5)


def test_real_engagement_ratings(shared_data: Path) -> None:
    # PredictiveEngagement's AMT sheet: 300 DailyDialog responses x 3 workers, 24 workers.
    table = engagement_table(shared_data / "predictive-engagement")
    assert len(table) == 300 and {len(v) for v in table.values()} == {3}
    assert len({w for row in table.values() for w in row}) == 24
    report = agreement(table, level="ordinal", resamples=200)
    assert report.alpha is not None and report.fleiss_kappa is not None
    assert 0.4 < report.alpha.value < 0.7  # moderate agreement, not chance and not perfect
    assert report.alpha.low < report.alpha.value < report.alpha.high


def test_real_ab_redial_ratings(shared_data: Path) -> None:
    table = ab_redial_table(shared_data / "ab-redial-satisfaction", level="dialogue")
    assert len(table) > 150
    assert all(1 <= v <= 5 for row in table.values() for v in row.values())
    report = agreement(table, level="ordinal", resamples=200)
    assert report.alpha is not None and 0.0 < report.alpha.value < 0.8
    with pytest.raises(ConfigError, match="--aspect: 'fun' is not a turn aspect"):
        ab_redial_table(shared_data / "ab-redial-satisfaction", level="turn", aspect="fun")


def test_real_ratings_as_a_study_give_the_same_agreement(shared_data: Path) -> None:
    from simulacra.evaluation._annotation_io import human_scores, rating_table

    study, ratings = engagement_study(shared_data / "predictive-engagement")
    assert len(study.tasks) == 300 and len(ratings) == 900
    from_study = agreement(rating_table(ratings, "engagement"), level="ordinal", resamples=50)
    direct = agreement(
        engagement_table(shared_data / "predictive-engagement"), level="ordinal", resamples=50
    )
    assert from_study.alpha is not None and direct.alpha is not None
    assert from_study.alpha.value == pytest.approx(direct.alpha.value)
    items = human_scores(study, ratings)
    assert len(items) == 300 and all(i.annotators == 3 for i in items)
    assert all(1 <= i.human <= 5 for i in items)
