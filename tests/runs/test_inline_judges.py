"""Judges named in a run config score each conversation as it finishes (judgments.jsonl),
resume-safe."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation._judge import JUDGMENTS_FILE, conversation_items
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.runs import _items, _runner, execute_run, load_config, read_conversations
from simulacra.testing import function_model

JUDGES = """
judges:
  - {rubric: user_realism, model: judge, side: user}
  - {model: "baseline:lexical"}
"""


def _config(tmp_path: Path, shared_data: Path, *, judges: str = JUDGES, models: str = "") -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        f"""
name: judged
models: {models or '{judge: {model: "openai:judge", base_url: "http://127.0.0.1:9"}}'}
user: {{type: agenda, acts_per_turn: 1}}
target: {{type: callable, callable: "tests.runs.test_agenda_config:polite_bot"}}
scenarios_from:
  multiwoz: {shared_data / "multiwoz21" / "val.json.zip"}
  limit: 3
  domains: [hotel]
stop: {{max_turns: 6}}
cache: {{enabled: false}}
{judges}
"""
    )
    return path


class _Judge:
    """A function judge that counts its calls and scores by the response's length."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        self.calls += 1
        assert config.json_schema is not None  # the rubric's schema constrains the answer
        words = len(messages[-1].content.rsplit("Response:", 1)[-1].split())
        score = 1 + min(words, 40) // 10
        return json.dumps({"explanation": "by length", "realism": score, "goal_focus": 3})


@pytest.fixture
def judge(monkeypatch: pytest.MonkeyPatch) -> _Judge:
    fn = _Judge()

    def get_model(spec: Any, *, role: str = "default", cache: Any = None) -> Model:
        return function_model(fn, role=role, name="fn-judge")

    monkeypatch.setattr(_items, "get_model", get_model)
    return fn


def _rows(run_dir: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (run_dir / JUDGMENTS_FILE).read_text().splitlines()]


def _expected(run_dir: Path) -> Counter[tuple[str, str | None]]:
    convs = list(read_conversations(run_dir))
    user = len(conversation_items(convs, level="turn", side="user"))
    target = len(conversation_items(convs, level="turn", side="target"))
    return Counter(
        {("fn-judge", "rubric/user_realism@1"): user, ("baseline/features@1", None): target}
    )


async def test_each_conversation_is_judged_as_it_finishes(
    tmp_path: Path, shared_data: Path, judge: _Judge
) -> None:
    result = await execute_run(load_config(_config(tmp_path, shared_data)), output_dir=tmp_path)
    rows = _rows(result.directory)
    assert Counter((r["judge"], r["rubric"]) for r in rows) == _expected(result.directory)
    assert judge.calls == _expected(result.directory)[("fn-judge", "rubric/user_realism@1")]
    llm = [r for r in rows if r["rubric"] == "rubric/user_realism@1"]
    assert all(r["error"] is None and 1 <= r["scores"]["realism"] <= 5 for r in llm)
    ids = {c.id for c in read_conversations(result.directory)}
    assert {r["conversation_id"] for r in rows} == ids
    manifest = json.loads((result.directory / "run.json").read_text())
    assert manifest["config"]["judges"][0]["rubric"] == "user_realism"


async def test_resume_drops_orphans_and_judges_what_is_missing(
    tmp_path: Path, shared_data: Path, judge: _Judge
) -> None:
    config = load_config(_config(tmp_path, shared_data))
    run_dir = (await execute_run(config, output_dir=tmp_path)).directory
    expected = _expected(run_dir)
    rows = _rows(run_dir)
    convs = (run_dir / "conversations.jsonl").read_text().splitlines(keepends=True)
    lost = json.loads(convs[-1])["id"]  # crash: its verdicts were written, the record was not
    (run_dir / "conversations.jsonl").write_text("".join(convs[:-1]))
    cut = json.loads(convs[0])["id"]  # crash mid-append: only part of its verdicts survived
    cut_rows = [r for r in rows if r["conversation_id"] == cut and r["rubric"]]
    kept = [r for r in rows if not (r["conversation_id"] == cut and r["rubric"])]
    lines = [json.dumps(r) for r in [*kept, *cut_rows[:1]]]
    (run_dir / JUDGMENTS_FILE).write_text("\n".join(lines) + '\n{"item_id": "torn')
    before = judge.calls
    await execute_run(config, resume=run_dir)
    rows = _rows(run_dir)
    assert Counter((r["judge"], r["rubric"]) for r in rows) == expected
    per_item = Counter((r["item_id"], r["judge"]) for r in rows)
    assert max(per_item.values()) == 1  # nothing judged twice, no orphan left
    redone = [c for c in read_conversations(run_dir) if c.id in (lost, cut)]
    assert len(redone) == 2
    assert judge.calls - before == len(conversation_items(redone, level="turn", side="user"))


async def test_resume_without_changes_judges_nothing(
    tmp_path: Path, shared_data: Path, judge: _Judge
) -> None:
    config = load_config(_config(tmp_path, shared_data))
    run_dir = (await execute_run(config, output_dir=tmp_path)).directory
    text = (run_dir / JUDGMENTS_FILE).read_text()
    before = judge.calls
    await execute_run(config, resume=run_dir)
    assert judge.calls == before and (run_dir / JUDGMENTS_FILE).read_text() == text


@pytest.mark.parametrize(
    ("judges", "error"),
    [
        ("judges: [{rubric: engagment}]", r"judges\.0: .*did you mean 'engagement'"),
        ("judges: [{rubric: satisfaction, level: turn}]", "does not match rubric"),
        ("judges: [{model: judge}]", "needs a 'rubric'"),
        ("judges: [{rubric: engagement, model: grader}]", r"judges\.0\.model: no model"),
        (
            "judges: [{rubric: engagement}]\nexecution: {executor: ray}",
            "not supported with executor 'ray'",
        ),
    ],
)
def test_bad_judges_are_one_line_errors(
    tmp_path: Path, shared_data: Path, judges: str, error: str
) -> None:
    with pytest.raises(ConfigError, match=error) as info:
        load_config(_config(tmp_path, shared_data, judges=judges))
    assert "\n" not in str(info.value)


def test_config_hash_ignores_an_absent_judge_list(tmp_path: Path, shared_data: Path) -> None:
    plain = load_config(_config(tmp_path, shared_data, judges=""))
    judged = load_config(_config(tmp_path, shared_data))
    assert (
        _runner._config_sha(plain)
        == _runner.hashlib.sha256(plain.model_dump_json(exclude={"judges"}).encode()).hexdigest()
    )
    assert _runner._config_sha(plain) != _runner._config_sha(judged)


@pytest.mark.embedded
async def test_tiny_embedded_judge_scores_during_the_run(
    tmp_path: Path, shared_data: Path, tiny_gguf: str
) -> None:
    path = _config(
        tmp_path,
        shared_data,
        models="{judge: {model: embedded:tiny, temperature: 0}}",
        judges="judges: [{rubric: user_realism, model: judge, side: user, max_tokens: 160}]",
    )
    path.write_text(
        path.read_text().replace("limit: 3", "limit: 1").replace("max_turns: 6", "max_turns: 4")
    )
    result = await execute_run(load_config(path), output_dir=tmp_path)
    rows = _rows(result.directory)
    assert len(rows) == _expected(result.directory)[("fn-judge", "rubric/user_realism@1")]
    assert all(
        r["judge"] == "embedded:tiny" and r["rubric"] == "rubric/user_realism@1" for r in rows
    )
    scored = [r for r in rows if r["error"] is None]
    assert scored, [r["error"] for r in rows]
    assert all(1 <= v <= 5 for r in scored for v in r["scores"].values())
