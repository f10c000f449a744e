"""Fidelity and eval over studies (issue #18): several run directories in one call, each
conversation with its own run's goals; pairing by any scenario id; who ended a dialogue; the
max_turns flag; the real-vs-real baselines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
)
from simulacra.datasets import import_corpus
from simulacra.errors import ConfigError
from simulacra.evaluation._audit import audit_report
from simulacra.evaluation._fidelity import fidelity_report
from simulacra.evaluation._fidelity_measures import _from_conversation
from simulacra.evaluation._population import Population, run_population
from simulacra.evaluation._study import max_turns_flags, pair_conversations, study_population
from simulacra.runs._store import RunWriter
from tests._cli import run_cli
from tests.runs.test_corpus_scenarios import FIXTURE, imported_run

PARTICIPANTS = [
    ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
    ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
]


def _conversation(
    cid: str,
    scenario: str,
    turns: list[tuple[str, str]],
    termination: TerminationReason = TerminationReason.USER_STOP,
    ended_by: str | None = "user",
) -> Conversation:
    return Conversation(
        id=cid,
        scenario_id=scenario,
        participants=PARTICIPANTS,
        turns=[Turn(speaker=s, utterance=u, time=0.0) for s, u in turns],
        termination=termination,
        ended_by=ended_by,
    )


def _run(directory: Path, goal: str, conversations: list[Conversation]) -> Path:
    writer = RunWriter(
        directory,
        {
            "name": directory.name,
            "status": "complete",
            "config": {"scenarios": [{"id": "s1", "goal": goal}]},
        },
    )
    for c in conversations:
        writer.write(c)
    writer.close()
    return directory


# three runs that reuse the scenario id "s1" for three different goals; each user conveys its own
STUDY = [
    (
        "Book a table for 4 people at 19:30 on Friday.",
        [
            ("user", "A table for 4 people at 19:30 on Friday, please."),
            ("assistant", "Done."),
            ("user", "Thanks, bye."),
        ],
    ),
    (
        "Order 2 lattes with oat milk for 08:15, name Ana.",
        [
            ("user", "Two lattes with oat milk for 08:15."),
            ("assistant", "Name for the order?"),
            ("user", "Ana. Thanks, bye."),
        ],
    ),
    (
        "Rent a compact car in Portland from 12 May, code PX-4471.",
        [
            ("user", "I'd like a compact car in Portland from 12 May."),
            ("assistant", "Any discount code?"),
            ("user", "PX-4471. Thanks, bye."),
        ],
    ),
]


def _study(tmp_path: Path) -> list[Path]:
    return [
        _run(tmp_path / f"run{i}", goal, [_conversation(f"c{i}", "s1", turns)])
        for i, (goal, turns) in enumerate(STUDY)
    ]


def test_a_study_of_three_runs_audits_each_conversation_against_its_own_goals(
    tmp_path: Path,
) -> None:
    runs = _study(tmp_path)
    study = study_population(runs)
    assert study.kind == "study" and len(study.conversations) == 3
    assert [study.goal_of(c) for c in study.conversations] == [g for g, _ in STUDY]
    assert "s1" not in study.goals  # one id, three goals: never resolved by id
    report = audit_report(study)
    singles = [audit_report(run_population(r)) for r in runs]
    for rule in ("invented_fact", "premature_stop"):
        assert report.rates[rule].value == 0.0
        assert all(s.rates[rule].value == 0.0 for s in singles)
    # what a hand merge did: the first run's goals for every conversation
    merged = Population("merged", study.conversations, {"s1": STUDY[0][0]}, {}, "run")
    wrong = audit_report(merged)
    assert wrong.rates["invented_fact"].value > 0 and wrong.rates["premature_stop"].value > 0
    # the same through the command line, as JSON
    out = tmp_path / "audit.json"
    result = run_cli(["eval", "audit", *map(str, runs), "-o", str(out)], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["n_conversations"] == 3
    assert data["rates"]["invented_fact"]["value"] == 0.0
    assert data["rates"]["premature_stop"]["value"] == 0.0


def test_a_study_names_bad_runs(tmp_path: Path) -> None:
    runs = _study(tmp_path)
    with pytest.raises(ConfigError, match=r"run0: given twice"):
        study_population([runs[0], runs[1], runs[0]])
    result = run_cli(["eval", "audit", str(runs[0]), str(tmp_path / "nope")], cwd=tmp_path)
    assert result.returncode == 2 and "nope: run directory not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _real(tmp_path: Path) -> list[Conversation]:
    return list(
        import_corpus("generic", FIXTURE / "dialogues.jsonl", mapping=FIXTURE / "mapping.yaml")
    )


def _simulated(real: list[Conversation], ids: list[str]) -> list[Conversation]:
    by_id = {c.id: c for c in real}
    out = []
    for n, sid in enumerate(ids):
        turns = [
            (("user" if t.speaker == "user" else "assistant"), t.utterance.upper())
            for t in by_id[sid].turns
        ]
        out.append(_conversation(f"sim{n}", sid, turns))
    return out


def test_pairing_by_any_scenario_id(tmp_path: Path) -> None:
    real = _real(tmp_path)
    ids = ["sgd-mini:car-001", "sgd-mini:car-002", "sgd-mini:dent-002", "sgd-mini:music-002"]
    sim = _simulated(real, ids)
    paired, n = pair_conversations(sim, real)
    assert n == 4 and [c.id for c in paired] == ids
    report = fidelity_report(sim, real, seed=0, resamples=50, human_likeness=False)
    assert report.paired and report.n_paired == 4 and report.n_reference == 4
    # a goal id mapped with fields.scenario_id pairs every real dialogue of that goal
    for c in real:
        c.scenario_id = "goal-cars" if "car-" in c.id else "goal-other"
    sim[0].scenario_id = "goal-cars"
    paired, n = pair_conversations(sim[:1], real)
    assert n == 1 and sorted(c.id for c in paired) == [
        "sgd-mini:car-001",
        "sgd-mini:car-002",
        "sgd-mini:car-003",
    ]
    unknown = _conversation("x", "nowhere", [("user", "hi")])
    assert pair_conversations([unknown], real) == (real, 0)


def test_ended_by_counts_a_stop_sentinel_and_max_turns_is_flagged() -> None:
    turns = [("user", "I need a car."), ("assistant", "Anything else?")]
    sentinel = _conversation("a", "s", turns)  # the user stopped with its sentinel: no turn
    assert _from_conversation(sentinel, "user").last_speaker == "user"
    capped = _conversation("b", "s", turns, TerminationReason.MAX_TURNS, "loop")
    assert _from_conversation(capped, "user").last_speaker == "system"
    assert max_turns_flags([sentinel, capped]) == {}
    flags = max_turns_flags([sentinel, capped, capped])
    assert set(flags) == {"user_turns_per_dialogue", "ended_by"}
    assert flags["ended_by"].startswith("2 of 3 simulated dialogues ended at max_turns")


def test_fidelity_over_a_study_pairs_and_sizes_its_baselines(tmp_path: Path) -> None:
    reference = imported_run(tmp_path)
    real = _real(tmp_path)
    groups = [
        ["sgd-mini:car-001", "sgd-mini:car-002"],
        ["sgd-mini:dent-002"],
        ["sgd-mini:music-002", "sgd-mini:car-003"],
    ]
    runs = []
    for i, ids in enumerate(groups):
        sims = _simulated(real, ids)
        for c in sims:
            c.id = f"r{i}-{c.id}"
        if i == 2:  # this run's dialogues all hit the cap
            for c in sims:
                c.termination, c.ended_by = TerminationReason.MAX_TURNS, "loop"
        runs.append(_run(tmp_path / f"sim{i}", "g", sims))
    out = tmp_path / "fidelity.json"
    result = run_cli(
        [
            "fidelity",
            *map(str, runs),
            "--reference",
            str(reference),
            "--large-baseline",
            "--no-human-likeness",
            "-o",
            str(out),
        ],
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "5 simulated vs 5 real dialogues (5 paired by goal)" in result.stdout
    data = json.loads(out.read_text())
    assert data["runs"] == [str(r) for r in runs] and data["n_paired"] == 5
    assert data["baseline_large"]["per_half"] == 4  # halves of the 9 real dialogues
    assert data.get("flags") is None  # 2 of 5 at the cap: not dominated
    capped = run_cli(
        [
            "fidelity",
            str(runs[1]),
            str(runs[2]),
            "--reference",
            str(reference),
            "-o",
            str(out),
            "--no-human-likeness",
        ],
        cwd=tmp_path,
    )
    assert capped.returncode == 0, capped.stderr
    assert "flag: 2 of 3 simulated dialogues ended at max_turns" in capped.stdout
    assert set(json.loads(out.read_text())["flags"]) == {"user_turns_per_dialogue", "ended_by"}
    few = run_cli(
        ["fidelity", str(runs[1]), "--reference", str(reference), "--no-human-likeness"],
        cwd=tmp_path,
    )
    assert few.returncode == 2  # one dialogue: too few user turns to compare
    assert "fidelity needs at least 10 user turns per side" in few.stderr


def test_eval_run_over_a_study_keeps_each_run_s_conversations_apart(tmp_path: Path) -> None:
    """Two runs that reuse conversation id "c" and scenario id "s1": one reached its goal, one
    did not. As a study both count (ids become RUN/ID), so success is 1 of 2, not one record
    overwriting the other; a judge over a study is refused in one line."""
    done = _conversation("c", "s1", STUDY[0][1], termination=TerminationReason.GOAL_REACHED)
    not_done = _conversation("c", "s1", STUDY[1][1])
    runs = [
        _run(tmp_path / "a", STUDY[0][0], [done]),
        _run(tmp_path / "b", STUDY[1][0], [not_done]),
    ]
    out = tmp_path / "metrics.json"
    args = ["eval", "run", *map(str, runs), "--metrics", "success", "-o", str(out)]
    result = run_cli(args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "study of 2 runs: 2 conversations" in result.stdout
    data = json.loads(out.read_text())
    assert data["runs"] == [str(r) for r in runs]
    metrics = data["metrics"]
    assert metrics["n_conversations"] == 2
    assert set(metrics["per_conversation"]) == {"a/c", "b/c"}
    assert metrics["values"]["success"]["value"] == 0.5
    # one run alone is unchanged
    single = run_cli(["eval", "run", str(runs[0]), "--metrics", "success"], cwd=tmp_path)
    assert single.returncode == 0 and f"{runs[0]}: 1 conversations" in single.stdout
    judged = run_cli(["eval", "run", *map(str, runs), "--judge", "baseline:lexical"], cwd=tmp_path)
    assert judged.returncode == 2
    [line] = judged.stderr.strip().splitlines()
    assert "--judge takes one run directory" in line
    twice = run_cli(["eval", "run", str(runs[0]), str(runs[0])], cwd=tmp_path)
    assert twice.returncode == 2 and "given twice" in twice.stderr
