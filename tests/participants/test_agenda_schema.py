"""A schema-driven agenda user (issue #18): the ontology from an SGD-style schema file or from
the goals; MultiWOZ one schema among others; the ``state`` technique on any structured goal;
missing structure caught when the config is read, naming the scenario."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.conversation import View
from simulacra.errors import ConfigError
from simulacra.memory import PreferenceState
from simulacra.participants import AgendaUser, TaskGoal
from simulacra.runs import execute_run, load_config, read_conversations
from simulacra.scenarios import (
    MULTIWOZ_SCHEMA,
    load_schema,
    schema_from_goals,
    task_from_record,
)
from tests._cli import run_cli
from tests.runs.test_corpus_scenarios import FIXTURE, imported_run

SCHEMA = FIXTURE / "schema.json"

RESERVE = {
    "service": "RentalCars_1",
    "intent": "ReserveCar",
    "inform": {"pickup_city": "Portland", "pickup_date": "tomorrow", "car_type": "Compact"},
    "requests": ["total_price"],
}


def test_an_sgd_schema_file_is_read_into_services() -> None:
    schema = load_schema(SCHEMA)
    assert sorted(schema.services) == ["dentists_1", "music_2", "rentalcars_1"]
    cars = schema.service("RentalCars_1")
    assert cars is not None
    assert cars.informable == {"pickup_city", "pickup_date", "dropoff_date", "car_type"}
    assert cars.requestable >= {"car_name", "total_price"}
    assert cars.intents["reservecar"] == ("pickup_city", "pickup_date", "dropoff_date", "car_type")
    assert cars.values["car_type"] == ("compact", "standard", "full-size")
    # MultiWOZ is one schema among others
    hotel = MULTIWOZ_SCHEMA.service("hotel")
    assert hotel is not None and "book stay" in hotel.book and "phone" in hotel.requestable


def test_goals_are_checked_against_the_schema() -> None:
    schema = load_schema(SCHEMA)
    goal = task_from_record(RESERVE, id="g", schema=schema)
    assert goal.domains[0].domain == "rentalcars_1" and goal.domains[0].intents == ["ReserveCar"]
    bad_slot = {**RESERVE, "inform": {"pickup_cty": "Portland"}}
    with pytest.raises(
        ConfigError,
        match=r"inform: unknown rentalcars_1 slot 'pickup_cty' "
        r"\(did you mean 'pickup_city'\?\)",
    ):
        task_from_record(bad_slot, id="g", schema=schema)
    with pytest.raises(ConfigError, match=r"intents: unknown rentalcars_1 intent 'reservebike'"):
        task_from_record({**RESERVE, "intent": "ReserveBike"}, id="g", schema=schema)
    with pytest.raises(
        ConfigError,
        match=r"unknown domain 'rentalcar_1' in schema 'schema' "
        r"\(did you mean 'rentalcars_1'\?\)",
    ):
        task_from_record({**RESERVE, "service": "RentalCar_1"}, id="g", schema=schema)
    # without a schema a service outside MultiWOZ is its own ontology, MultiWOZ stays checked
    assert task_from_record(RESERVE, id="g").domain_names == ["rentalcars_1"]
    with pytest.raises(ConfigError, match=r"unknown domain 'hotl'"):
        TaskGoal.parse({"id": "x", "domains": [{"domain": "hotl"}]})
    derived = schema_from_goals([task_from_record(RESERVE, id="g")]).service("rentalcars_1")
    assert derived is not None and derived.informable == {"pickup_city", "pickup_date", "car_type"}


def test_bad_schema_files_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "schema.json"
    bad.write_text('[{"service_name": "X_1", "slots": [{"description": "no name"}]}]')
    with pytest.raises(
        ConfigError, match=r"schema.json: services.0 \(X_1\): slots.0: missing field 'name'"
    ):
        load_schema(bad)
    bad.write_text('[{"slots": []}]')
    with pytest.raises(ConfigError, match=r"schema.json: services.0: missing field 'service_name'"):
        load_schema(bad)
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=r"schema.json: not a JSON schema"):
        load_schema(bad)


def _view(*texts: str) -> View:
    from simulacra.conversation import ParticipantInfo, ParticipantKind, ViewMessage

    me = ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN)
    bot = ParticipantInfo(id="bot", name="Bot", kind=ParticipantKind.AI_SYSTEM)
    messages = [
        ViewMessage(role="assistant" if i % 2 == 0 else "user", content=t, name="x")
        for i, t in enumerate(texts)
    ]
    return View(me, [bot], messages, len(texts), "c")


async def test_the_agenda_user_follows_a_custom_schema() -> None:
    schema = load_schema(SCHEMA)
    user = AgendaUser(
        task_from_record(RESERVE, id="g"), schema=schema, seed=0, acts_per_turn=(1, 1)
    )
    first = await user.respond(_view())
    assert first.metadata["domain"] == "rentalcars_1"
    assert first.utterance.split(".")[0] in (
        "Hi, I'd like to reserve car",
        "I want to reserve car",
    ) or first.utterance.startswith("Can you help me reserve car?")
    # a question naming a slot of the schema is answered with the goal's value
    said = [first.utterance]
    reply = await user.respond(_view(first.utterance, "Sure. What is the pickup date?"))
    assert "inform(rentalcars_1-pickup_date=tomorrow)" in str(reply.metadata["acts"])
    assert reply.metadata["system_acts"] == "request(rentalcars_1-pickup_date)"
    said.append(reply.utterance)
    # a statement naming the requested slot answers the request; the user ends satisfied
    history = [first.utterance, "Sure. What is the pickup date?", reply.utterance]
    for _ in range(8):
        history.append("Your car is reserved. The total price is $96.")
        step = await user.respond(_view(*history))
        history.append(step.utterance)
        if step.stop:
            break
    assert step.stop and user.status == "success" and user.satisfied


def rental_bot(view: View) -> str:
    if len(view.messages) < 2:
        return "Sure. What is the pickup date, and which car type?"
    return "Done, your car is reserved. The total price is $96 and the car name is Honda Civic."


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(body, encoding="utf-8")
    return path


async def test_a_config_runs_the_agenda_user_on_a_schema(tmp_path: Path) -> None:
    run = imported_run(tmp_path)
    path = _write(
        tmp_path,
        f"""
name: cars
models: {{}}
user: {{type: agenda, schema: {SCHEMA}, acts_per_turn: 2}}
target: {{type: callable, callable: "tests.participants.test_agenda_schema:rental_bot"}}
scenarios_from: {{run: {run}, services: [RentalCars_1]}}
stop: {{max_turns: 12}}
""",
    )
    config = load_config(path)
    assert len(config.scenarios) == 3
    result = await execute_run(config, output_dir=tmp_path / "runs")
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 3
    for c in conversations:
        acts = [str(t.metadata.get("acts")) for t in c.turns if t.speaker == "user"]
        assert any("inform(rentalcars_1-pickup_city=" in a for a in acts)
        statuses = [t.metadata.get("goal_status") for t in c.turns if t.speaker == "user"]
        assert statuses[-1] == "success" and c.ended_by == "user"


def test_missing_structure_is_caught_when_the_config_is_read(tmp_path: Path) -> None:
    head = 'models: {user: "embedded:tiny", target: "embedded:tiny"}\noutput_dir: out\n'
    # the state technique needs a structured goal: the scenario is named, nothing is written
    path = _write(
        tmp_path,
        head + "user: {type: prompted, techniques: [state]}\n"
        "scenarios: [{id: free-text, goal: rent a car in Portland}]\n",
    )
    with pytest.raises(
        ConfigError,
        match=r"scenarios.free-text: technique 'state' "
        r"\(user.techniques.0\) needs a structured goal",
    ):
        load_config(path)
    result = run_cli(["run", str(path)], cwd=tmp_path)
    assert result.returncode == 2 and "scenarios.free-text" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()
    # a goal of a schema's service that the schema does not allow: named with the schema
    path = _write(
        tmp_path,
        "models: {}\noutput_dir: out\n"
        f"user: {{type: agenda, schema: {SCHEMA}}}\n"
        "target: {type: callable, callable: 'tests.participants.test_agenda_schema:rental_bot'}\n"
        "scenarios: [{id: cars, goal: rent a car, task: {id: cars, domains: "
        "[{domain: rentalcars_1, inform: {colour: red}}]}}]\n",
    )
    result = run_cli(["run", str(path)], cwd=tmp_path)
    assert result.returncode == 2
    assert "scenarios.cars: task: domains.0: inform: unknown rentalcars_1 slot 'colour'" in (
        result.stderr
    )
    assert "(schema schema)" in result.stderr and not (tmp_path / "out").exists()
    path = _write(
        tmp_path,
        "models: {}\n"
        f"user: {{type: agenda, schema: {tmp_path / 'none.json'}}}\n"
        "target: {type: callable, callable: 'tests.participants.test_agenda_schema:rental_bot'}\n"
        "scenarios: [{id: cars, goal: g, task: {id: c, domains: [{domain: rentalcars_1}]}}]\n",
    )
    with pytest.raises(
        ConfigError, match=r"run.yaml: user.schema: .*none.json: schema file not found"
    ):
        load_config(path)


def test_state_works_on_any_structured_goal(tmp_path: Path) -> None:
    run = imported_run(tmp_path)
    path = _write(
        tmp_path,
        'models: {user: "embedded:tiny", target: "embedded:tiny"}\n'
        "user: {type: prompted, techniques: [state]}\n"
        f"scenarios_from: {{run: {run}, services: [Dentists_1]}}\n",
    )
    config = load_config(path)
    task = config.scenarios[0].task
    assert task is not None
    state = PreferenceState.from_task(task)
    goal = state.current
    assert goal is not None and goal.domain == "dentists_1"
    assert goal.constraints == {"city": "san jose"}
    assert goal.requests == ["dentist_name", "phone_number"]
