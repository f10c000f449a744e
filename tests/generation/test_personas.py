from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra.generation._personas import (
    GENERATION_SCHEMA,
    deduplicate,
    domain_seeds,
    generate_personas,
    persona_from_json,
    similarity,
)
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.profiles import Persona
from simulacra.testing import FakeOpenAIServer, FakeResponse, function_model
from tests._cli import run_cli


def persona_json(name: str, description: str, *, openness: float = 3.0) -> str:
    return json.dumps(
        {
            "name": name,
            "description": description,
            "demographics": {
                "age": 40,
                "gender": "female",
                "location": "Leeds",
                "occupation": "teacher",
                "education": "master",
            },
            "interests": ["gardening"],
            "values": ["fairness"],
            "big_five": {
                "openness": openness,
                "conscientiousness": 4.0,
                "extraversion": 2.5,
                "agreeableness": 3.5,
                "neuroticism": 2.0,
            },
            "behaviour": {"verbosity": 0.3, "politeness": 0.9, "patience": 0.6, "expertise": 0.2},
        }
    )


def test_schema_is_derived_from_the_persona_model_and_small() -> None:
    props = GENERATION_SCHEMA["properties"]
    assert set(props) == {
        "name",
        "description",
        "demographics",
        "interests",
        "values",
        "big_five",
        "behaviour",
    }
    assert props["big_five"]["properties"]["openness"] == {
        "type": "number",
        "minimum": 1.0,
        "maximum": 5.0,
    }
    assert props["demographics"]["properties"]["age"]["type"] == "integer"
    assert set(props["behaviour"]["required"]) == {
        "verbosity",
        "politeness",
        "patience",
        "expertise",
    }
    assert len(json.dumps(GENERATION_SCHEMA)) < 2500
    # A well-formed output validates as a persona.
    p = persona_from_json(persona_json("Ann", "A teacher."))
    assert p.big_five is not None and p.big_five.openness == 3.0 and p.demographics.age == 40


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (persona_json("A", "b", openness=9), "big_five.openness: Input should be less than"),
        ('{"name": "A", "shoe_size": 44}', "shoe_size: Extra inputs are not permitted"),
    ],
)
def test_invalid_outputs_have_one_line_reasons(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as info:
        persona_from_json(text)
    assert "\n" not in str(info.value)


def test_similarity_and_deduplication() -> None:
    assert similarity("A nurse who works nights.", "a nurse who works nights") == 1.0
    assert similarity("A nurse who works nights.", "A retired sailor from Hull.") < 0.3
    a = Persona(name="Ann", description="A teacher in Leeds who loves gardening and chess.")
    a_copy = Persona(name="ann", description="A teacher in Leeds who loves gardening and chess.")
    near = Persona(name="Ann", description="A teacher in Leeds who loves gardening and chess!!")
    other = Persona(name="Bob", description="A bus driver from Cardiff, night shifts.")
    kept, dropped = deduplicate([a, a_copy, near, other])
    assert kept == [a, other] and dropped == 2
    kept, dropped = deduplicate([a, near, other], threshold=1.0)  # only identical text
    assert dropped == 1  # "!!" is removed by normalisation: identical after it
    assert domain_seeds("a banking app", 3)[2] == (
        "Person #3 among the varied people who would use a banking app."
    )


async def test_generation_retries_rejects_and_drops_duplicates() -> None:
    seen: dict[str, int] = {}
    configs: list[GenerateConfig] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        seed = messages[-1].content.removeprefix("Text: ").split("\n")[0]
        seen[seed] = seen.get(seed, 0) + 1
        configs.append(config)
        if seed == "always broken":
            return '{"name": "X", "big_five": {"openness": 11}}'
        if seed == "broken once" and seen[seed] == 1:
            return "{truncated"
        if seed.startswith("twin"):
            return persona_json("Twin", "The same person twice, a teacher in Leeds.")
        return persona_json(seed.title(), f"A person: {seed}.")

    seeds = ["a nurse", "broken once", "always broken", "twin one", "twin two", "a sailor"]
    result = await generate_personas(seeds, function_model(fn), retries=2)
    assert seen["always broken"] == 3 and seen["broken once"] == 2 and seen["a nurse"] == 1
    assert [r.seed for r in result.rejected] == ["always broken"]
    assert "big_five.openness" in result.rejected[0].reason
    assert result.rejected[0].attempts == 3
    assert result.duplicates == 1 and result.attempts == 1 + 2 + 3 + 1 + 1 + 1
    assert [p.id for p in result.personas] == [f"gen-0000{i}" for i in range(1, 5)]
    assert [p.name for p in result.personas] == ["A Nurse", "Broken Once", "Twin", "A Sailor"]
    assert all(c.json_schema == GENERATION_SCHEMA for c in configs)
    assert {c.max_tokens for c in configs} == {400}
    # a retry changes the sampling seed, so it is not the same request again
    assert len({c.seed for c in configs}) >= 3


def test_cli_generate_with_server_and_bad_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "seeds.txt").write_text("# people\nA night-shift nurse.\n\nA retired sailor.\n")
    answers = iter(
        [
            persona_json("Nia", "A nurse on night shifts in Porto."),
            "{oops",
            "{oops",
            "{oops",
            persona_json("Nia", "A nurse on night shifts in Porto."),
            persona_json("Sam", "A sailor who retired to a small fishing village."),
        ]
    )
    with FakeOpenAIServer(lambda req: FakeResponse.completion(next(answers))) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = run_cli(
            [
                "personas",
                "generate",
                "seeds.txt",
                "--model",
                "openai:fake",
                "-n",
                "4",
                "--concurrency",
                "1",
                "-o",
                "gen.jsonl",
            ],
            tmp_path,
        )
        assert result.returncode == 0, result.stderr
        sent = server.requests[0]
    assert "generated 2, invalid 1, duplicates dropped 1" in result.stdout
    assert sent["response_format"]["type"] in ("json_schema", "json_object")
    lines = (tmp_path / "gen.jsonl").read_text().splitlines()
    assert [json.loads(line)["name"] for line in lines] == ["Nia", "Sam"]
    assert json.loads(lines[0])["kind"] == "persona"
    assert '"n": 2' in result.stdout  # population stats of what was kept

    missing = run_cli(["personas", "generate", "nope.txt", "-o", "x.jsonl"], tmp_path)
    assert missing.returncode == 2 and "nope.txt: file not found" in missing.stderr
    (tmp_path / "empty.txt").write_text("# only a comment\n\n")
    empty = run_cli(["personas", "generate", "empty.txt", "-o", "x.jsonl"], tmp_path)
    assert empty.returncode == 2 and "empty.txt: no seed texts" in empty.stderr
    both = run_cli(["personas", "generate", "-o", "x.jsonl"], tmp_path)
    assert both.returncode == 2 and "either a SEEDS file or --domain" in both.stderr
    bad_model = run_cli(
        ["personas", "generate", "seeds.txt", "--model", "embedded:huge", "-o", "x.jsonl"],
        tmp_path,
    )
    assert bad_model.returncode == 2 and "unknown embedded tier 'huge'" in bad_model.stderr
    assert not (tmp_path / "x.jsonl").exists()


@pytest.mark.embedded
async def test_embedded_tiny_generates_well_formed(tiny_gguf: str) -> None:
    from simulacra.models import get_model

    model = get_model(
        {"model": f"gguf:{tiny_gguf}", "temperature": 0.7, "n_ctx": 2048}, role="persona_gen"
    )
    try:
        result = await generate_personas(
            ["A night-shift nurse in Porto.", "A retired sailor."],
            model,
            retries=0,
            config=GenerateConfig(max_tokens=200),
        )
    finally:
        await model.aclose()
    assert len(result.personas) + len(result.rejected) + result.duplicates == 2
    assert result.attempts == 2
    for p in result.personas:
        assert isinstance(p, Persona) and p.id is not None and p.id.startswith("gen-")
    for r in result.rejected:
        assert r.reason and r.attempts == 1 and "\n" not in r.reason
