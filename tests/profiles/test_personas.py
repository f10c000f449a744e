from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from simulacra import Conversation, ParticipantInfo, ParticipantKind, PromptedUser, Turn
from simulacra.participants import render_profile
from simulacra.profiles import Persona, PopulationSpec, population_stats, sample_population
from simulacra.testing import function_model
from tests._cli import run_cli as _cli

SPEC = {
    "n": 300,
    "seed": 4,
    "attributes": {
        "demographics.age": {"uniform": [18, 80], "integer": True},
        "demographics.gender": {"categorical": {"female": 0.5, "male": 0.4, "nonbinary": 0.1}},
        "big_five.openness": {"normal": {"mean": 3.5, "sd": 0.6}, "clip": [1, 5]},
        "behaviour.verbosity": {"uniform": [0, 1]},
    },
    "stratify": "demographics.gender",
}


def test_trait_ranges_are_validated() -> None:
    with pytest.raises(ValidationError, match="less than or equal to 5"):
        Persona(big_five={"openness": 7})
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        Persona(behaviour={"verbosity": -0.5})
    with pytest.raises(ValidationError, match="Extra inputs"):
        Persona(demographics={"height": 180})


def test_persona_renders_typed_fields_and_knobs() -> None:
    p = Persona(
        name="Maya",
        demographics={"age": 34, "occupation": "nurse"},
        interests=["chess"],
        big_five={"neuroticism": 4.5},
        behaviour={"verbosity": 0.05, "politeness": 0.9, "emotional_state": "anxious"},
    )
    text, ref = render_profile(p)
    assert ref == "profile/persona@3"
    assert "- age: 34" in text and "- occupation: nurse" in text and "interests: chess" in text
    assert "- neuroticism: 4.5" in text
    assert "very short messages" in text and "very polite" in text and "feel anxious" in text
    loud = render_profile(Persona(behaviour={"verbosity": 0.95}))[0]
    assert "long, detailed messages: at least four full sentences" in loud


def test_sampling_is_seeded_stratified_and_close_to_target() -> None:
    spec = PopulationSpec.model_validate(SPEC)
    people = sample_population(spec)
    again = sample_population(spec)
    assert [p.model_dump() for p in people] == [p.model_dump() for p in again]
    genders = [p.demographics.gender for p in people]
    assert genders.count("female") == 150 and genders.count("male") == 120
    stats = population_stats(people, spec)
    assert stats["attributes"]["demographics.gender"]["tv_distance"] == 0.0
    assert stats["attributes"]["behaviour.verbosity"]["ks_distance"] < 0.05  # quasi-random
    assert stats["attributes"]["demographics.age"]["decile_coverage"] == 1.0
    assert abs(stats["attributes"]["big_five.openness"]["mean"] - 3.5) < 0.1
    assert stats["duplicates"] == 0 and 0.2 < stats["mean_pairwise_gower"] < 0.6
    assert len({p.id for p in people}) == 300


def test_unknown_attribute_suggests_and_bad_values_fail() -> None:
    with pytest.raises(ValidationError, match=r"did you mean 'big_five\.openness'"):
        PopulationSpec.model_validate({"attributes": {"big_five.opennes": {"uniform": [1, 5]}}})
    with pytest.raises(ValidationError, match="exactly one"):
        PopulationSpec.model_validate(
            {
                "attributes": {
                    "behaviour.patience": {"uniform": [0, 1], "normal": {"mean": 0, "sd": 1}}
                }
            }
        )
    from simulacra.errors import ConfigError

    spec = PopulationSpec.model_validate({"attributes": {"big_five.openness": {"uniform": [1, 9]}}})
    with pytest.raises(ConfigError, match=r"big_five\.openness"):
        sample_population(spec)


def test_joint_table_rows_are_kept_together() -> None:
    spec = PopulationSpec.model_validate(
        {
            "n": 50,
            "joint": [
                {
                    "demographics.occupation": "nurse",
                    "demographics.education": "bachelor",
                    "weight": 1,
                },
                {
                    "demographics.occupation": "student",
                    "demographics.education": "school",
                    "weight": 1,
                },
            ],
        }
    )
    pairs = {(p.demographics.occupation, p.demographics.education) for p in sample_population(spec)}
    assert pairs == {("nurse", "bachelor"), ("student", "school")}


async def test_typos_and_dropout_are_applied_mechanically() -> None:
    c = Conversation(
        participants=[
            ParticipantInfo(id="user", name="U", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
        ]
    )
    c.append(Turn(speaker="assistant", utterance="How can I help?"))
    text = "I would really like to change my delivery address please"
    model = function_model(lambda m, cfg: text, role="user")
    typo = PromptedUser(model, goal="g", profile=Persona(behaviour={"typo_rate": 1.0}))
    reply = await typo.respond(c.view_for("user"))
    assert reply.utterance != text and len(reply.utterance.split()) == len(text.split())
    assert reply.utterance == (await typo.respond(c.view_for("user"))).utterance  # seeded
    leaver = PromptedUser(model, goal="g", profile=Persona(behaviour={"dropout": 1.0}))
    reply = await leaver.respond(c.view_for("user"))
    assert reply.stop and reply.metadata["dropped_out"] is True and reply.utterance == text


def test_cli_sample_stats_and_run_config(tmp_path: Path) -> None:
    import yaml

    (tmp_path / "pop.yaml").write_text(yaml.safe_dump(SPEC))
    result = _cli(["personas", "sample", "pop.yaml", "-n", "40", "-o", "people.jsonl"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "wrote 40 personas" in result.stdout
    lines = (tmp_path / "people.jsonl").read_text().splitlines()
    assert len(lines) == 40 and json.loads(lines[0])["kind"] == "persona"
    stats = _cli(["personas", "stats", "people.jsonl", "--spec", "pop.yaml"], tmp_path)
    assert stats.returncode == 0, stats.stderr
    assert json.loads(stats.stdout)["n"] == 40
    (tmp_path / "bad.yaml").write_text("attributes:\n  big_five.opennes: {uniform: [1, 5]}\n")
    bad = _cli(["personas", "sample", "bad.yaml", "-o", "x.jsonl"], tmp_path)
    assert bad.returncode == 2 and "did you mean 'big_five.openness'" in bad.stderr
    assert not (tmp_path / "x.jsonl").exists()
    from simulacra.runs import load_config

    (tmp_path / "run.yaml").write_text(
        "models: {user: embedded:tiny, target: embedded:tiny}\n"
        "profiles_file: people.jsonl\nscenarios: [{id: s, goal: g}]\n"
    )
    config = load_config(tmp_path / "run.yaml")
    assert len(config.profiles) == 40 and config.profiles[0].id == "persona-00001"
