"""Retrieval gates, corpora and recall on real MultiWOZ data; bad input is one line, exit 2."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from simulacra.datasets import multiwoz_dialogues
from simulacra.errors import ConfigError
from simulacra.memory import (
    BM25Retriever,
    DenseRetriever,
    Passage,
    load_corpus,
    load_gate,
    multiwoz_gate_examples,
    train_gate,
)
from tests._cli import run_cli


@pytest.fixture(scope="module")
def val(shared_data: Path) -> Path:
    return shared_data / "multiwoz21" / "val.json.zip"


def test_trained_gate_beats_majority_on_held_out_turns(val: Path, tmp_path: Path) -> None:
    examples = multiwoz_gate_examples(val, limit=120)
    random.Random(0).shuffle(examples)
    train, held = examples[:600], examples[600:900]
    gate = train_gate(train)
    load = load_gate(gate.save(tmp_path / "gate.json"))
    acc = sum(load.decide(e.text) == e.retrieve for e in held) / len(held)
    majority = max(sum(e.retrieve for e in held), sum(not e.retrieve for e in held)) / len(held)
    assert acc > majority + 0.1, (acc, majority)
    assert load.probability("What area would you like?") > load.probability("Goodbye!")


def test_gate_file_of_the_wrong_kind_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "model.json"
    bad.write_text(json.dumps({"kind": "simulacra.something_else"}))
    with pytest.raises(ConfigError, match="not a retrieval gate file"):
        load_gate(bad)
    (tmp_path / "x.bin").write_bytes(b"\x80\x04pickle")
    with pytest.raises(ConfigError, match="not a retrieval gate file"):
        load_gate(tmp_path / "x.bin")
    with pytest.raises(ConfigError, match="gate model file not found"):
        load_gate(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match="both labels"):
        train_gate([])


def _goal_passages(val: Path, n: int) -> tuple[list[Passage], list[tuple[str, str]]]:
    passages, queries = [], []
    for d in multiwoz_dialogues(val, with_turns=True, limit=n):
        passages.append(Passage(id=d.id, text=" ".join(t.text for t in d.user_turns)))
        queries.append((d.goal.description, d.id))
    return passages, queries


def _recall(retriever: BM25Retriever | DenseRetriever, queries: list[tuple[str, str]]) -> float:
    return sum(a in {h.id for h in retriever.search(q, 5)} for q, a in queries) / len(queries)


def test_recall_at_5_on_real_dialogues(val: Path) -> None:
    # Known answers: a MultiWOZ goal description retrieves the user turns of its own dialogue.
    passages, queries = _goal_passages(val, 150)
    # Dense retrieval is tested offline in tests/memory/test_retrieval.py; embedding 150 long
    # dialogues here would cost minutes of CI on 2 cores.
    bm25 = _recall(BM25Retriever(passages), queries)
    assert bm25 > 0.6, bm25


def test_corpus_files_and_bad_input(val: Path, tmp_path: Path) -> None:
    real = load_corpus(val, limit=50)
    assert len(real) == 50 and real[0].text.startswith("Assistant: ")
    hit = BM25Retriever(real).search(real[7].text.split(" / User: ")[0], 1)
    assert hit[0].id == real[7].id
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(ConfigError, match="no passages"):
        load_corpus(tmp_path / "empty.txt")
    with pytest.raises(ConfigError, match="corpus file not found"):
        load_corpus(tmp_path / "missing.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"id": 1}\n')
    with pytest.raises(ConfigError, match=r"bad.jsonl:1: expected a JSON object"):
        load_corpus(tmp_path / "bad.jsonl")


CONFIG = """
models: {user: "embedded:tiny", target: "embedded:tiny"}
scenarios: [{id: s, goal: "Find a cheap hotel."}]
user:
  techniques: [%s]
"""


@pytest.mark.parametrize(
    ("techniques", "message"),
    [
        ("{retrieval: {corpus: missing.txt}}", "user.techniques.0.retrieval: "),
        ("{retrieval: {corpus: empty.txt}}", "holds no passages"),
        (
            "{retrieval: {corpus: kb.txt, trigger: gate, gate_model: wrong.json}}",
            "not a retrieval gate file",
        ),
        ("persona, verifer", "unknown technique 'verifer' (did you mean 'verifier'?)"),
    ],
)
def test_cli_bad_technique_input_exits_2(tmp_path: Path, techniques: str, message: str) -> None:
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "kb.txt").write_text("free parking at the hotel\n")
    (tmp_path / "wrong.json").write_text('{"kind": "other"}')
    (tmp_path / "run.yaml").write_text(CONFIG % techniques)
    result = run_cli(["run", "run.yaml", "-o", "out"], tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0
    assert message in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_gate_train(tmp_path: Path) -> None:
    rows = [
        {"text": f"Which {w} would you like?", "retrieve": True}
        for w in ("area", "day", "time", "price", "hotel", "food", "star", "stay")
    ]
    rows += [
        {"text": f"Your {w} is booked. Goodbye.", "retrieve": False}
        for w in ("table", "room", "train", "taxi", "ticket", "seat", "car", "trip")
    ]
    (tmp_path / "labels.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    result = run_cli(["gate", "train", "--labels", "labels.jsonl", "-o", "g.json"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "held-out accuracy" in result.stdout
    assert load_gate(tmp_path / "g.json").decide("Which area do you prefer?")
    bad = run_cli(["gate", "train", "-o", "g.json"], tmp_path)
    assert bad.returncode == 2 and "exactly one of --labels or --multiwoz" in bad.stderr
