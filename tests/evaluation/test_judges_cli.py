"""``simulacra eval meta`` length bias and per-item scores, ``--debias length``, the probability
judges' ``--judge`` spellings, and ``simulacra eval calibrate`` round trip on the real tiny model
(issue #19, items 1-4)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.evaluation._calibrate import load_calibrations
from tests._cli import run_cli

ROWS = [
    ("A: Do you like video games?", "Yes, I play chess online every evening. Do you play?", 5),
    ("A: Any plans for the weekend?", "ok", 1),
    ("A: What did you think of the film?", "It was long but the ending surprised me.", 4),
    ("A: Where are you from?", "run", 1),
    ("A: Do you cook?", "Sometimes, mostly pasta. What is your favourite dish?", 5),
    ("A: How was work?", "fine", 2),
]


def _csv(path: Path, rows: list[tuple[str, str, int]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["context", "response", "score"])
        w.writerows(rows)
    return path


def test_meta_prints_length_bias_and_writes_per_item_scores(tmp_path: Path) -> None:
    ratings = _csv(tmp_path / "r.csv", ROWS)
    out = tmp_path / "m.json"
    r = run_cli(
        ["eval", "meta", str(ratings), "--judge", "baseline:lexical", "-o", str(out)], tmp_path
    )
    assert r.returncode == 0, r.stderr
    assert "length bias (words; n=6): judge~length" in r.stdout
    assert "with length held fixed (partial)" in r.stdout
    data = json.loads(out.read_text())
    assert data["debias"] == "none"
    lb = data["length_bias"]
    assert lb["n"] == 6 and lb["partial_spearman_given_length"] is not None
    assert [i["length"] for i in data["items"]] == [len(resp.split()) for _, resp, _ in ROWS]
    assert [i["human"] for i in data["items"]] == [float(s) for *_, s in ROWS]
    # the lexical baseline is mostly length: debiased, its length correlation is gone
    out2 = tmp_path / "d.json"
    r2 = run_cli(
        [
            "eval",
            "meta",
            str(ratings),
            "--judge",
            "baseline:lexical",
            "--debias",
            "length",
            "-o",
            str(out2),
        ],
        tmp_path,
    )
    assert r2.returncode == 0, r2.stderr
    debiased = json.loads(out2.read_text())["length_bias"]["judge_length_spearman"]
    biased = lb["judge_length_spearman"]["value"]
    assert abs(debiased["value"]) < 0.2 < abs(biased)


@pytest.mark.embedded
def test_weighted_judge_and_calibrate_round_trip_on_the_tiny_model(tmp_path: Path) -> None:
    a = _csv(tmp_path / "set_a.csv", ROWS)
    b = _csv(tmp_path / "set_b.csv", [(c, r, 6 - s) for c, r, s in ROWS[:4]])
    out = tmp_path / "w.json"
    r = run_cli(
        [
            "eval",
            "meta",
            str(a),
            "--judge",
            "weighted:embedded:tiny",
            "--rubric",
            "engagement",
            "-o",
            str(out),
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    items = json.loads(out.read_text())["items"]
    assert all(1 <= i["judge"] <= 5 for i in items)
    assert all("engagement:entropy" in i["details"] for i in items)
    cal = tmp_path / "cal" / "mine.json"
    r = run_cli(
        [
            "eval",
            "calibrate",
            str(a),
            str(b),
            "--model",
            "embedded:tiny",
            "--folds",
            "2",
            "-o",
            str(cal),
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    assert "left out set_a: Spearman" in r.stdout and "left out set_b" in r.stdout
    assert "set_a: 2-fold within-set Spearman" in r.stdout
    assert "set_b: too few items for 2-fold cross-validation" in r.stdout
    card = json.loads(cal.read_text())["card"]
    assert set(card["within_set_cross_validated_spearman"]) == {"set_a"} and card["folds"] == 2
    model, levels = load_calibrations(cal)
    assert model == "embedded:tiny" and set(levels) == {"turn"}
    assert levels["turn"].groups == {"set_a": 6, "set_b": 4}
    out3 = tmp_path / "c.json"
    r = run_cli(["eval", "meta", str(a), "--judge", f"calibrated:{cal}", "-o", str(out3)], tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(out3.read_text())
    assert data["judge"].startswith("calibrated:mine.json@embedded:tiny")
    assert {"rubric", "pmi", "fed", "log_words"} <= set(data["items"][0]["details"])


def test_calibrate_refuses_a_server_model(tmp_path: Path) -> None:
    a = _csv(tmp_path / "a.csv", ROWS)
    r = run_cli(
        ["eval", "calibrate", str(a), "--model", "openai:x", "-o", str(tmp_path / "c.json")],
        tmp_path,
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "calibration needs embedded:<tier> or gguf:PATH" in r.stderr
    assert not (tmp_path / "c.json").exists()
