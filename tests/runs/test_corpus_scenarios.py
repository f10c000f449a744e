"""Scenarios from any corpus (issue #18): an SGD-like fixture imported with the generic adapter,
read back as scenarios with their structured goals, services and real dialogue ids."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.datasets import import_corpus
from simulacra.errors import ConfigError
from simulacra.runs import load_config
from simulacra.runs._store import RunWriter
from tests._cli import run_cli

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sgd_mini"


def imported_run(tmp_path: Path) -> Path:
    """The fixture imported as a run directory (as ``simulacra data import generic`` does)."""
    directory = tmp_path / "sgd"
    writer = RunWriter(directory, {"name": "sgd", "status": "complete", "imported": True})
    for c in import_corpus(
        "generic", FIXTURE / "dialogues.jsonl", mapping=FIXTURE / "mapping.yaml"
    ):
        writer.write(c)
    writer.close()
    return directory


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        'name: byoc\nmodels: {user: "embedded:tiny", target: "embedded:tiny"}\n'
        "user: {type: prompted}\n" + body,
        encoding="utf-8",
    )
    return path


def test_generic_adapter_maps_goal_task_service_and_scenario_id(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in (FIXTURE / "dialogues.jsonl").read_text().splitlines()]
    convs = list(
        import_corpus("generic", FIXTURE / "dialogues.jsonl", mapping=FIXTURE / "mapping.yaml")
    )
    assert len(convs) == len(rows) == 9
    for c, row in zip(convs, rows, strict=True):
        assert c.id == f"sgd-mini:{row['dialogue_id']}"
        assert c.metadata["goal"] == row["goal"]
        assert json.loads(str(c.metadata["goal.task"])) == row["task"]
        assert c.metadata["service"] == row["services"][0]
    # a scenario id field becomes the conversation's scenario id (one turn a row, CSV)
    csv = tmp_path / "turns.csv"
    csv.write_text(
        "dlg,goal_id,who,text,want\n"
        "a,g1,customer,I need a car,rent a car\n"
        "a,g1,agent,Where?,\n"
        "b,g2,customer,A dentist please,\n",
        encoding="utf-8",
    )
    mapping = {
        "fields": {
            "conversation": "dlg",
            "speaker": "who",
            "text": "text",
            "scenario_id": "goal_id",
            "goal": "want",
        },
        "roles": {"customer": "user", "agent": "system"},
    }
    a, b = import_corpus("generic", csv, mapping=mapping)
    assert (a.scenario_id, a.metadata["goal"]) == ("g1", "rent a car")
    assert b.scenario_id == "g2" and "goal" not in b.metadata


def test_scenarios_from_an_imported_run_keep_ids_goals_and_services(tmp_path: Path) -> None:
    run = imported_run(tmp_path)
    config = load_config(
        _write(tmp_path, f"scenarios_from: {{run: {run}, services: [RentalCars_1, Music_2]}}\n")
    )
    ids = [s.id for s in config.scenarios]
    assert ids == [
        "sgd-mini:car-001",
        "sgd-mini:car-002",
        "sgd-mini:car-003",
        "sgd-mini:music-001",
        "sgd-mini:music-002",
        "sgd-mini:music-003",
    ]
    first = config.scenarios[0]
    assert first.source == "sgd-mini:car-001" and first.service == "rentalcars_1"
    assert first.task is not None and first.task.domains[0].intents == ["GetCarsAvailable"]
    assert first.task.domains[0].inform["pickup_city"] == "seattle"
    assert first.task.domains[0].requests == ["car_name", "total_price"]
    assert first.goal.startswith("You want to GetCarsAvailable")
    assert first.fields["intent"] == "GetCarsAvailable"


def test_scenarios_from_a_mapped_corpus_file_and_sampling(tmp_path: Path) -> None:
    body = (
        f"scenarios_from: {{corpus: {FIXTURE / 'dialogues.jsonl'}, "
        f"mapping: {FIXTURE / 'mapping.yaml'}, limit: 4, sample: true, seed: 3}}\n"
    )
    first = [s.id for s in load_config(_write(tmp_path, body)).scenarios]
    again = [s.id for s in load_config(_write(tmp_path, body)).scenarios]
    assert len(first) == 4 and first == again
    other = [
        s.id for s in load_config(_write(tmp_path, body.replace("seed: 3", "seed: 4"))).scenarios
    ]
    assert len(set(first)) == 4 and sorted(first) != sorted(other)
    everything = load_config(_write(tmp_path, body.replace(", limit: 4", ""))).scenarios
    assert len(everything) == 9


def test_scenarios_from_abcd_with_the_adapter(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "abcd" / "data" / "abcd_sample.json"
    config = load_config(_write(tmp_path, f"scenarios_from: {{corpus: {path}, adapter: abcd}}\n"))
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert [s.id for s in config.scenarios] == [f"abcd:{d['convo_id']}" for d in raw]
    for s, d in zip(config.scenarios, raw, strict=True):
        assert s.task is not None
        assert s.task.domain_names == [d["scenario"]["flow"]]
        assert s.task.domains[0].intents == [d["scenario"]["subflow"]]
        assert s.fields["customer_name"] == d["scenario"]["personal"]["customer_name"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "scenarios_from: {{corpus: {fixture}}}\n",
            r"run.yaml: scenarios_from: 'corpus' needs 'adapter'",
        ),
        (
            "scenarios_from: {{run: {fixture}, corpus: x.jsonl}}\n",
            r"scenarios_from: give exactly one of 'multiwoz', 'run' or 'corpus'",
        ),
        (
            "scenarios_from: {{corpus: {fixture}, adapter: abcd}}\n",
            r"run.yaml: scenarios_from.corpus: .*sgd_mini is a folder; name the corpus file",
        ),
        (
            "scenarios_from: {{run: {fixture}/nowhere}}\n",
            r"run.yaml: scenarios_from.run: .*nowhere: run directory not found",
        ),
        (
            "scenarios_from: {{corpus: {fixture}/dialogues.jsonl, adapter: nope}}\n",
            r"scenarios_from: adapter: unknown 'nope'",
        ),
        (
            "scenarios_from: {{corpus: {fixture}/dialogues.jsonl, "
            "mapping: {{fields: {{messages: turns, speaker: speaker, text: utterance}}}}}}\n",
            r"run.yaml: scenarios_from: .*dialogues.jsonl: no conversation carries a goal",
        ),
    ],
)
def test_bad_sources_are_one_line_errors(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(_write(tmp_path, body.format(fixture=FIXTURE)))
    assert "\n" not in str(info.value) and len(str(info.value)) <= 300


def test_a_bad_structured_goal_names_the_file_and_row(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    lines = (FIXTURE / "dialogues.jsonl").read_text().splitlines()
    row = json.loads(lines[1])
    row["task"] = {"intent": "ReserveCar"}
    bad.write_text(lines[0] + "\n" + json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(
        ConfigError, match=r"bad.jsonl:2: fields.task 'task': frame 0: no 'service'"
    ):
        list(import_corpus("generic", bad, mapping=FIXTURE / "mapping.yaml"))


def test_cli_error_exits_2_and_leaves_no_run_directory(tmp_path: Path) -> None:
    path = _write(tmp_path, f"scenarios_from: {{run: {tmp_path}/missing}}\noutput_dir: out\n")
    result = run_cli(["run", str(path)], cwd=tmp_path)
    assert result.returncode == 2
    assert "scenarios_from.run" in result.stderr and "run directory not found" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
