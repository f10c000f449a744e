"""Recipe 5: the focus-group config runs (group_chat, moderator policy) on the tiny model, and its
themes come out by keyword clustering and from a model."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.models import ModelSpec
from simulacra.recipes import judge_themes, keyword_themes
from simulacra.runs import execute_run, load_config, read_conversations
from simulacra.testing import function_model
from tests.recipes._helpers import RECIPES, TINY, invoke

pytestmark = pytest.mark.embedded


def _group(*lines: tuple[str, str]) -> Conversation:
    people = {"rita": "Rita", "joao": "Joao", "helen": "Helen"}
    c = Conversation(
        participants=[
            *(
                ParticipantInfo(id=i, name=n, kind=ParticipantKind.SIMULATED_HUMAN)
                for i, n in people.items()
            ),
            ParticipantInfo(id="assistant", name="Facilitator", kind=ParticipantKind.AI_SYSTEM),
        ]
    )
    for speaker, text in lines:
        c.append(Turn(speaker=speaker, utterance=text))
    return c


def test_keyword_themes_cluster_co_occurring_words() -> None:
    c = _group(
        ("assistant", "What do you think about the price and the battery battery battery?"),
        ("rita", "The price is too high for a bottle."),
        ("joao", "Price matters to me, 35 EUR is a lot for a bottle."),
        ("helen", "I do not trust the phone app with my data."),
        ("rita", "The app sync and the phone pairing sound fiddly."),
        ("joao", "I never charge gadgets."),
    )
    themes = keyword_themes(c)
    # Two participants and two messages each: ties are broken alphabetically.
    assert [t["terms"] for t in themes] == [["app", "phone"], ["bottle", "price"]]
    assert themes[1]["participants"] == ["Joao", "Rita"] and themes[1]["messages"] == 2
    assert themes[0]["quote"] == "Helen: I do not trust the phone app with my data."
    # The facilitator's words are not themes; single mentions are not either.
    assert all("battery" not in t["terms"] and "gadget" not in t["terms"] for t in themes)


async def test_model_themes_and_an_unreadable_answer() -> None:
    c = _group(("rita", "Too expensive."))
    good = function_model(
        lambda m, cfg: '{"themes": [{"theme": "price", "sentiment": "negative"}]}'
    )
    assert await judge_themes(c, good) == {
        "themes": [{"theme": "price", "sentiment": "negative"}],
        "model": "function",
    }
    bad = await judge_themes(c, function_model(lambda m, cfg: "no idea"))
    assert bad["error"].startswith("unreadable answer")


def test_the_focus_group_runs_and_themes_come_out(tiny_gguf: str, tmp_path: Path) -> None:
    config = load_config(RECIPES / "focus_group.yaml")
    assert config.paradigm is not None and config.paradigm["policy"] == "moderator"
    spec = ModelSpec(**TINY, max_tokens=12)
    config = config.model_copy(
        update={
            "models": {role: spec for role in config.models},
            "stop": config.stop.model_copy(update={"max_turns": 3}),
            "cache": config.cache.model_copy(update={"enabled": False}),
        }
    )
    result = asyncio.run(execute_run(config, output_dir=tmp_path))
    [c] = list(read_conversations(result.directory))
    assert c.termination is not None and not c.termination.is_error, c.error
    assert len(c.turns) >= 1
    assert any(e["type"] in ("moderator", "moderator_fallback") for e in c.events)
    out = invoke("recipe", "themes", str(result.directory), "-o", str(tmp_path / "themes.json"))
    assert out.exit_code == 0, out.output
    report = json.loads((tmp_path / "themes.json").read_text())
    assert report["groups"][0]["turns"] == len(c.turns)
    assert sum(report["groups"][0]["turns_by_speaker"].values()) == len(c.turns)


def test_themes_of_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    out = invoke("recipe", "themes", str(tmp_path))
    assert out.exit_code != 0 and "not a run directory" in str(out.exception)
