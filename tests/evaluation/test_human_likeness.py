"""Human-likeness: lexical measures, the behavioural fingerprint, the calibrated pairwise judge,
and the section in ``simulacra fidelity`` (issue #22)."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from simulacra.evaluation._fingerprint import FingerprintDialogue, fingerprint, from_conversation
from simulacra.evaluation._human_likeness import human_likeness
from simulacra.evaluation._lexical import hdd, lexical_z_scores, mattr, yules_k
from simulacra.evaluation._pairwise_judge import calibrated_score, judge_pairs, parse_verdict
from simulacra.profiles import _markers as m
from tests._cli import run_cli
from tests.evaluation._convs import conversation

# --- lexical measures against hand-computed values -------------------------------------------


def test_mattr_is_the_mean_ttr_of_every_window() -> None:
    # windows of 3 over a b a c: {a,b,a} 2/3, {b,a,c} 3/3 -> 5/6
    assert mattr(["a", "b", "a", "c"], window=3) == pytest.approx(5 / 6)
    # windows of 2: ab, ba, ac all 1.0
    assert mattr(["a", "b", "a", "c"], window=2) == pytest.approx(1.0)
    # shorter than the window: the plain type-token ratio
    assert mattr(["a", "a", "b"]) == pytest.approx(2 / 3)
    assert math.isnan(mattr([]))


def test_yules_k_by_hand() -> None:
    # a a b c: N=4, V1=2, V2=1 -> sum i^2 V_i = 2 + 4 = 6; K = 1e4 (6 - 4) / 16 = 1250
    assert yules_k(["a", "a", "b", "c"]) == pytest.approx(1250.0)
    # all distinct: sum = N -> K = 0
    assert yules_k(["a", "b", "c"]) == pytest.approx(0.0)


def test_hdd_is_the_expected_ttr_of_a_sample() -> None:
    # a a b c, samples of 2: of the 6 pairs only {a,a} has TTR 1/2 -> (0.5 + 5) / 6 = 11/12
    assert hdd(["a", "a", "b", "c"], sample=2) == pytest.approx(11 / 12)
    assert hdd(list("abcd"), sample=4) == pytest.approx(1.0)
    assert math.isnan(hdd(["a"] * 41))  # fewer than 42 tokens: no value


def test_z_score_is_in_human_standard_deviations() -> None:
    # real dialogues with TTR 0.5, 0.75, 1.0 (windows shorter than 50 -> plain TTR)
    real = [["a a b b"], ["a a b c"], ["a b c d"]]
    sim = [["a a a a"], ["a a a a"]]  # TTR 0.25
    out, skipped = lexical_z_scores(real, sim, seed=1, resamples=200)
    z = out["mattr_50"]
    assert z.real_mean == pytest.approx(0.75) and z.real_sd == pytest.approx(0.25)
    assert z.z.value == pytest.approx((0.25 - 0.75) / 0.25)
    assert z.z.low <= z.z.value <= z.z.high
    assert "hdd_42" in skipped  # 4 tokens per dialogue


# --- fingerprint features on hand-written turns -----------------------------------------------


def test_turn_markers_on_hand_written_turns() -> None:
    assert m.is_short("ok thanks") and not m.is_short("I need a cheap hotel in the north")
    assert m.is_polite("Could you please book it?") and m.is_polite("thanks, bye")
    assert not m.is_polite("book it for 3 people")
    assert m.is_question("what is the address") and m.is_question("Postcode?")
    assert not m.is_question("I want a train to Cambridge.")
    assert m.is_clarification("what do you mean?") and m.is_clarification("sorry?")
    assert not m.is_clarification("I want a taxi")
    assert m.is_system_trouble("Sorry, there are no trains at that time.")
    assert m.is_system_trouble("I'm unable to book that.")
    assert not m.is_system_trouble("Your booking is confirmed, reference AB12.")
    assert m.reaction(None) == "ended"
    assert m.reaction("this is useless") == "negative"
    assert m.reaction("how about a different day?") == "retry"
    assert m.reaction("ok, thanks") == "accept"
    items = [("area", "north"), ("price range", "cheap"), ("book people", "4")]
    mentions = m.first_mentions(["a cheap place in the north", "for 4 people"], items)
    assert mentions == [("area", 0), ("price range", 0)]  # one-character values are not read


def _dialogue(
    i: int, user: list[str], system: list[str], items: tuple[tuple[str, str], ...] = ()
) -> FingerprintDialogue:
    turns = []
    for k, u in enumerate(user):
        turns.append(("user", u))
        if k < len(system):
            turns.append(("system", system[k]))
    return FingerprintDialogue(f"d{i}", tuple(turns), items)


def test_fingerprint_separates_terse_from_wordy_users() -> None:
    items = (("area", "north"), ("price range", "cheap"))
    terse = [
        _dialogue(
            i, ["hotel", "north", "cheap", "ok"], ["Sorry, none there.", "Ok.", "Bye."], items
        )
        for i in range(12)
    ]
    wordy = [
        _dialogue(
            i,
            [
                "Hello, could you please find me a cheap hotel in the north of town?",
                "Thank you very much for your help!",
            ],
            ["Sorry, there are no hotels like that.", "You're welcome."],
            items,
        )
        for i in range(12)
    ]
    same, _ = fingerprint(terse, terse, seed=0, resamples=50)
    apart, skipped = fingerprint(terse, wordy, seed=0, resamples=50)
    assert not skipped
    assert (
        apart["very_short_turns"].real["1"] == 1.0
        and apart["very_short_turns"].simulated.get("1", 0) == 0
    )
    assert apart["very_short_turns"].value.value == pytest.approx(1.0)  # disjoint yes/no
    assert apart["politeness"].simulated["1"] == 1.0
    assert same["very_short_turns"].value.value == pytest.approx(0.0)
    # the wordy user says both items in its first turn, the terse one spreads them
    assert apart["disclosure_first_turn"].simulated["mean"] == 1.0
    assert apart["disclosure_first_turn"].real["mean"] == 0.0
    assert apart["trouble_reactions"].real["other"] == 1.0  # "north" after the refusal
    assert apart["trouble_reactions"].simulated["accept"] == 1.0  # "Thank you very much..."
    assert apart["ended_by"].real["user"] == 1.0


def test_tokenised_corpus_text_is_compared_as_typed() -> None:
    """MultiWOZ's spacing ("I 'm", "hotel .") is undone before anything is counted or shown, so
    the same words tokenised and typed give the same report and the judge never sees it."""
    typed = ["I'm looking for a cheap hotel, please.", "Sure"]
    spaced = ["I 'm looking for a cheap hotel , please .", "Sure"]
    system = ["Which area would you like?", "Booked."]

    def lines(user: list[str]) -> list[str]:
        return [x for pair in zip(user, system, strict=True) for x in pair]

    real = [conversation(lines(spaced), id=f"r{i}", scenario=f"r{i}") for i in range(4)]
    sim = [conversation(lines(typed), id=f"s{i}", scenario=f"s{i}") for i in range(4)]
    d = from_conversation(real[0], "user")
    assert d.user_turns == typed
    assert m.words(d.user_turns[0])[:2] == ["i'm", "looking"]
    prompts: list[str] = []

    async def ask(prompt: str) -> str:
        prompts.append(prompt)
        return "both"

    report = human_likeness(sim, real, seed=0, resamples=20, judge=ask, judge_pairs_n=2)
    assert (
        report.fingerprint["very_short_turns"].real
        == report.fingerprint["very_short_turns"].simulated
    )
    assert prompts and not any(" ." in p or " 'm" in p or " ," in p for p in prompts)


# --- the calibration on scripted judges -------------------------------------------------------


def test_calibration_formula() -> None:
    assert calibrated_score(0.3, hh=0.7, pp=0.1) == pytest.approx(1 / 3)
    assert calibrated_score(0.9, hh=0.7, pp=0.1) == 1.0  # clipped
    assert calibrated_score(0.0, hh=0.7, pp=0.1) == 0.0
    assert calibrated_score(0.5, hh=0.5, pp=0.5) is None  # anchors do not separate
    assert calibrated_score(0.5, hh=0.5, pp=0.5, min_gap=0.0) is None  # tied, not 0/0
    assert calibrated_score(0.5, hh=0.4, pp=0.6, min_gap=0.0) is None  # reversed anchors
    assert parse_verdict('{"real": "both"}') == (True, True)
    assert parse_verdict("B") == (False, True)
    assert parse_verdict("I cannot say") is None


def _sides(kind: str, n: int) -> list[list[str]]:
    return [[f"{kind} user {i} turn one", f"{kind} turn two"] for i in range(n)]


def _scripted(rule: str) -> tuple[Callable[[str], Awaitable[str]], list[str]]:
    calls: list[str] = []

    async def ask(prompt: str) -> str:
        calls.append(prompt)
        a_part, b_part = prompt.split("User A wrote:")[1].split("User B wrote:")
        a_real, b_real = "REAL" in a_part, "REAL" in b_part
        if rule == "perfect":  # names exactly the real sides
            return {(True, True): "both", (True, False): "A", (False, True): "B"}.get(
                (a_real, b_real), "neither"
            )
        if rule == "fooled":  # sees a simulator as human only beside a real user
            if a_real != b_real:
                return "both"
            return "both" if a_real else "neither"
        return "both"  # calls everybody human

    return ask, calls


def test_scripted_judge_that_always_spots_the_simulator_scores_zero() -> None:
    ask, calls = _scripted("perfect")
    r = asyncio.run(judge_pairs(ask, _sides("REAL", 6), _sides("SIM", 6), pairs=5, samples=3))
    assert len(calls) == 3 * 5 * 3  # three kinds of pair, 5 pairs, 3 samples
    assert r.hh.value == 1.0 and r.pp.value == 0.0 and r.s.value == 0.0
    assert r.score is not None and r.score.value == 0.0
    assert r.detection.value == 1.0
    # the A/B order is seeded and varies: both orders were shown
    assert any(c.split("User B")[0].count("REAL") for c in calls)
    assert any(c.split("User B")[1].count("REAL") and "SIM" in c.split("User B")[0] for c in calls)


def test_scripted_judge_fooled_beside_humans_scores_one() -> None:
    ask, _ = _scripted("fooled")
    r = asyncio.run(judge_pairs(ask, _sides("REAL", 6), _sides("SIM", 6), pairs=4, samples=3))
    assert (r.s.value, r.hh.value, r.pp.value) == (1.0, 1.0, 0.0)
    assert r.score is not None and r.score.value == 1.0 and r.detection.value == 0.5


def test_a_judge_calling_everyone_human_gives_no_score() -> None:
    ask, _ = _scripted("everyone")
    r = asyncio.run(judge_pairs(ask, _sides("REAL", 4), _sides("SIM", 4), pairs=3, samples=3))
    assert r.score is None and r.note is not None and "do not separate" in r.note
    with pytest.raises(ValueError, match="3 samples"):
        asyncio.run(judge_pairs(ask, _sides("REAL", 4), _sides("SIM", 4), samples=2))


# --- the CLI on real data ---------------------------------------------------------------------


@pytest.mark.model
def test_cli_prints_the_human_likeness_table_with_a_real_judge(
    tmp_path: Path, shared_data: Path, tiny_gguf: str
) -> None:
    mw = shared_data / "multiwoz21"
    run = tmp_path / "val"
    imported = run_cli(
        ["data", "import", "multiwoz21", str(mw / "val.json.zip"), "-o", str(run), "--limit", "20"],
        tmp_path,
    )
    assert imported.returncode == 0, imported.stderr
    out = run / "fidelity.json"  # beside the run: the HTML report shows it
    result = run_cli(
        [
            "fidelity", str(run), "--reference", str(mw / "test.json.zip"), "--no-baseline",
            "--judge", "embedded:tiny", "--judge-pairs", "2", "--judge-samples", "3",
            "-o", str(out),
        ],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for row in ("human-likeness", "mattr_50", "yules_k", "hdd_42", "very_short_turns",
                "politeness", "trouble_reactions", "judge detection"):  # fmt: skip
        assert row in result.stdout, row
    data = json.loads(out.read_text())["human_likeness"]
    assert set(data["lexical"]) == {"mattr_50", "yules_k", "hdd_42"}
    # real users against real users: every lexical z-score interval holds 0
    for z in data["lexical"].values():
        assert z["z"]["low"] <= 0.0 <= z["z"]["high"]
    judge = data["judge"]
    assert judge["pairs"] == {"test": 2, "hh": 2, "pp": 2} and judge["samples"] == 3
    assert judge["model"] == "embedded:tiny" and judge["template"] == "judge/pairwise_human"
    html = tmp_path / "report.html"
    report = run_cli(["report", str(run), "-o", str(html)], tmp_path)
    assert report.returncode == 0, report.stderr
    text = html.read_text()
    assert "<h2>Human-likeness</h2>" in text and "hdd_42" in text and "judge detection" in text
    bad = run_cli(
        ["fidelity", str(run), "--reference", str(mw / "test.json.zip"), "--judge-samples", "2"],
        tmp_path,
    )
    assert bad.returncode == 2 and "--judge-samples" in bad.stderr.strip().splitlines()[-1]
