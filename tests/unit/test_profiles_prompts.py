from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from simulacra.errors import ConfigError
from simulacra.participants import render_profile
from simulacra.profiles import GeneralUser, Individual, Persona, Profile, RolePlay
from simulacra.prompts import get_template, list_templates


def test_profile_union_parses_by_kind() -> None:
    adapter: TypeAdapter[Profile] = TypeAdapter(Profile)
    p = adapter.validate_python({"kind": "roleplay", "handle": "Ada Lovelace in 1843"})
    assert isinstance(p, RolePlay)
    with pytest.raises(ValueError):
        adapter.validate_python({"kind": "alien"})


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (GeneralUser(), "ordinary person"),
        (
            Persona(name="Maya", attributes={"age": 34, "hobbies": ["chess", "tea"]}),
            "hobbies: chess, tea",
        ),
        (RolePlay(handle="Ada Lovelace in 1843", card="Mathematician."), "Ada Lovelace in 1843"),
        (
            Individual(name="Sam", facts=["owns a bakery"], history=["hiya!! u open?"]),
            "> hiya!! u open?",
        ),
    ],
)
def test_each_profile_kind_renders_its_data(profile: Profile, expected: str) -> None:
    text, ref = render_profile(profile)
    assert expected in text
    assert ref.startswith(f"{profile.template}@")


def test_templates_are_versioned_package_data() -> None:
    ids = list_templates()
    assert {"user/transcript_system", "user/transcript_turn", "user/chat_system"} <= set(ids)
    for tid in ids:
        tpl = get_template(tid)
        assert tpl.id == tid and tpl.version >= 1


def test_unknown_template_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="unknown prompt template"):
        get_template("nope/none")


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(Exception, match="undefined"):
        get_template("user/transcript_system").render(name="x")
