from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests._cli import run_cli
from tests.evaluation._convs import conversation


def _run_dir(tmp_path: Path) -> Path:
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"schema_version": 1, "name": "t", "status": "done"}))
    convs = [
        conversation(["I need a hotel", "Which area?", "North", "Booked."], id="c1", epoch=0),
        conversation(["I need a hotel", "Where?", "North please"], id="c2", epoch=1, goal=False),
    ]
    (run / "conversations.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in convs))
    return run


def test_eval_run_metrics_and_baseline_judge(tmp_path: Path) -> None:
    run = _run_dir(tmp_path)
    refs = tmp_path / "refs.jsonl"
    refs.write_text(
        json.dumps({"id": "s1", "reference": "I need a hotel in the north", "facts": ["north"]})
        + "\n"
    )
    out = tmp_path / "report.json"
    result = run_cli(
        [
            "eval",
            str(run),
            "--metrics",
            "all",
            "--references",
            str(refs),
            "--side",
            "user",
            "--judge",
            "baseline:lexical",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "success" in result.stdout and "pass^1" in result.stdout
    report = json.loads(out.read_text())
    values = report["metrics"]["values"]
    assert values["success"]["value"] == 0.5 and values["success"]["n"] == 2
    assert values["fact_f1"]["value"] == 1.0
    assert report["judge"]["judge"] == "baseline/features@1" and report["judge"]["n"] == 4
    rows = (run / "judgments.jsonl").read_text().splitlines()
    assert len(rows) == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["eval", "missing-dir"], "run directory not found"),
        (["eval", "RUN", "--metrics", "bleux"], "did you mean 'bleu'"),
        (
            ["eval", "RUN", "--judge", "embedded:tiny", "--rubric", "engagment"],
            "did you mean 'engagement'",
        ),
        (["eval", "meta", "RATINGS", "--map", "score=rating"], "column 'rating'"),
        (["eval", "meta", "nowhere.csv"], "nowhere.csv: ratings file not found"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_written(
    tmp_path: Path, args: list[str], message: str
) -> None:
    run = _run_dir(tmp_path)
    ratings = tmp_path / "r.csv"
    ratings.write_text("response,score\nhi,3\n")
    out = tmp_path / "out.json"
    args = [str(run) if a == "RUN" else str(ratings) if a == "RATINGS" else a for a in args]
    result = run_cli([*args, "-o", str(out)], cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not out.exists()
    assert not (run / "judgments.jsonl").exists()


def test_eval_meta_generic_with_baseline(tmp_path: Path) -> None:
    ratings = tmp_path / "r.csv"
    rows = ["reply,ctx,rating"]
    for i in range(12):
        rows.append(f"{'word ' * (i + 1)}?,A: hello,{i % 5 + 1 if i < 6 else 5}")
    ratings.write_text("\n".join(rows) + "\n")
    out = tmp_path / "meta.json"
    result = run_cli(
        [
            "eval",
            "meta",
            str(ratings),
            "--map",
            "response=reply",
            "--map",
            "context=ctx",
            "--map",
            "score=rating",
            "--judge",
            "baseline:lexical",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["n_items"] == 12 and report["judge"] == "baseline/features@1"
    assert report["levels"]["turn"]["spearman"]["n"] == 12


def test_eval_meta_adapter_on_real_data(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "meta.json"
    result = run_cli(
        [
            "eval",
            "meta",
            str(shared_data / "ab-redial-satisfaction"),
            "--adapter",
            "ab-redial",
            "--judge",
            "baseline:lexical",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["n_items"] == 600
    assert report["levels"]["dialogue (mean of turns)"]["spearman"]["n"] == 195
