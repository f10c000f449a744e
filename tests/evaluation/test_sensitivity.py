"""Simulator sensitivity: the report on test doubles with known rankings, and
``simulacra sensitivity`` on real MultiWOZ goals (issue #22)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from simulacra.evaluation._sensitivity import kendall_tau, sensitivity_report
from tests._cli import run_cli


def test_kendall_tau_b() -> None:
    assert kendall_tau([1, 2, 3], [10, 20, 30]) == 1.0
    assert kendall_tau([1, 2, 3], [3, 2, 1]) == -1.0
    # one discordant pair of three: (2 - 1) / 3
    assert kendall_tau([1, 2, 3], [1, 3, 2]) == pytest.approx(1 / 3)
    assert math.isnan(kendall_tau([1, 1, 1], [1, 2, 3]))


def _cells(success: dict[str, float], n: int = 20) -> dict[str, dict[str, float]]:
    """n work items whose success is 1 for the first round(rate * n) of them."""
    return {f"s{i}": {"task_success": float(i < round(success["rate"] * n))} for i in range(n)}


def test_one_target_scored_differently_by_two_simulators() -> None:
    # a peer's tracker: the same agent at 50% with one simulated user and 80% with another
    table = {
        "lenient": {"agent": _cells({"rate": 0.8})},
        "strict": {"agent": _cells({"rate": 0.5})},
    }
    r = sensitivity_report(table, seed=1, resamples=300)
    means = r.means["task_success"]["agent"]
    assert means["lenient"].value == pytest.approx(0.8)
    assert means["strict"].value == pytest.approx(0.5)
    spread = r.spread["task_success"]["agent"]
    assert spread.value == pytest.approx(0.3)
    assert 0.0 < spread.low <= spread.value <= spread.high  # paired: the gap is always there
    assert r.ranking == {}  # one target: no ranking


def test_rankings_stable_and_reversed_are_told_apart() -> None:
    targets = {"good": 0.9, "mid": 0.6, "bad": 0.2}
    stable = {
        "sim_a": {t: _cells({"rate": rate}) for t, rate in targets.items()},
        "sim_b": {t: _cells({"rate": rate * 0.8}) for t, rate in targets.items()},
    }
    r = sensitivity_report(stable, seed=0, resamples=300)
    assert r.ranking["task_success"].value == 1.0
    assert r.pairwise_tau["task_success"] == {"sim_a vs sim_b": 1.0}
    flipped = {
        "sim_a": {t: _cells({"rate": rate}) for t, rate in targets.items()},
        "sim_c": {t: _cells({"rate": 1.1 - rate}) for t, rate in targets.items()},
    }
    r = sensitivity_report(flipped, seed=0, resamples=300)
    assert r.ranking["task_success"].value == -1.0
    assert r.ranking["task_success"].high < 0


def test_only_items_every_cell_completed_are_compared() -> None:
    table = {
        "a": {"t": {"x": {"turns": 4.0}, "y": {"turns": 6.0}}},
        "b": {"t": {"x": {"turns": 8.0}}},
    }
    r = sensitivity_report(table, resamples=50)
    assert r.items == 1 and r.means["turns"]["t"]["a"].value == 4.0
    with pytest.raises(ValueError, match="two simulated-user"):
        sensitivity_report({"a": table["a"]})
    with pytest.raises(ValueError, match="no work item"):
        sensitivity_report({"a": {"t": {"x": {}}}, "b": {"t": {"y": {}}}})


_TARGETS = """
def helpful(view):
    return ("I found one in the centre, cheap, 4 stars. The phone is 01223 351880, the postcode "
            "is cb2 1ab, the address is 12 regent street. I have booked it, the reference number "
            "is ABC12345.")


def unhelpful(view):
    return "Sorry, I cannot help with that."
"""


def test_cli_on_multiwoz_goals_with_two_agenda_users(tmp_path: Path, shared_data: Path) -> None:
    (tmp_path / "sens_targets.py").write_text(_TARGETS)
    test = shared_data / "multiwoz21" / "test.json.zip"
    (tmp_path / "base.yaml").write_text(
        "name: sens\nseed: 3\nmodels: {}\nuser: {type: agenda}\n"
        "target: {type: callable, callable: 'sens_targets:helpful'}\n"
        f"scenarios_from: {{multiwoz: {test}, limit: 12}}\n"
        "stop: {max_turns: 16}\nvalidity: {enabled: false}\n"
    )
    (tmp_path / "one.yaml").write_text("user: {type: agenda, acts_per_turn: [1, 1]}\n")
    (tmp_path / "many.yaml").write_text("user: {type: agenda, acts_per_turn: [2, 3]}\n")
    (tmp_path / "help.yaml").write_text(
        "target: {type: callable, callable: 'sens_targets:helpful'}\n"
    )
    (tmp_path / "nohelp.yaml").write_text(
        "target: {type: callable, callable: 'sens_targets:unhelpful'}\n"
    )
    out = tmp_path / "out"
    html = tmp_path / "report.html"
    result = run_cli(
        ["sensitivity", "base.yaml", "--users", "one.yaml", "many.yaml", "--targets", "help.yaml",
         "nohelp.yaml", "--limit", "6", "-o", str(out), "--html", str(html)],
        tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "2 simulators x 2 target(s), 6 work items" in result.stdout
    assert "ranking stability" in result.stdout
    data = json.loads((out / "sensitivity.json").read_text())["sensitivity"]
    assert data["simulators"] == ["one", "many"] and data["targets"] == ["help", "nohelp"]
    turns = data["means"]["turns"]
    # the unhelpful target keeps every user talking longer, under both simulators
    for sim in ("one", "many"):
        assert turns["nohelp"][sim]["value"] >= turns["help"][sim]["value"]
    # one act per turn makes longer conversations than two or three: the simulator matters
    assert turns["help"]["one"]["value"] > turns["help"]["many"]["value"]
    assert data["spread"]["turns"]["help"]["low"] > 0
    assert "task_success" in data["means"]
    text = html.read_text()
    assert "Simulator sensitivity" in text and "spread [95% CI]" in text
    for cell in ("one__help", "one__nohelp", "many__help", "many__nohelp"):
        (run,) = (out / "runs" / cell).iterdir()
        assert (run / "sensitivity.json").is_file()


def test_cli_bad_input_is_one_line_and_runs_nothing(tmp_path: Path, shared_data: Path) -> None:
    test = shared_data / "multiwoz21" / "test.json.zip"
    (tmp_path / "base.yaml").write_text(
        "name: s\nmodels: {}\nuser: {type: agenda}\n"
        f"scenarios_from: {{multiwoz: {test}, limit: 2}}\n"
    )
    (tmp_path / "bad.yaml").write_text("stop: {max_turns: 3}\n")
    (tmp_path / "ok.yaml").write_text("user: {type: agenda}\n")
    out = tmp_path / "out"
    for users, word in (
        (["bad.yaml", "ok.yaml"], "stop"),
        (["ok.yaml"], "at least two"),
        (["nope.yaml", "ok.yaml"], "nope.yaml"),
        (["a=ok.yaml", "a=model:embedded:tiny"], "twice"),
    ):
        r = run_cli(["sensitivity", "base.yaml", "--users", *users, "-o", str(out)], tmp_path)
        assert r.returncode == 2, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and word in r.stderr
        assert not (out / "runs").exists()
