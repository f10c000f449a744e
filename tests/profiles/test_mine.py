"""Behaviour profiles mined from real conversations: the mining round trip (mined -> sampled ->
re-mined) and ``simulacra personas mine`` on real MultiWOZ and Taskmaster data (issue #22)."""

from __future__ import annotations

import json
import random
import statistics
from pathlib import Path

from simulacra.profiles import _markers as m
from simulacra.profiles._io import load_personas
from simulacra.profiles._mine import (
    BehaviourVector,
    UserDialogue,
    mine_behaviour,
    sample_behaviour,
    to_persona,
    typo_words,
    user_dialogue,
)
from tests._cli import run_cli

_FILLER = [
    "i",
    "would",
    "like",
    "a",
    "table",
    "for",
    "tonight",
    "near",
    "the",
    "river",
    "in",
    "town",
    "centre",
]


def _write(v: BehaviourVector, rng: random.Random, turns: int = 24) -> UserDialogue:
    """A scripted user that writes to a behaviour vector (the test double of a simulated user
    conditioned on it): turn lengths around ``words_per_turn``, very short turns, please and
    question marks at the vector's rates."""
    out: list[tuple[str, str]] = []
    for _ in range(turns):
        if rng.random() < v.short_share:
            text = "ok"
        else:
            n = max(4, round(rng.gauss(v.words_per_turn, 1.0)))
            text = " ".join(rng.choice(_FILLER) for _ in range(n))
        if rng.random() < v.polite_share:
            text = "please " + text
        if rng.random() < v.question_share:
            text += "?"
        out += [("user", text), ("system", "Noted.")]
    return UserDialogue(v.id, tuple(out))


def _population(n: int, rng: random.Random) -> list[BehaviourVector]:
    """Users whose politeness rises with verbosity (a correlation the sampler must keep)."""
    out = []
    for i in range(n):
        verbose = rng.random()
        out.append(
            BehaviourVector(
                id=f"u{i}",
                words_per_turn=6 + 14 * verbose,
                short_share=rng.choice([0.0, 0.1, 0.3]),
                polite_share=min(0.95, max(0.02, 0.8 * verbose + rng.gauss(0, 0.08))),
                typo_rate=0.0,
                question_share=rng.uniform(0.1, 0.5),
            )
        )
    return out


def _ks(a: list[float], b: list[float]) -> float:
    points = sorted(a + b)
    return max(
        abs(sum(x <= p for x in a) / len(a) - sum(x <= p for x in b) / len(b)) for p in points
    )


def _corr(vs: list[BehaviourVector]) -> float:
    return statistics.correlation([v.words_per_turn for v in vs], [v.polite_share for v in vs])


def test_mined_sampled_re_mined_distribution_is_close() -> None:
    rng = random.Random(7)
    truth = _population(150, rng)
    mined = mine_behaviour([_write(v, rng) for v in truth])
    sampled = sample_behaviour(mined, 300, seed=3)
    re_mined = mine_behaviour([_write(v, rng) for v in sampled])
    for name in ("words_per_turn", "short_share", "polite_share", "question_share"):
        a = [float(v.values()[name] or 0) for v in mined]
        b = [float(v.values()[name] or 0) for v in re_mined]
        assert _ks(a, b) < 0.2, name
        assert abs(statistics.fmean(a) - statistics.fmean(b)) < 0.15 * max(
            1.0, statistics.fmean(a)
        ), name
    # the joint distribution: verbosity and politeness stay correlated as in the mined users
    assert _corr(mined) > 0.6
    assert abs(_corr(re_mined) - _corr(mined)) < 0.2
    # and the sampler is seeded
    assert sample_behaviour(mined, 5, seed=3) == sampled[:5]


def test_sampling_keeps_exact_zeros_and_missing_values() -> None:
    base = [
        BehaviourVector("a", 10.0, 0.0, 0.5, 0.0, 0.2, None, 1.0),
        BehaviourVector("b", 14.0, 0.0, 0.3, 0.0, 0.4, 0.5, None),
    ]
    for v in sample_behaviour(base, 50, seed=1):
        assert v.short_share == 0.0 and v.typo_rate == 0.0
        assert (v.disclosure is None) == (v.patience is not None)


def test_tokenised_corpus_text_is_mined_as_typed() -> None:
    """MultiWOZ's tokeniser spacing ("I 'm", "do n't", "hotel .") is undone before counting: the
    same user, tokenised or typed, mines the same behaviour."""
    from tests.evaluation._convs import conversation

    typed = ["I'm after a cheap hotel, please.", "Don't book it yet.", "Ok"]
    spaced = ["I 'm after a cheap hotel , please .", "Do n't book it yet .", "Ok"]
    system = ["Which area?", "Fine.", "Bye."]

    def mined(user: list[str]) -> BehaviourVector:
        lines = [x for pair in zip(user, system, strict=True) for x in pair]
        return mine_behaviour([user_dialogue(conversation(lines, id="c"), "user")])[0]

    assert m.surface_text("i do n't know , sorry .") == "i don't know, sorry."
    assert mined(spaced) == mined(typed)
    assert mined(spaced).words_per_turn == (6 + 4 + 1) / 3  # "i'm" and "don't" are one word


def test_typos_are_rare_words_one_edit_from_common_ones() -> None:
    from collections import Counter

    counts = Counter({"restaurant": 30, "hotel": 20, "restuarant": 1, "cambridge": 1, "hotle": 1})
    assert typo_words(counts) == {"restuarant", "hotle"}


def test_persona_knobs_follow_the_vector() -> None:
    p = to_persona(BehaviourVector("x", 8.0, 0.25, 0.1, 0.02, 0.5, 0.8, 0.9))
    b = p.behaviour
    assert b.verbosity == round((1.5 * 8 - 6) / 30, 3) and b.politeness == 0.1
    assert b.typo_rate == 0.02 and b.cooperativeness == 0.8 and b.patience == 0.9
    assert p.attributes["very short replies (three words or fewer)"] == "25% of your messages"
    assert any("very short" in line for line in p.behaviour_lines())  # a terse persona's budget


def test_cli_mines_multiwoz_and_taskmaster(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "mined.jsonl"
    stats = tmp_path / "stats.json"
    mw = shared_data / "multiwoz21" / "val.json.zip"
    result = run_cli(
        ["personas", "mine", str(mw), "--limit", "80", "-o", str(out), "--stats", str(stats)],
        tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "mined 80 users" in result.stdout and "polite_share" in result.stdout
    personas = load_personas(out)
    assert len(personas) == 80 and all(p.id.startswith("mined:multiwoz:") for p in personas)
    data = json.loads(stats.read_text())
    assert data["users"] == 80 and len(data["vectors"]) == 80
    # MultiWOZ goals are structured: disclosure is mined; its users are rarely very short
    assert data["summary"]["mined"]["disclosure"]["n"] > 40
    assert data["summary"]["mined"]["short_share"]["mean"] < 0.1
    sampled = tmp_path / "sampled.jsonl"
    again = run_cli(
        ["personas", "mine", str(mw), "--limit", "80", "-o", str(sampled), "--sample", "25"],
        tmp_path,
    )
    assert again.returncode == 0 and len(load_personas(sampled)) == 25

    tm = tmp_path / "tm"
    data_file = shared_data / "taskmaster" / "TM-4-2024" / "data" / "data_07.json"
    imported = run_cli(["data", "import", "taskmaster", str(data_file), "-o", str(tm)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    tm_out = tmp_path / "tm.jsonl"
    result = run_cli(["personas", "mine", str(tm), "-o", str(tm_out)], tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(load_personas(tm_out)) > 100


def test_cli_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "x.jsonl"
    missing = run_cli(["personas", "mine", str(tmp_path / "nope"), "-o", str(out)], tmp_path)
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    assert "nope" in missing.stderr
    bad = tmp_path / "notes.txt"
    bad.write_text("hello\n")
    wrong = run_cli(["personas", "mine", str(bad), "-o", str(out)], tmp_path)
    assert wrong.returncode == 2 and len(wrong.stderr.strip().splitlines()) == 1
    assert not out.exists()
