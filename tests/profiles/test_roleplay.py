from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pydantic import TypeAdapter, ValidationError

from simulacra.errors import ConfigError
from simulacra.participants import render_profile
from simulacra.profiles import CharacterCard, KnowledgeBoundary, Profile, RolePlay
from simulacra.profiles._character_file import load_character
from simulacra.prompts import get_template

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "roleplay"


def ada(**boundary: object) -> RolePlay:
    return RolePlay(
        handle="Ada Lovelace in 1843",
        speech_style="formal Victorian English",
        card={
            "biography": "Mathematician, daughter of Lord Byron.",
            "personality": ["imaginative", "rigorous"],
            "catchphrases": ["poetical science"],
            "relationships": {"Charles Babbage": "friend and collaborator"},
            "example_lines": [
                {"prompt": "What is the Engine for?", "line": "It weaves algebraical patterns."},
                "That brain of mine is more than merely mortal.",
            ],
        },
        boundary={"cutoff": 1843, "unknown_topics": ["the internet"], **boundary},
    )


def test_free_text_card_is_still_accepted_as_the_biography() -> None:
    p = RolePlay(handle="Sherlock Holmes", card="A consulting detective.")
    assert isinstance(p.card, CharacterCard)
    assert p.card.biography == "A consulting detective."
    assert "A consulting detective." in render_profile(p)[0]
    old = TypeAdapter(Profile).validate_python(
        {"kind": "roleplay", "handle": "Sherlock Holmes", "speech_style": "clipped"}
    )
    assert isinstance(old, RolePlay) and old.card is None and old.boundary is None


def test_name_defaults_to_the_handle_without_time_or_place() -> None:
    assert RolePlay(handle="Ada Lovelace in 1843").name == "Ada Lovelace"
    assert RolePlay(handle="Captain Hollis, master of the Carinthia").name == "Captain Hollis"
    assert RolePlay(handle="Sherlock Holmes").name == "Sherlock Holmes"
    assert RolePlay(handle="Wolfgang Amadeus Mozart in Vienna in 1786").name == (
        "Wolfgang Amadeus Mozart"
    )
    assert RolePlay(handle="Ada Lovelace in 1843", name="Ada").name == "Ada"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"handle": "   "}, "handle"),
        ({"handle": "Ada", "boundary": {"cutoff": 3000}}, "in the future"),
        (
            {
                "handle": "Ada",
                "boundary": {"unknown_topics": ["Computers"], "known_topics": ["the computer"]},
            },
            "known_topics: 'the computer' is also in unknown_topics",
        ),
        ({"handle": "Ada", "boundary": {"unknown_topics": [" "]}}, "topics must not be empty"),
        ({"handle": "Ada", "boundary": {"on_unknown": "lie"}}, "on_unknown"),
        ({"handle": "Ada", "card": {"catchphrase": ["x"]}}, "Extra inputs"),
    ],
)
def test_invalid_characters_are_rejected_with_the_field(
    data: dict[str, object], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        RolePlay.model_validate(data)


def test_cutoff_accepts_a_year_or_a_date() -> None:
    assert KnowledgeBoundary(cutoff=1843).cutoff_year == 1843
    assert KnowledgeBoundary.model_validate({"cutoff": "1843-07-01"}).cutoff_year == 1843
    assert KnowledgeBoundary(cutoff=dt.date(1924, 5, 1)).cutoff == dt.date(1924, 5, 1)
    assert KnowledgeBoundary().cutoff_year is None and KnowledgeBoundary().is_empty()


def test_template_v2_renders_card_and_boundary() -> None:
    text, ref = render_profile(ada(known_topics=["Analytical Engine"], on_unknown="decline"))
    assert ref == "profile/roleplay@2" == get_template("profile/roleplay").ref
    for expected in [
        "You are Ada Lovelace in 1843",
        "never say or hint that you are an AI",
        "Mathematician, daughter of Lord Byron.",
        "imaginative; rigorous",
        "- Charles Babbage: friend and collaborator",
        "How you speak: formal Victorian English",
        '"poetical science"',
        "Someone: What is the Engine for?\nYou: It weaves algebraical patterns.",
        "You: That brain of mine",
        "You know nothing of any event, invention, person or idea after 1843",
        "You have never heard of: the internet.",
        "You know well: Analytical Engine.",
        "say plainly, as Ada Lovelace would, that you do not know it",
    ]:
        assert expected in text, expected
    deflect, _ = render_profile(ada(on_unknown="deflect"))
    assert "steer the talk back" in deflect and "say plainly" not in deflect


def test_template_without_card_or_boundary_has_no_empty_sections() -> None:
    text, _ = render_profile(RolePlay(handle="Sherlock Holmes"))
    assert "Who you are" not in text and "What you know" not in text
    assert text.startswith("You are Sherlock Holmes.")


def test_example_cards_load() -> None:
    cards = sorted(EXAMPLES.glob("*.yaml"))
    assert len(cards) >= 2
    for path in cards:
        character = load_character(path)
        assert character.boundary is not None and character.boundary.cutoff_year is not None


def test_card_file_errors_name_file_and_field(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(ConfigError, match=r"nope\.yaml: file not found"):
        load_character(missing)
    bad = tmp_path / "bad.yaml"
    bad.write_text("handle: [unclosed\n")
    with pytest.raises(ConfigError, match=r"bad\.yaml:\d+:\d+: malformed YAML"):
        load_character(bad)
    typo = tmp_path / "typo.yaml"
    typo.write_text("handle: Ada\nboundary: {cutof: 1843}\n")
    with pytest.raises(ConfigError, match=r"typo\.yaml: boundary\.cutof: .*did you mean 'cutoff'"):
        load_character(typo)
    persona = tmp_path / "persona.yaml"
    persona.write_text("kind: persona\nname: Maya\n")
    with pytest.raises(ConfigError, match="kind: expected 'roleplay'"):
        load_character(persona)
    listed = tmp_path / "list.yaml"
    listed.write_text("- handle: Ada\n")
    with pytest.raises(ConfigError, match="expected a character mapping"):
        load_character(listed)
