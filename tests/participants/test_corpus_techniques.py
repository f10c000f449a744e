"""Exemplars and retrieval from any corpus (issue #18): a run directory imported from the
SGD-like fixture, the fixture file read through its mapping, and the errors for each wrong
kind of input."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.memory import load_corpus, make_retriever
from simulacra.participants import Technique
from simulacra.participants._techniques import (
    FewShotTechnique,
    RetrievalTechnique,
    few_shot_exemplars,
    prepare_techniques,
)
from simulacra.runs import load_config
from tests.runs.test_corpus_scenarios import FIXTURE, imported_run

DENTIST_USER_TURNS = {
    "I'm looking for a dentist in San Jose.",
    "What is her phone number?",
    "Thanks, bye.",
    "I want to book an appointment with Dr. Kim.",
    "The 12th, please.",
    "Yes. What's their phone number?",
    "Perfect, thank you.",
    "Find me a dentist in Fremont who does cosmetic work.",
    "Good, what's the dentist name again?",
    "Thanks.",
}


def test_few_shot_from_an_imported_run_picks_turns_of_the_service(tmp_path: Path) -> None:
    run = imported_run(tmp_path)
    technique = FewShotTechnique(corpus=str(run), k=4)
    for seed in range(5):
        shots = few_shot_exemplars(technique, domains=["dentists_1"], seed=seed)
        assert len(shots) == 4 and set(shots) <= DENTIST_USER_TURNS
    assert few_shot_exemplars(technique, domains=["dentists_1"], seed=1) == few_shot_exemplars(
        technique, domains=["dentists_1"], seed=1
    )
    # the same turns through the mapping, straight from the corpus file
    mapped = FewShotTechnique(
        corpus=str(FIXTURE / "dialogues.jsonl"), mapping=str(FIXTURE / "mapping.yaml"), k=4
    )
    assert few_shot_exemplars(mapped, domains=["dentists_1"], seed=2) == few_shot_exemplars(
        technique, domains=["dentists_1"], seed=2
    )


def test_retrieval_from_a_run_directory_and_a_mapped_file(tmp_path: Path) -> None:
    run = imported_run(tmp_path)
    passages = load_corpus(run)
    # every system turn followed by a user turn of the 9 dialogues is one exchange
    assert len(passages) == 22
    assert passages[0].id == "sgd-mini:car-001#2"
    assert passages[0].text == (
        "Assistant: Sure. What dates do you need it for? / User: From March 3rd to March 7th."
    )
    mapped = load_corpus(FIXTURE / "dialogues.jsonl", mapping=str(FIXTURE / "mapping.yaml"))
    assert [p.text for p in mapped] == [p.text for p in passages]
    top = make_retriever("bm25", passages).search("dentist phone number", k=1)[0]
    assert top.id.startswith("sgd-mini:dent-")
    ready = prepare_techniques([RetrievalTechnique(corpus="sgd", k=1)], base=run.parent)
    assert isinstance(ready[0], RetrievalTechnique) and ready[0].corpus == str(run)


def _config(tmp_path: Path, technique: str) -> Path:
    path = tmp_path / "run.yaml"
    path.write_text(
        'models: {user: "embedded:tiny", target: "embedded:tiny"}\n'
        f"user: {{type: prompted, techniques: [{technique}]}}\n"
        "scenarios: [{id: s1, goal: rent a car}]\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("technique", "message"),
    [
        (
            "{{few_shot: {{multiwoz: {fixture}/dialogues.jsonl}}}}",
            r"user.techniques.0.few_shot: .*dialogues.jsonl: not a MultiWOZ file; .*use 'corpus:'",
        ),
        (
            "{{few_shot: {{multiwoz: {fixture}}}}}",
            r"user.techniques.0.few_shot: .*sgd_mini: not a MultiWOZ file",
        ),
        (
            "{{few_shot: {{corpus: {fixture}/dialogues.jsonl}}}}",
            r"user.techniques.0.few_shot: .*dialogues.jsonl: not Simulacra conversation records; "
            r"give 'mapping'",
        ),
        (
            "{{few_shot: {{corpus: {fixture}}}}}",
            r"user.techniques.0.few_shot: .*sgd_mini: not a run directory",
        ),
        (
            "{{few_shot: {{corpus: {fixture}/schema.json}}}}",
            r"user.techniques.0.few_shot: .*schema.json: give 'adapter' .* or 'mapping'",
        ),
        (
            "{{few_shot: {{corpus: {fixture}/dialogues.jsonl, adapter: nope}}}}",
            r"user.prompted.techniques.0.few_shot: adapter: unknown 'nope'",
        ),
        (
            "{{few_shot: {{k: 2}}}}",
            r"user.prompted.techniques.0.few_shot: give one of 'multiwoz' .* or 'corpus'",
        ),
        (
            "{{retrieval: {{corpus: {fixture}/dialogues.jsonl}}}}",
            r"user.techniques.0.retrieval: .*dialogues.jsonl:1: expected a JSON object with "
            r"\"text\".*give 'mapping'",
        ),
        (
            "{{retrieval: {{corpus: {fixture}/missing}}}}",
            r"user.techniques.0.retrieval: .*missing: corpus file not found",
        ),
    ],
)
def test_wrong_corpus_inputs_are_one_line_errors(
    tmp_path: Path, technique: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        load_config(_config(tmp_path, technique.format(fixture=FIXTURE)))
    assert "\n" not in str(info.value) and len(str(info.value)) <= 300


def test_technique_is_still_a_technique() -> None:
    # the corpus options leave configs that do not use them dumped as before
    shot: Technique = FewShotTechnique(multiwoz="val.json.zip")
    assert shot.model_dump() == {"kind": "few_shot", "multiwoz": "val.json.zip", "k": 3}
