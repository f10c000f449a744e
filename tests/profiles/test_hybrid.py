"""Hybrid profiles: composition, precedence, contradictions; loading profiles of every kind."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from pydantic import ValidationError

from simulacra import PromptedUser, StopConditions, run_conversation
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants import render_profile
from simulacra.profiles import Hybrid, Individual, Persona, RolePlay
from simulacra.profiles._io import load_personas, load_profiles
from simulacra.runs import load_config
from simulacra.testing import ScriptedParticipant, function_model

PERSONA = {"kind": "persona", "behaviour": {"verbosity": 0.05, "typo_rate": 0.0}}
ROLE = {"kind": "roleplay", "handle": "a grumpy lighthouse keeper", "speech_style": "gruff"}
PERSON = {"kind": "individual", "facts": ["lives in Porto", "has two cats"]}


def test_parts_render_in_precedence_order_with_every_template_in_the_ref() -> None:
    h = Hybrid(
        name="Rui", parts=[PERSONA, ROLE, PERSON], precedence=["roleplay", "individual", "persona"]
    )
    text, ref = render_profile(h)
    assert ref.startswith("profile/hybrid@1+profile/roleplay@")
    assert ref.index("profile/individual@") < ref.index("profile/persona@")
    # Highest precedence first, and the rule that earlier sections win.
    assert text.index("lighthouse keeper") < text.index("lives in Porto") < text.index("very short")
    assert "follow the earlier one" in text
    assert "1. The character you play (highest priority)" in text


def test_default_precedence_is_the_order_of_parts() -> None:
    h = Hybrid(parts=[PERSON, PERSONA])
    assert [p.kind for p in h.ordered_parts()] == ["individual", "persona"]
    assert h.behaviour is not None and h.behaviour.verbosity == 0.05
    assert h.behaviour_lines() and "short" in h.behaviour_lines()[0]
    assert isinstance(h.individual(), Individual)


def test_name_comes_from_the_parts_when_they_agree() -> None:
    h = Hybrid(parts=[{**PERSONA, "name": "Ana"}, {**PERSON, "name": "Ana"}])
    assert h.name == "Ana"


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"parts": [PERSONA]}, "at least two parts"),
        ({"parts": [PERSONA, PERSONA]}, "more than one persona part"),
        ({"parts": [{**PERSONA, "name": "Ana"}, {**PERSON, "name": "Rui"}]}, "'Ana' and 'Rui'"),
        ({"parts": [PERSONA, PERSON], "precedence": ["persona", "roleplay"]}, "precedence"),
        ({"parts": [PERSONA, {"kind": "general"}]}, "parts.1"),
    ],
)
def test_contradictory_settings_are_rejected(data: dict[str, object], needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        Hybrid.model_validate(data)
    assert needle in str(info.value)


async def test_hybrid_user_talks_with_persona_knobs_and_records_the_profile() -> None:
    prompts: list[str] = []

    def reply(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        prompts.append(messages[0].content)
        return "hi, the lamp broke"

    h = Hybrid(name="Rui", parts=[ROLE, PERSONA])
    user = PromptedUser(function_model(reply, role="user"), goal="fix the lamp", profile=h)
    bot = ScriptedParticipant(["What happened?", "Done."], id="bot")
    c = await run_conversation([user, bot], stop=StopConditions(max_turns=4))
    assert "lighthouse keeper" in prompts[0] and "How you write" in prompts[0]
    user_info = next(p for p in c.participants if p.id == "user")
    assert isinstance(user_info.profile, Hybrid)
    # The run log keeps the composition: round-trip through JSON.
    again = type(c).model_validate_json(c.model_dump_json())
    restored = next(p for p in again.participants if p.id == "user").profile
    assert isinstance(restored, Hybrid) and restored.ordered_parts()[0].kind == "roleplay"
    assert c.turns[0].utterance == "hi, the lamp broke"


def test_load_profiles_reads_every_kind_and_defaults_to_persona(tmp_path: Path) -> None:
    f = tmp_path / "p.jsonl"
    rows = [
        {"behaviour": {"verbosity": 0.5}},
        ROLE,
        PERSON,
        {"kind": "hybrid", "parts": [PERSONA, ROLE]},
    ]
    f.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    kinds = [type(p) for p in load_profiles(f)]
    assert kinds == [Persona, RolePlay, Individual, Hybrid]
    with pytest.raises(ConfigError, match=r"profile 2 is a roleplay"):
        load_personas(f)


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        (
            '{"behaviour": {"verbosty": 0.5}}',
            ":2: behaviour.verbosty: unknown key (did you mean 'verbosity'?)",
        ),
        ('{"big_five": {"openness": 7}}', ":2: big_five.openness"),
        (
            '{"kind": "hybrid", "parts": [{"kind": "persona"}]}',
            ":2: hybrid: a hybrid needs at least two parts",
        ),
        ("{not json", ":2: malformed JSON"),
    ],
)
def test_bad_profile_lines_name_file_line_and_field(tmp_path: Path, line: str, needle: str) -> None:
    f = tmp_path / "p.jsonl"
    f.write_text('{"name": "ok"}\n' + line + "\n")
    with pytest.raises(ConfigError) as info:
        load_profiles(f)
    message = str(info.value)
    assert "\n" not in message and message.startswith(str(f))
    assert needle.replace("persona.", "") in message.replace("persona.", "")


def test_run_config_profiles_file_takes_any_kind(tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text(
        "- {kind: roleplay, id: keeper, handle: a lighthouse keeper}\n"
        "- {kind: hybrid, id: mix, parts: [{kind: persona}, {kind: individual, facts: [x]}]}\n"
    )
    (tmp_path / "run.yaml").write_text(
        "name: t\nmodels: {user: 'embedded:tiny', target: 'embedded:tiny'}\n"
        "scenarios: [{id: s, goal: g}]\nprofiles_file: people.yaml\n"
    )
    config = load_config(tmp_path / "run.yaml")
    assert [p.kind for p in config.profiles] == ["roleplay", "hybrid"]


def test_object_parts_count_only_names_they_were_given() -> None:
    h = Hybrid(parts=[Persona(name="Ada"), RolePlay(handle="Ada Lovelace in 1843")])
    assert h.name == "Ada"
    with pytest.raises(ValidationError, match="'Ada' and 'Bea'"):
        Hybrid(parts=[Persona(name="Ada"), RolePlay(name="Bea", handle="Ada Lovelace")])
