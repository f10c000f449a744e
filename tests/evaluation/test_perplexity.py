"""Perplexity of user turns under the tiny embedded model (real llama.cpp scoring)."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest

from simulacra.datasets._multiwoz import multiwoz_dialogues
from simulacra.errors import ConfigError
from simulacra.evaluation import ReferenceLM, compare_perplexity, perplexity
from tests._cli import run_cli
from tests.evaluation._convs import conversation

pytestmark = pytest.mark.embedded

NATURAL = "I would like to book a cheap hotel in the north of the city for two nights."


@pytest.fixture(scope="module")
def lm(tiny_gguf: str) -> ReferenceLM:
    return ReferenceLM(tiny_gguf, name="embedded:tiny", n_ctx=512)


def _shuffled(text: str, seed: int) -> str:
    words = text.split()
    random.Random(seed).shuffle(words)
    return " ".join(words)


def test_a_natural_sentence_is_more_likely_than_its_shuffle(lm: ReferenceLM) -> None:
    natural = lm.score("n", [(True, NATURAL)])
    shuffled = lm.score("s", [(True, _shuffled(NATURAL, 0))])
    assert natural[0].n_tokens > 10 and natural[0].turn_index == 0
    per_token = natural[0].nll / natural[0].n_tokens
    assert per_token < shuffled[0].nll / shuffled[0].n_tokens - 1.0
    assert 0 < per_token < 8


def test_only_user_turns_are_scored_and_context_helps(lm: ReferenceLM) -> None:
    c = conversation(
        [
            "Do you have a double room?",
            "Yes, a double room costs 130 EUR.",
            "Great, I will take the double room for 130 EUR.",
        ],
        id="c1",
    )
    report = perplexity([c], lm, resamples=50)
    assert [t.turn_index for t in report.turns] == [0, 2] and report.n_dialogues == 1
    assert report.perplexity.value == pytest.approx(math.exp(report.mean_nll.value))
    # the repeated facts are cheaper after the assistant said them than without context
    alone = lm.score("x", [(True, "Great, I will take the double room for 130 EUR.")])[0]
    assert report.turns[1].nll < alone.nll
    with pytest.raises(ConfigError, match="no user turns"):
        perplexity([conversation(["", "hello"], id="e")], lm)


def test_a_dialogue_longer_than_the_window_is_scored_turn_by_turn(tiny_gguf: str) -> None:
    small = ReferenceLM(tiny_gguf, n_ctx=96)
    turns = [(i % 2 == 0, f"I need a room for {i + 1} nights, please.") for i in range(12)]
    scores = small.score("long", turns)  # about 150 tokens in a 96-token window
    assert [s.turn_index for s in scores] == list(range(0, 12, 2))
    assert not scores[0].truncated and scores[-1].truncated
    assert all(s.n_tokens > 5 and 0 < s.nll / s.n_tokens < 10 for s in scores)
    small.close()


def test_real_multiwoz_users_against_shuffled_ones(lm: ReferenceLM, shared_data: Path) -> None:
    real = list(
        multiwoz_dialogues(shared_data / "multiwoz21" / "val.json.zip", with_turns=True, limit=2)
    )
    real_report = perplexity(real, lm, resamples=200)
    assert real_report.n_dialogues == 2 and real_report.n_tokens > 100
    shuffled = [
        conversation([_shuffled(t.text, i) for i, t in enumerate(d.turns)], id=d.id) for d in real
    ]
    cmp = compare_perplexity(perplexity(shuffled, lm, resamples=200), real_report, resamples=200)
    assert cmp.nll_difference.low > 0  # shuffled "users" are clearly less likely
    assert cmp.perplexity_ratio.value > 1


def test_cli_scores_a_run_against_the_real_users_of_its_goals(
    tiny_gguf: str, tmp_path: Path, shared_data: Path
) -> None:
    ref = shared_data / "multiwoz21" / "val.json.zip"
    real = list(multiwoz_dialogues(ref, with_turns=True, limit=2))
    run = tmp_path / "run"
    run.mkdir()
    (run / "run.json").write_text(json.dumps({"name": "t"}))
    convs = [
        conversation(
            ["I need a hotel in the north.", "Which price range?", "Cheap, please."],
            id=f"c{i}",
            scenario=f"multiwoz:{d.id}",
        )
        for i, d in enumerate(real)
    ]
    (run / "conversations.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in convs))
    out = run_cli(
        [
            "eval",
            "perplexity",
            str(run),
            "--model",
            "embedded:tiny",
            "--reference",
            str(ref),
            "--n-ctx",
            "512",
            "-o",
            "ppl.json",
        ],
        tmp_path,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    data = json.loads((tmp_path / "ppl.json").read_text())
    assert data["simulated"]["n_turns"] == 4 and data["real"]["n_dialogues"] == 2
    assert data["perplexity_ratio"]["value"] > 0 and "same goals" in out.stdout
    bad = run_cli(["eval", "perplexity", str(run), "--model", "openai:x"], tmp_path)
    assert bad.returncode == 2 and "perplexity model must be" in bad.stderr
