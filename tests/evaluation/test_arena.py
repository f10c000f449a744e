"""Arena: Bradley–Terry and Elo rankings, and pairing runs' conversations for a judge."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.evaluation import Battle, arena, bradley_terry, elo
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.testing import function_model
from tests._cli import run_cli
from tests.evaluation._convs import conversation


def test_two_systems_mle_is_the_win_ratio() -> None:
    # 3 wins of x, 1 of y: p_x / p_y = 3, so the gap is 400*log10(3) = 190.85 Elo points
    battles = [Battle("x", "y", "a")] * 3 + [Battle("x", "y", "b")]
    r = bradley_terry(battles, prior=0, resamples=0)
    assert r.rating("x") - r.rating("y") == pytest.approx(400 * math.log10(3), abs=1e-6)
    assert r.win_probability("x", "y") == pytest.approx(0.75, abs=1e-9)
    # geometric mean of strengths is 1: ratings centre on 1000
    assert r.rating("x") + r.rating("y") == pytest.approx(2000, abs=1e-6)
    assert [s.system for s in r.ratings] == ["x", "y"]
    assert (r.ratings[0].wins, r.ratings[0].losses, r.ratings[0].ties) == (3, 1, 0)


def test_ties_count_half_and_a_hand_solved_triangle() -> None:
    # x-y: 1 tie -> equal; the cycle x>y, y>z, z>x once each -> all equal
    assert bradley_terry([Battle("x", "y", "tie")], prior=0, resamples=0).rating(
        "x"
    ) == pytest.approx(1000)
    cycle = [Battle("x", "y", "a"), Battle("y", "z", "a"), Battle("z", "x", "a")]
    r = bradley_terry(cycle, prior=0, resamples=0)
    assert {round(s.rating.value, 6) for s in r.ratings} == {1000.0}
    # x beats y 2-0, y and z tie twice, x-z 1-1: the MLE equations, solved by hand:
    # p_x/(p_x+p_y) * 2 + p_x/(p_x+p_z) * 2 = 3 (x's wins) etc.; check the fitted p satisfy them
    battles = [Battle("x", "y", "a")] * 2 + [Battle("y", "z", "tie")] * 2
    battles += [Battle("x", "z", "a"), Battle("x", "z", "b")]
    r = bradley_terry(battles, prior=0, resamples=0)
    p = {s: 10 ** ((r.rating(s) - 1000) / 400) for s in "xyz"}

    def expected_wins(i: str) -> float:
        games = {("x", "y"): 2, ("y", "z"): 2, ("x", "z"): 2}
        total = 0.0
        for (a, b), n in games.items():
            if i == a:
                total += n * p[a] / (p[a] + p[b])
            elif i == b:
                total += n * p[b] / (p[a] + p[b])
        return total

    assert expected_wins("x") == pytest.approx(3.0, abs=1e-6)
    assert expected_wins("y") == pytest.approx(1.0, abs=1e-6)
    assert expected_wins("z") == pytest.approx(2.0, abs=1e-6)


def test_a_system_that_never_lost_stays_finite_with_the_prior() -> None:
    battles = [Battle("x", "y", "a")] * 4
    assert math.isinf(bradley_terry(battles, prior=0, resamples=0).rating("y"))
    r = bradley_terry(battles, prior=0.5, resamples=50)
    assert math.isfinite(r.rating("y")) and r.rating("x") > r.rating("y")


def _synthetic(strengths: dict[str, float], n: int, seed: int) -> list[Battle]:
    rng = random.Random(seed)
    names = list(strengths)
    out = []
    for _ in range(n):
        a, b = rng.sample(names, 2)
        pa = strengths[a] / (strengths[a] + strengths[b])
        out.append(Battle(a, b, "a" if rng.random() < pa else "b"))
    return out


def test_bradley_terry_recovers_known_strengths_within_its_interval() -> None:
    strengths = {"s1": 4.0, "s2": 2.0, "s3": 1.0, "s4": 0.5}
    g = math.exp(sum(math.log(v) for v in strengths.values()) / 4)
    truth = {s: 1000 + 400 * math.log10(v / g) for s, v in strengths.items()}
    r = bradley_terry(_synthetic(strengths, 1200, seed=1), resamples=200, seed=2)
    assert [s.system for s in r.ratings] == ["s1", "s2", "s3", "s4"]
    for s in r.ratings:
        assert s.rating.low <= truth[s.system] <= s.rating.high, (s, truth[s.system])
        assert s.rating.high - s.rating.low < 120


def test_elo_orders_systems_and_its_interval_covers_order() -> None:
    battles = _synthetic({"good": 4.0, "mid": 1.0, "bad": 0.25}, 600, seed=3)
    r = elo(battles, resamples=100, seed=0)
    assert [s.system for s in r.ratings] == ["good", "mid", "bad"]
    assert sum(s.rating.value for s in r.ratings) == pytest.approx(3000)  # zero-sum updates
    assert all(s.rating.low < s.rating.value < s.rating.high for s in r.ratings)
    # a tie between equals moves nothing
    assert elo([Battle("x", "y", "tie")], resamples=0).rating("x") == pytest.approx(1000)
    with pytest.raises(ValueError):
        elo([])
    with pytest.raises(ValueError):
        Battle("x", "x", "a")


def _system(name: str, quality: str) -> list:  # type: ignore[type-arg]
    return [
        conversation(
            ["I need a room.", f"{quality} answer {i}", "Thanks."],
            id=f"{name}{i}",
            scenario=f"s{i}",
        )
        for i in range(4)
    ]


async def test_arena_pairs_by_scenario_and_counts_only_order_consistent_wins() -> None:
    prompts: list[str] = []

    def judge(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        text = messages[-1].content
        prompts.append(text)
        a = text.split("Response A:")[1].split("Response B:")[0]
        b = text.split("Response B:")[1]
        rank = {"great": 3, "fine": 2, "poor": 1}
        score = {w: rank[w] for w in rank if w in a}, {w: rank[w] for w in rank if w in b}
        sa, sb = max(score[0].values()), max(score[1].values())
        better = "A" if sa > sb else "B" if sb > sa else "tie"
        return json.dumps({"explanation": "x", "better": better})

    groups = {n: _system(n, q) for n, q in (("g", "great"), ("f", "fine"), ("p", "poor"))}
    report = await arena(groups, function_model(judge), resamples=100)
    assert report.n_keys == 4 and len(report.battles) == 12 and report.unanswered == 0
    assert [s.system for s in report.bradley_terry.ratings] == ["g", "f", "p"]
    assert report.position_bias.flip_rate.value == 0.0
    # the shared opening turn is context, not part of the compared continuations
    assert "User: I need a room." in prompts[0].split("Response A:")[0]
    assert "I need a room." not in prompts[0].split("Response A:")[1]
    assert len(prompts) == 24  # both orders of each comparison


async def test_a_judge_that_always_says_a_produces_only_ties() -> None:
    always_a = function_model(lambda m, c: '{"explanation": "x", "better": "A"}')
    groups = {"g": _system("g", "great"), "p": _system("p", "poor")}
    report = await arena(groups, always_a, resamples=10)
    assert all(b.winner == "tie" for b in report.battles)
    assert report.position_bias.flip_rate.value == 1.0
    assert report.bradley_terry.rating("g") == pytest.approx(report.bradley_terry.rating("p"))


async def test_arena_refuses_systems_without_shared_conversations() -> None:
    judge = function_model(lambda m, c: '{"explanation": "x", "better": "A"}')
    a = [conversation(["hi", "yo"], id="a", scenario="s1")]
    b = [conversation(["hi", "yo"], id="b", scenario="s2")]
    with pytest.raises(ConfigError, match="share no"):
        await arena({"a": a, "b": b}, judge)
    with pytest.raises(ConfigError, match="at least 2"):
        await arena({"a": a}, judge)


def _run_dir(path: Path, name: str, convs: list) -> Path:  # type: ignore[type-arg]
    path.mkdir()
    (path / "run.json").write_text(json.dumps({"name": name}))
    (path / "conversations.jsonl").write_text("".join(c.model_dump_json() + "\n" for c in convs))
    return path


@pytest.mark.embedded
def test_cli_arena_with_the_tiny_model_as_judge(tiny_gguf: str, tmp_path: Path) -> None:
    a = _run_dir(tmp_path / "a", "polite", _system("a", "great")[:1])
    b = _run_dir(tmp_path / "b", "rude", _system("b", "poor")[:1])
    out = run_cli(
        [
            "eval",
            "arena",
            str(a),
            str(b),
            "--judge",
            "embedded:tiny",
            "--max-tokens",
            "60",
            "-o",
            "arena.json",
        ],
        tmp_path,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    report = json.loads((tmp_path / "arena.json").read_text())
    assert set(report["systems"]) == {"polite", "rude"} and report["n_keys"] == 1
    assert report["n_battles"] + report["unanswered"] == 1
    assert len(report["verdicts"]) == 1 and "bradley_terry" in report
    bad = run_cli(["eval", "arena", str(a), "--judge", "embedded:tiny"], tmp_path)
    assert bad.returncode == 2 and "at least 2 run directories" in bad.stderr
    bad = run_cli(["eval", "arena", str(a), str(b), "--judge", "embedded:huge"], tmp_path)
    assert bad.returncode == 2 and "unknown embedded tier" in bad.stderr
