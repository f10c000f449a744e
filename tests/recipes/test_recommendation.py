"""Recipe 3: MovieBot preferences read from the original file, the rule recommender, the success
check, and the recipe end to end (scripted user for the logic; the tiny model for the real path)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.datasets._moviebot_prefs import (
    MoviePreferences,
    load_moviebot_preferences,
    moviebot_catalogue,
)
from simulacra.errors import ConfigError
from simulacra.recipes import CatalogueRecommender, accepted_recommendation, run_recommendation
from simulacra.testing import function_model
from tests.recipes._helpers import TINY_JSON, invoke

pytestmark = pytest.mark.embedded


@pytest.fixture(scope="module")
def moviebot(shared_data: Path) -> Path:
    return shared_data / "moviebot-usersimcrs"


def test_preferences_and_catalogue_from_the_real_dialogues(moviebot: Path) -> None:
    prefs = load_moviebot_preferences(moviebot)
    assert len(prefs) == 8
    first = prefs[0]
    assert first.id == "moviebot:39GHHAVOMGCMCWD43ZNZ2ARD9RF4JH"
    assert first.genres == ["action", "fantasy"]
    assert first.seen == ["Conan the Barbarian", "Dracula Untold"]
    assert sum(bool(p.accepted) for p in prefs) == 3
    catalogue = {m.title: m.genres for m in moviebot_catalogue(moviebot)}
    assert len(catalogue) == 35
    assert catalogue["Kung Fu Hustle"] == ("action", "fantasy")
    assert catalogue["Tis the Season for Love"] == ("romance",)


def test_bad_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_moviebot_preferences(tmp_path)
    bad = tmp_path / "d.json"
    bad.write_text('{"x": 1}')
    with pytest.raises(ConfigError, match="expected a list of dialogues"):
        load_moviebot_preferences(bad)


def _conversation(*lines: tuple[str, str]) -> Conversation:
    c = Conversation(
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="assistant", name="Recommender", kind=ParticipantKind.AI_SYSTEM),
        ]
    )
    for speaker, text in lines:
        c.append(Turn(speaker=speaker, utterance=text))
    return c


def test_the_success_check(moviebot: Path) -> None:
    catalogue = moviebot_catalogue(moviebot)
    prefs = MoviePreferences(id="u", genres=["action"], seen=["Logan"], disliked=["Bright"])
    offer = ("assistant", "How about Super Fuzz (action)? Have you seen it?")
    ok, why = accepted_recommendation(
        _conversation(offer, ("user", "Sounds good, I'll watch it!")), prefs, catalogue
    )
    assert ok and "Super Fuzz" in why
    seen = ("assistant", "How about Logan (action)?")
    assert not accepted_recommendation(
        _conversation(seen, ("user", "I'll watch Logan.")), prefs, catalogue
    )[0]
    rejected = ("user", "I've already seen it, another one please")
    assert accepted_recommendation(_conversation(offer, rejected), prefs, catalogue) == (
        False,
        "no recommendation was accepted",
    )
    romance = ("assistant", "What about Tis the Season for Love?")
    ok, why = accepted_recommendation(
        _conversation(romance, ("user", "Perfect, I'll watch it")), prefs, catalogue
    )
    assert not ok and "not their genres" in why


def test_the_rule_recommender(moviebot: Path) -> None:
    catalogue = [m for m in moviebot_catalogue(moviebot) if m.genres]
    bot = CatalogueRecommender(catalogue)
    c = _conversation(("user", "Hi, I want a movie."))
    assert bot(c.view_for("assistant")) == "Which genres do you like?"
    c.append(Turn(speaker="assistant", utterance="Which genres do you like?"))
    c.append(Turn(speaker="user", utterance="I love Sci-Fi and westerns."))
    first = bot(c.view_for("assistant"))
    c.append(Turn(speaker="assistant", utterance=first))
    c.append(Turn(speaker="user", utterance="Seen it."))
    second = bot(c.view_for("assistant"))
    assert first.startswith("How about Akira") and "Broken Lance" not in first
    assert second != first and second.startswith("How about ")


async def test_the_recipe_with_a_scripted_user(moviebot: Path) -> None:
    def user(messages, config):  # names its first genre, then accepts what is offered
        prompt = "\n".join(m.content for m in messages)
        genre = (
            prompt.split("You like ")[1].split(" movies")[0].split(",")[0]
            if "You like " in prompt
            else "action"
        )
        return (
            "That sounds good, I'll watch it."
            if "How about" in prompt
            else f"I like {genre} movies."
        )

    conversations, report = await run_recommendation(
        moviebot, user_model=function_model(user, role="user"), limit=3, max_turns=6
    )
    # The second user had seen Akira, the first sci-fi title: accepting it is no success.
    assert [u["success"] for u in report["users"]] == [True, False, True]
    assert "Akira" in report["users"][1]["check"] and "seen" in report["users"][1]["check"]
    # That scripted user also says the same line again and again: the validity gate flags it
    # (repeats_self), so it is reported apart and left out of the success rate.
    assert conversations[1].metadata["simulator_invalid"] is True
    assert report["simulator"]["invalid"] == 1
    assert report["simulator"]["reasons"] == {"repeats_self": 1}
    assert report["success"]["n"] == 2 and report["success"]["successes"] == 2
    assert [str(c.termination) for c in conversations] == [
        "goal_reached",
        "max_turns",
        "goal_reached",
    ]
    assert report["real_acceptance"] == {**report["real_acceptance"], "n": 3, "successes": 1}


def test_the_cli_on_the_tiny_model(moviebot: Path, tiny_gguf: str, tmp_path: Path) -> None:
    out = invoke(
        "recipe",
        "recommendation",
        "--data",
        str(moviebot),
        "--model",
        TINY_JSON,
        "-n",
        "1",
        "--max-turns",
        "2",
        "--max-tokens",
        "12",
        "-o",
        str(tmp_path),
    )
    assert out.exit_code == 0, out.output
    assert "success: " in out.output and "real MovieBot acceptance: " in out.output
    report = json.loads((tmp_path / "report.json").read_text())
    [conversation] = [
        json.loads(line) for line in (tmp_path / "conversations.jsonl").read_text().splitlines()
    ]
    assert (
        report["users"][0]["user"]
        == conversation["scenario_id"]
        == "moviebot:39GHHAVOMGCMCWD43ZNZ2ARD9RF4JH"
    )
    assert conversation["turns"][0]["utterance"].strip()  # the tiny model wrote the user's turn
    assert conversation["turns"][1]["speaker"] == "assistant"
    assert report["users"][0]["success"] == conversation["metadata"]["success"]
