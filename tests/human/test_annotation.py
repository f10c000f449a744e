"""Annotation studies: blinding, seeded randomisation, ratings files, CSV round trip, bad input."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation import load_rubric, meta_evaluate, read_ratings
from simulacra.evaluation._annotation import likert_study, pairwise_study, read_key, read_study
from simulacra.evaluation._annotation_io import (
    append_ratings,
    export_csv,
    human_scores,
    import_csv,
    read_annotations,
    validate_rating,
)
from tests._cli import run_cli

SECRETS = ("run-alpha", "run-beta", "AlphaBot-9000", "BetaBot-Pro", "alphabot", "betabot")


def _texts(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_likert_dialogue_tasks_are_blinded(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    study = likert_study(two_runs, load_rubric("satisfaction"), seed=3)
    tasks, key = tmp_path / "study" / "tasks.jsonl", tmp_path / "keys" / "key.jsonl"
    study.write(tasks, key)
    shown = _texts(tasks)
    for secret in SECRETS:
        assert secret not in shown, secret
    assert "Pat Persona" not in shown  # speakers are relabelled by role
    loaded = read_study(tasks)
    assert loaded.kind == "likert" and loaded.dimensions == ["satisfaction"]
    assert len(loaded.tasks) == 8  # 2 runs x 4 conversations, one task per dialogue
    first = next(iter(loaded.tasks.values()))
    assert first["context"][0].startswith("User: Hi, I want to")
    assert first["context"][1].startswith("System: ")
    assert first["goal"] in {
        "book a table for two",
        "find a cheap hotel",
        "cancel an order",
        "ask about opening hours",
    }
    # The key, written elsewhere, says where each task came from.
    read_key(loaded, key)
    assert {k["run"] for k in loaded.key.values()} == {"run-alpha", "run-beta"}
    assert "alphabot-9000-s1" in _texts(key)


def test_turn_level_tasks_rate_each_system_turn(two_runs: tuple[Path, Path]) -> None:
    study = likert_study([two_runs[0]], load_rubric("engagement"), seed=0)
    assert study.header["level"] == "turn"
    assert len(study.tasks) == 8  # 4 conversations x 2 system turns
    responses = {t["response"] for t in study.tasks.values()}
    assert "You are welcome, says System." in responses  # the system's own name is masked
    assert all(t["context"] for t in study.tasks.values())
    assert {k["turn"] for k in study.key.values()} == {1, 3}


def test_pairwise_pairs_by_scenario_and_randomises_sides(two_runs: tuple[Path, Path]) -> None:
    study = pairwise_study(*two_runs, seed=1)
    assert len(study.tasks) == 4
    assert {k["scenario_id"] for k in study.key.values()} == {"s1", "s2", "s3", "s4"}
    for tid, key in study.key.items():
        assert {key["A"]["run"], key["B"]["run"]} == {"run-alpha", "run-beta"}
        assert key["A"]["conversation_id"].endswith(key["scenario_id"])
        task = study.tasks[tid]
        assert task["a"] and task["b"] and "A" not in task  # transcripts only
    firsts = [k["A"]["run"] for k in study.key.values()]
    seeds_with_both = [
        s
        for s in range(10)
        if len({k["A"]["run"] for k in pairwise_study(*two_runs, seed=s).key.values()}) == 2
    ]
    assert seeds_with_both, "sides are never mixed: the A/B draw is not random"
    assert firsts  # the draw above used the same runs


def test_randomisation_is_reproducible_by_seed(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    def files(seed: int, name: str) -> tuple[str, str]:
        study = pairwise_study(*two_runs, seed=seed)
        study.write(tmp_path / f"{name}.jsonl", tmp_path / f"{name}.key.jsonl")
        return _texts(tmp_path / f"{name}.jsonl"), _texts(tmp_path / f"{name}.key.jsonl")

    assert files(7, "one") == files(7, "two")
    orders = {
        tuple(
            (k["scenario_id"], k["A"]["run"])
            for k in pairwise_study(*two_runs, seed=s).key.values()
        )
        for s in range(6)
    }
    assert len(orders) > 1  # different seeds give different orders or sides


def test_ratings_validation_and_last_rating_counts(
    two_runs: tuple[Path, Path], tmp_path: Path
) -> None:
    study = likert_study(two_runs, load_rubric("satisfaction"), annotators=["ann", "bob"])
    tasks = tmp_path / "tasks.jsonl"
    study.write(tasks, tmp_path / "key.jsonl")
    study = read_study(tasks)
    t1, t2 = list(study.tasks)[:2]
    ratings = [
        validate_rating(study, t1, "ann", "satisfaction", 4),
        validate_rating(study, t1, "ann", "satisfaction", "5"),  # a change of mind
        validate_rating(study, t2, "bob", "satisfaction", 2.0),
    ]
    path = tmp_path / "ratings.jsonl"
    append_ratings(path, study, ratings)
    got = {(r.task_id, r.annotator): r.value for r in read_annotations(path, study)}
    assert got == {(t1, "ann"): 5, (t2, "bob"): 2}
    for bad, message in [
        ((t1, "ann", "satisfaction", 6), "outside the scale 1-5"),
        ((t1, "ann", "satisfaction", True), "outside the scale"),
        (("t999", "ann", "satisfaction", 3), "unknown task 't999'"),
        ((t1, "anne", "satisfaction", 3), "unknown annotator 'anne' (did you mean 'ann'?)"),
        ((t1, "ann", "satisfation", 3), "did you mean 'satisfaction'"),
    ]:
        with pytest.raises(
            ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")
        ):
            validate_rating(study, *bad)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            '{"task_id": "t999", "annotator": "ann", "dimension": "satisfaction", "score": 3}',
            "line 2: unknown task 't999'",
        ),
        (
            '{"task_id": "TID", "annotator": "zed", "dimension": "satisfaction", "score": 3}',
            "line 2: unknown annotator 'zed'",
        ),
        (
            '{"task_id": "TID", "annotator": "ann", "dimension": "satisfaction", "score": 9}',
            "line 2: satisfaction score 9 is outside the scale 1-5",
        ),
        ("not json", "ratings.jsonl:2:1: malformed JSON: "),
    ],
)
def test_cli_bad_ratings_exit_2(
    two_runs: tuple[Path, Path], tmp_path: Path, line: str, message: str
) -> None:
    tasks = tmp_path / "tasks.jsonl"
    likert_study(two_runs, load_rubric("satisfaction"), annotators=["ann", "bob"]).write(
        tasks, tmp_path / "key.jsonl"
    )
    tid = next(iter(read_study(tasks).tasks))
    ratings = tmp_path / "ratings.jsonl"
    good = {"task_id": tid, "annotator": "ann", "dimension": "satisfaction", "score": 3}
    ratings.write_text(json.dumps(good) + "\n" + line.replace("TID", tid) + "\n", encoding="utf-8")
    done = run_cli(["annotate", "agreement", str(ratings), "--tasks", str(tasks)], cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"simulacra: error: {ratings}")
    assert message in lines[0]


def test_csv_round_trip_and_bad_rows(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    pairwise_study(*two_runs, seed=2, annotators=["ann", "bob"]).write(
        tasks, tmp_path / "key.jsonl"
    )
    study = read_study(tasks)
    sheet = tmp_path / "sheet.csv"
    assert export_csv(study, sheet, annotators=["ann", "bob"]) == 8
    with sheet.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["task_id", "annotator", "goal", "a", "b", "choice"]
    assert not any(secret in sheet.read_text() for secret in SECRETS)
    for row, choice in zip(rows, ["A", "B", "tie", "A", "A", "", "B", "A"], strict=True):
        row["choice"] = choice
    with sheet.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    ratings = import_csv(study, sheet)
    assert len(ratings) == 7  # the empty cell is not a rating
    assert [r.value for r in ratings][:3] == ["A", "B", "tie"]
    # Through the CLI: import appends; a bad row is one line naming file and row, exit 2.
    out = tmp_path / "ratings.jsonl"
    done = run_cli(
        ["annotate", "import", str(sheet), "--tasks", str(tasks), "-o", str(out)], cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert len(read_annotations(out, study)) == 7
    rows[2]["choice"] = "C"
    with sheet.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    bad = run_cli(
        ["annotate", "import", str(sheet), "--tasks", str(tasks), "-o", str(out)], cwd=tmp_path
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == (
        f"simulacra: error: {sheet}: row 3: choice 'C' is not one of A, B, tie"
    )
    assert len(read_annotations(out, study)) == 7  # nothing half-written


def test_human_scores_feed_meta_evaluation(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    tasks, key = tmp_path / "tasks.jsonl", tmp_path / "key.jsonl"
    likert_study(two_runs, load_rubric("satisfaction"), seed=0).write(tasks, key)
    study = read_key(read_study(tasks), key)
    ratings = []
    for tid in study.tasks:
        alpha = study.key[tid]["run"] == "run-alpha"
        for a, shift in (("ann", 0), ("bob", 1)):
            ratings.append(
                validate_rating(study, tid, a, "satisfaction", min(5, (4 if alpha else 2) + shift))
            )
    path = tmp_path / "ratings.jsonl"
    append_ratings(path, study, ratings)
    items = human_scores(study, read_annotations(path, study))
    assert len(items) == 8 and {i.annotators for i in items} == {2}
    assert {i.system for i in items} == {"run-alpha", "run-beta"}
    assert sorted({i.human for i in items}) == [2.5, 4.5]
    # The generic file written by 'annotate scores' is what 'eval meta' reads.
    out = tmp_path / "human.jsonl"
    done = run_cli(
        ["annotate", "scores", str(path), "--tasks", str(tasks), "--key", str(key), "-o", str(out)],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rated = read_ratings(
        out, level="dialogue", mapping={"system": "system", "dialogue": "dialogue"}
    )
    assert sorted(r.human for r in rated) == sorted(i.human for i in items)
    judge = [5.0 if r.system == "run-alpha" else 1.0 for r in rated]
    report = meta_evaluate(rated, judge, judge="perfect-by-system", resamples=50)
    system_level = report.levels["system"]["spearman"]
    assert system_level is None or system_level.n == 2  # two systems: undefined or n=2
    dialogue = report.levels["dialogue"]["spearman"]
    assert dialogue is not None and dialogue.value == pytest.approx(1.0)


def test_unblind_cli(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    tasks, key = tmp_path / "tasks.jsonl", tmp_path / "key.jsonl"
    pairwise_study(*two_runs, seed=4).write(tasks, key)
    study = read_key(read_study(tasks), key)
    ratings = []
    for tid, k in study.key.items():
        alpha_side = "A" if k["A"]["run"] == "run-alpha" else "B"
        for a in ("ann", "bob", "cy"):
            ratings.append(validate_rating(study, tid, a, "preference", alpha_side))
    append_ratings(tmp_path / "r.jsonl", study, ratings)
    out = tmp_path / "unblind.json"
    done = run_cli(
        [
            "annotate",
            "unblind",
            str(tmp_path / "r.jsonl"),
            "--tasks",
            str(tasks),
            "--key",
            str(key),
            "--resamples",
            "200",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["systems"]["run-alpha"]["win_rate"]["value"] == 1.0
    assert report["systems"]["run-beta"]["win_rate"]["value"] == 0.0
    assert report["systems"]["run-alpha"]["wins"] == 12
    assert "run-alpha" in done.stdout


def test_cli_tasks_then_agreement(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    tasks = tmp_path / "tasks.jsonl"
    done = run_cli(
        ["annotate", "tasks", *map(str, two_runs), "--rubric", "satisfaction", "-o", str(tasks)],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "tasks.key.jsonl").is_file()
    study = read_study(tasks)
    # Two annotators, 8 items: identical except two items (hand count: 6/8 exact agreement).
    ann = [1, 2, 3, 4, 5, 1, 2, 3]
    bob = [1, 2, 3, 4, 5, 1, 3, 4]
    ratings = [
        validate_rating(study, tid, who, "satisfaction", score)
        for tid, a, b in zip(study.tasks, ann, bob, strict=True)
        for who, score in (("ann", a), ("bob", b))
    ]
    append_ratings(tmp_path / "r.jsonl", study, ratings)
    out = tmp_path / "agreement.json"
    done = run_cli(
        [
            "annotate",
            "agreement",
            str(tmp_path / "r.jsonl"),
            "--tasks",
            str(tasks),
            "--resamples",
            "100",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert report["percent_agreement"]["value"] == pytest.approx(6 / 8)
    assert report["within_one"]["value"] == 1.0
    assert report["cohen_kappa"]["n"] == 8
    assert "Cohen's kappa" in done.stdout


def test_bad_task_inputs(two_runs: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="share no scenario"):
        other = tmp_path / "empty"
        from tests.human.conftest import make_run

        make_run(tmp_path, "empty", "X")
        (other / "conversations.jsonl").write_text("", encoding="utf-8")
        pairwise_study(two_runs[0], other)
    done = run_cli(["annotate", "tasks", str(two_runs[0]), "-o", "t.jsonl"], cwd=tmp_path)
    assert done.returncode == 2 and "give --rubric" in done.stderr
    done = run_cli(
        ["annotate", "serve", str(tmp_path / "missing.jsonl"), "--annotator", "a"], cwd=tmp_path
    )
    assert done.returncode == 2 and "tasks file not found" in done.stderr
