"""``simulacra data`` through the real command line: import a real corpus as a run directory
that the other commands read, stats, exports, card, and bad input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.evaluation._judge import Verdict, judge_run
from simulacra.runs import RunWriter, read_conversations, read_run
from tests._cli import run_cli


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory, shared_data: Path) -> Path:
    """20 real MultiWOZ validation dialogues imported as a run directory."""
    out = tmp_path_factory.mktemp("imp") / "multiwoz-val"
    zip_path = shared_data / "multiwoz21" / "val.json.zip"
    result = run_cli(
        ["data", "import", "multiwoz21", str(zip_path), "-o", str(out), "--limit", "20"], out.parent
    )
    assert result.returncode == 0, result.stderr
    assert "imported 20 multiwoz21 conversations" in result.stdout
    return out


def test_import_writes_a_run_directory_other_commands_read(
    imported: Path, shared_data: Path
) -> None:
    manifest = read_run(imported)
    assert manifest["kind"] == "import" and manifest["provenance"]["real"] is True
    assert manifest["summary"]["conversations"] == 20
    convs = list(read_conversations(imported))
    assert len(convs) == 20 and convs[0].id == "multiwoz21:PMUL1635"
    shown = run_cli(["show", str(imported), "--id", "multiwoz21:PMUL1635"], imported.parent)
    assert shown.returncode == 0 and "I need to book a hotel in the east" in shown.stdout
    # the imported users are real: against real test-split users they are hard to tell apart
    fidelity = run_cli(
        [
            "fidelity",
            str(imported),
            "--reference",
            str(shared_data / "multiwoz21" / "test.json.zip"),
        ],
        imported.parent,
    )
    assert fidelity.returncode == 0, fidelity.stderr
    assert "20 simulated vs 1000 real dialogues" in fidelity.stdout
    auc, low, high = _printed_auc(fidelity.stdout, "distinguishability AUC")
    assert 0.0 <= low <= auc <= high <= 1.0
    assert low <= 0.5 <= high  # real against real: the classifier is at chance
    base, base_low, base_high = _printed_auc(fidelity.stdout, "real vs real AUC")
    assert 0.0 <= base_low <= base <= base_high <= 1.0


def _printed_auc(stdout: str, label: str) -> tuple[float, float, float]:
    """``label  0.484 [0.419, 0.550] (...)`` in the fidelity report: the value and its interval."""
    number = r"(-?\d+(?:\.\d+)?|nan)"
    found = re.findall(rf"^\s*{label}\s+{number} \[{number}, {number}\]", stdout, re.MULTILINE)
    assert len(found) == 1, f"no single {label!r} line in:\n{stdout}"
    value, low, high = (float(x) for x in found[0])
    return value, low, high


def test_stats(imported: Path) -> None:
    result = run_cli(["data", "stats", str(imported), "--json"], imported.parent)
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    convs = list(read_conversations(imported))
    assert stats["dialogues"] == 20
    assert stats["turns"] == sum(len(c.turns) for c in convs)
    user_turns = [t for c in convs for t in c.turns if t.speaker == "user"]
    words = sum(len(t.utterance.split()) for t in user_turns) / len(user_turns)
    e = stats["user_turn_words"]
    assert e["value"] == round(words, 3) and e["low"] <= e["value"] <= e["high"]
    assert stats["provenance"][0]["licence"].startswith("MIT")
    text = run_cli(["data", "stats", str(imported)], imported.parent).stdout
    assert "user words per turn" in text and "(real; licence MIT" in text


def test_export_chat_per_turn_hf_and_card(imported: Path, tmp_path: Path) -> None:
    out = tmp_path / "chat.jsonl"
    result = run_cli(
        ["data", "export", str(imported), "--format", "chat", "-o", str(out)], tmp_path
    )
    assert result.returncode == 0, result.stderr
    rows = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(rows) == 20 and rows[0]["messages"][0]["role"] == "system"
    assert rows[0]["messages"][-1]["role"] == "assistant"
    per_turn = tmp_path / "turns.jsonl"
    run_cli(
        ["data", "export", str(imported), "--format", "chat", "--per-turn", "-o", str(per_turn)],
        tmp_path,
    )
    user_turns = sum(t.speaker == "user" for c in read_conversations(imported) for t in c.turns)
    assert len(per_turn.read_text().splitlines()) == user_turns
    # the hf format needs the train extra's `datasets`: without it the command fails (exit 2)
    hf = tmp_path / "hf"
    result = run_cli(["data", "export", str(imported), "--format", "hf", "-o", str(hf)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "real-conversations" in (hf / "README.md").read_text()
    card = tmp_path / "card" / "README.md"
    result = run_cli(
        ["data", "card", str(imported), "-o", str(card), "--export", str(out)], tmp_path
    )
    assert result.returncode == 0, result.stderr
    text = card.read_text()
    assert text.startswith("---\npretty_name: card\nlicense: mit\n")
    assert "- rows: 20" in text and "- format: simulacra-chat@1" in text


def _run(path: Path, texts: list[str]) -> Path:
    writer = RunWriter(
        path,
        {
            "name": path.name,
            "config": {"scenarios": [{"id": "s", "goal": "find a hotel"}]},
            "models": {"user": {"name": "embedded:tiny"}},
        },
    )
    for i, text in enumerate(texts):
        c = Conversation(
            id=f"w{i}",  # the same work-item ids in both runs, as two runs of one config have
            scenario_id="s",
            participants=[
                ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
                ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
            ],
        )
        c.append(Turn(speaker="user", utterance=text))
        c.append(Turn(speaker="assistant", utterance="Sure."))
        writer.write(c)
    writer.close()
    return path


def test_export_dpo_from_two_judged_runs(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", ["I need a cheap hotel in the north, please."])
    b = _run(tmp_path / "b", ["hotel"])
    judge = {"judge": "j", "rubric": "rubric/realism@1", "conversation_id": "w0", "turn_index": 0}
    judge_run(a, [Verdict(item_id="w0:0", scores={"realism": 5.0}, **judge)])  # type: ignore[arg-type]
    judge_run(b, [Verdict(item_id="w0:0", scores={"realism": 2.0}, **judge)])  # type: ignore[arg-type]
    out = tmp_path / "dpo.jsonl"
    result = run_cli(
        ["data", "export", str(a), str(b), "--format", "dpo", "--margin", "2", "-o", str(out)],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(x) for x in out.read_text().splitlines()]
    assert row["chosen"][0]["content"].startswith("I need a cheap hotel")
    assert row["rejected"] == [{"role": "assistant", "content": "hotel"}]
    assert row["meta"]["chosen_id"] == "a/w0:0" and row["meta"]["score_rejected"] == 2.0
    assert row["meta"]["source"] == "simulacra run a" and row["meta"]["real"] is False
    none = run_cli(
        [
            "data",
            "export",
            str(a),
            str(b),
            "--format",
            "dpo",
            "--margin",
            "4",
            "-o",
            str(tmp_path / "none.jsonl"),
        ],
        tmp_path,
    )
    assert none.returncode == 2 and "no pair with a margin >= 4.0" in none.stderr
    assert not (tmp_path / "none.jsonl").exists()


def _fails(args: list[str], cwd: Path, pattern: str) -> None:
    result = run_cli(args, cwd)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("simulacra: error: "), result.stderr
    assert pattern in lines[0], lines[0]


def test_bad_input_is_one_line_exit_2_and_nothing_written(
    tmp_path: Path, shared_data: Path, imported: Path
) -> None:
    out = tmp_path / "out.jsonl"
    casino = shared_data / "casino" / "data" / "split" / "casino_valid.json"
    # a corpus file in the wrong format for its adapter
    _fails(
        ["data", "import", "topical-chat", str(casino), "-o", str(out)],
        tmp_path,
        "casino_valid.json: top level: expected a Topical-Chat mapping",
    )
    bad = tmp_path / "bad.json"
    bad.write_text("{oops", encoding="utf-8")
    _fails(
        ["data", "import", "moviebot", str(bad), "-o", str(out)],
        tmp_path,
        "bad.json:1:2: malformed JSON",
    )
    # a mapping naming a field the rows do not have
    rows = tmp_path / "rows.csv"
    rows.write_text("dialog,who,text\nd1,user,hi\n", encoding="utf-8")
    mapping = tmp_path / "map.yaml"
    mapping.write_text("fields: {conversation: dialog, speaker: speaker, text: text}\n")
    _fails(
        ["data", "import", "generic", str(rows), "--mapping", str(mapping), "-o", str(out)],
        tmp_path,
        "map.yaml: fields.speaker: no field 'speaker' in",
    )
    _fails(
        ["data", "import", "generic", str(rows), "-o", str(out)],
        tmp_path,
        "generic: needs a field mapping",
    )
    # an empty selection: no validation goal stays within the police domain
    _fails(
        [
            "data",
            "import",
            "multiwoz21",
            str(shared_data / "multiwoz21" / "val.json.zip"),
            "--option",
            "domains=police",
            "-o",
            str(out),
        ],
        tmp_path,
        "no conversations",
    )
    _fails(
        ["data", "import", "casino", str(casino), "--option", "speaker=x", "-o", str(out)],
        tmp_path,
        "unknown option 'speaker'",
    )
    _fails(
        ["data", "import", "casino", str(casino), "-o", str(imported)],
        tmp_path,
        "exists and is not empty",
    )
    # exports: not a run, and DPO without verdicts
    _fails(
        ["data", "export", str(bad), "--format", "chat", "-o", str(out)],
        tmp_path,
        "bad.json:1: not a Simulacra conversation record",
    )
    _fails(
        ["data", "export", str(imported), "--format", "dpo", "-o", str(out)],
        tmp_path,
        "dpo: no verdicts",
    )
    _fails(["data", "stats", str(tmp_path / "missing")], tmp_path, "file not found")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "map.yaml", "rows.csv"]
