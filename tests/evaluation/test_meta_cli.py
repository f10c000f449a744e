"""``simulacra eval meta`` as a user meets it (issue #19, item 5): every bad input is one line on
stderr naming the file, row or field, exit code 2, and nothing written. The judge is the
non-LLM ``baseline:lexical`` (no model, no MiniLM download)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation import read_ratings
from tests._cli import run_cli


def _jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _fails(tmp_path: Path, args: list[str], *needles: str) -> str:
    out = tmp_path / "out" / "meta.json"
    result = run_cli(["eval", "meta", *args, "-o", str(out)], cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert not out.exists() and not out.parent.exists()
    return lines[0]


@pytest.fixture
def ratings(tmp_path: Path) -> Path:
    path = tmp_path / "r.csv"
    path.write_text("response,score\nhi there,3\nhello,4\nyes,2\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("judge", "needles"),
    [
        (["--judge", "lexical"], ["unknown judge 'lexical'", "did you mean 'baseline:lexical'?"]),
        (
            ["--judge", "lexical", "--rubric", "engagement"],
            ["unknown judge 'lexical'", "did you mean 'baseline:lexical'?"],
        ),
        (["--judge", "minilm"], ["did you mean 'baseline:minilm'?"]),
        (["--judge", "embedded:tiny"], ["--judge 'embedded:tiny'", "needs --rubric"]),
        (
            ["--judge", "embedded:huge", "--rubric", "engagement"],
            ["--judge 'embedded:huge'", "unknown embedded tier 'huge'"],
        ),
        (
            ["--judge", "gguf:", "--rubric", "engagement"],
            ["--judge 'gguf:'", "expected 'embedded:<tier>'"],
        ),
    ],
)
def test_judge_specs(tmp_path: Path, ratings: Path, judge: list[str], needles: list[str]) -> None:
    line = _fails(tmp_path, [str(ratings), *judge], *needles)
    assert "Traceback" not in line and "pydantic" not in line


def test_help_lists_the_judge_spellings(tmp_path: Path) -> None:
    result = run_cli(["eval", "meta", "--help"], cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for spelling in ("'baseline'", "'baseline:minilm'", "'baseline:lexical'", "'embedded:default'"):
        assert spelling in text
    assert "--rubric" in text


def test_later_row_without_a_mapped_column(tmp_path: Path) -> None:
    path = _jsonl(
        tmp_path / "r.jsonl",
        [
            {"response": "hi", "score": 3, "system_id": "a"},
            {"response": "hello", "score": 4, "system_id": "b"},
            {"response": "yes", "score": 2},
        ],
    )
    _fails(
        tmp_path,
        [str(path), "--map", "system=system_id", "--judge", "baseline:lexical"],
        f"{path}: line 3",
        "'system_id'",
        "system",
    )


def test_short_csv_row_is_a_missing_value(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("response,score,sys\nhi,3,a\nhello,4\n", encoding="utf-8")
    _fails(
        tmp_path,
        [str(path), "--map", "system=sys", "--judge", "baseline:lexical"],
        f"{path}: line 3",
        "system ('sys')",
    )


@pytest.mark.parametrize("response", [None, ""])
def test_null_or_empty_response(tmp_path: Path, response: str | None) -> None:
    path = _jsonl(
        tmp_path / "r.jsonl",
        [{"response": "hi", "score": 3}, {"response": response, "score": 4}],
    )
    what = "null" if response is None else "empty"
    line = _fails(
        tmp_path,
        [str(path), "--judge", "baseline:lexical"],
        f"{path}: line 2",
        f"response ('response') is {what}",
    )
    assert "None" not in line


def test_empty_response_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text('response,score\nhi,3\n"",4\n', encoding="utf-8")
    _fails(tmp_path, [str(path), "--judge", "baseline:lexical"], f"{path}: line 3", "empty")


def test_score_not_a_number_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("response,score\nhi,3\nhello,nan\n", encoding="utf-8")
    _fails(tmp_path, [str(path), "--judge", "baseline:lexical"], f"{path}: line 3", "score")


def test_unknown_map_field(tmp_path: Path, ratings: Path) -> None:
    _fails(
        tmp_path,
        [str(ratings), "--map", "scor=score", "--judge", "baseline:lexical"],
        "unknown field 'scor'",
        "did you mean 'score'?",
    )


def test_bad_jsonl_line(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text('{"response": "hi", "score": 3}\n{"response": \n', encoding="utf-8")
    _fails(tmp_path, [str(path), "--judge", "baseline:lexical"], f"{path}:2:", "malformed JSON")


@pytest.mark.parametrize(
    ("level", "rubric", "needles"),
    [
        ("turn", "satisfaction", ["--rubric satisfaction is dialogue-level", "turn-level"]),
        ("dialogue", "engagement", ["--rubric engagement is turn-level", "dialogue-level"]),
    ],
)
def test_rubric_level_must_match_the_items(
    tmp_path: Path, level: str, rubric: str, needles: list[str]
) -> None:
    path = tmp_path / "r.csv"
    path.write_text("response,context,score\nhi,A: hello,3\nyo,A: hey,4\n", encoding="utf-8")
    args = [str(path), "--level", level, "--judge", "embedded:tiny", "--rubric", rubric]
    _fails(tmp_path, args, str(path), *needles)


def test_json_list_context_in_a_csv_cell(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        'response,context,score\nfine,"[""hi"", ""hello there""]",3\n'
        "ok,[laughs] hello,2\nsure,A: a ||| B: b,1\n",
        encoding="utf-8",
    )
    rated = read_ratings(path)
    assert rated[0].item.context == ("hi", "hello there")
    assert rated[1].item.context == ("[laughs] hello",)
    assert rated[2].item.context == ("A: a", "B: b")
    bad = tmp_path / "bad.csv"
    bad.write_text('response,context,score\nfine,"[1, 2]",3\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.csv: line 2: context is a JSON list"):
        read_ratings(bad)


def test_few_systems_interval_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    rows = ["response,score,sys"]
    for i in range(12):
        system = "abc"[i % 3]
        words = {"a": 2, "b": 6, "c": 12}[system] + i // 3
        rows.append(f"{'word ' * words}end,{1 + 'abc'.index(system) + (i % 2) * 0.5},{system}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "meta.json"
    result = run_cli(
        [
            "eval",
            "meta",
            str(path),
            "--map",
            "system=sys",
            "--judge",
            "baseline:lexical",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "n=3 systems: too few for an interval" in result.stdout
    system_lines = [ln for ln in result.stdout.splitlines() if ln.strip().startswith("system")]
    assert system_lines and all("[" not in ln for ln in system_lines)
    report = json.loads(out.read_text())
    spearman = report["levels"]["system"]["spearman"]
    assert spearman["n"] == 3 and spearman["interval_meaningful"] is False
    assert report["levels"]["turn"]["spearman"]["interval_meaningful"] is True
