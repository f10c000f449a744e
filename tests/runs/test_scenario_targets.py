"""Targets per scenario (issue #18): the system prompt given per scenario, per service, or
templated from scenario fields; one config, many services; bad templates caught when the config
is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.runs import load_config
from simulacra.runs._config import RunConfig, TargetConfig
from tests._cli import run_cli
from tests.runs.test_corpus_scenarios import imported_run

HEAD = 'name: byoc\nmodels: {user: "embedded:tiny", target: "embedded:tiny"}\n'


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(HEAD + body, encoding="utf-8")
    return path


def _prompts(config: RunConfig) -> dict[str, str | None]:
    t = config.target
    return {s.id: s.system_prompt(t.system_prompt, t.service_prompts) for s in config.scenarios}


def test_prompts_per_scenario_per_service_and_templated(tmp_path: Path) -> None:
    run = imported_run(tmp_path)
    config = load_config(
        _write(
            tmp_path,
            f"""
target:
  system_prompt: "You are the {{service}} assistant; the user wants to {{intent}}."
  service_prompts:
    Dentists_1: "Dental office. The patient wants to {{intent}}."
scenarios_from: {{run: {run}, services: [RentalCars_1, Dentists_1]}}
scenarios:
  - id: own
    goal: ask about opening hours
    target: {{system_prompt: "Front desk; scenario {{id}}."}}
""",
        )
    )
    prompts = _prompts(config)
    assert prompts["own"] == "Front desk; scenario own."
    assert prompts["sgd-mini:car-002"] == (
        "You are the rentalcars_1 assistant; the user wants to ReserveCar."
    )
    assert prompts["sgd-mini:dent-001"] == "Dental office. The patient wants to FindProvider."
    assert prompts["sgd-mini:dent-002"] == "Dental office. The patient wants to BookAppointment."
    assert len(set(prompts.values())) == 5  # own, 2 car intents, 2 dentist intents


def test_configs_without_the_new_fields_dump_as_before() -> None:
    # the config hash of runs made before per-scenario targets existed does not change
    assert "service_prompts" not in TargetConfig().model_dump()
    config = RunConfig.model_validate(
        {
            "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
            "scenarios": [{"id": "a", "goal": "g"}],
        }
    )
    assert set(config.model_dump()["scenarios"][0]) == {
        "id",
        "goal",
        "instructions",
        "first_speaker",
        "opening",
        "max_turns",
        "task",
    }


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "target: {{system_prompt: 'Hi {{customer}}'}}\nscenarios_from: {{run: {run}}}\n",
            r"run.yaml: scenarios.sgd-mini:car-001.\(target.system_prompt\): no value for "
            r"\{customer\} \(this scenario has: .*pickup_city.*\)",
        ),
        (
            "scenarios: [{{id: s1, goal: g, target: {{system_prompt: 'Hi {{0}}'}}}}]\n",
            r"run.yaml: scenarios.s1.target.system_prompt: placeholder \{0\} is not a plain "
            r"field name",
        ),
        (
            "target: {{system_prompt: 'Hi {{name'}}\nscenarios: [{{id: s1, goal: g}}]\n",
            r"run.yaml: scenarios.s1.\(target.system_prompt\): not a valid template",
        ),
        (
            "target: {{service_prompts: {{music_2: 'Play {{genre}}'}}}}\n"
            "scenarios_from: {{run: {run}, services: [Music_2]}}\n",
            r"scenarios.sgd-mini:music-001.\(target.service_prompts\): no value for \{genre\}",
        ),
    ],
)
def test_template_errors_name_the_scenario(tmp_path: Path, body: str, message: str) -> None:
    run = imported_run(tmp_path)
    path = _write(tmp_path, body.format(run=run) + "output_dir: out\n")
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert "\n" not in str(info.value)
    result = run_cli(["run", str(path)], cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()
