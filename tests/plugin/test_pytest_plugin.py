"""The pytest plugin, run inside pytest (``pytester``): a chatbot test that passes and one that
fails readably, on the real tiny embedded model, and the judge assertion."""

from __future__ import annotations

import json

import llama_cpp  # noqa: F401  (imported here: pytester restores sys.modules after each run)
import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.embedded

# Block the installed entry point (if any) so the module is registered exactly once.
PLUGIN = ["-p", "no:simulacra", "-p", "simulacra.pytest_plugin", "-p", "no:cacheprovider"]
# One llama.cpp thread: on a shared, oversubscribed CPU more threads spin and are far slower.
TINY = '{"model": "embedded:tiny", "n_threads": 1}'

CHATBOT_TESTS = '''
from simulacra.pytest_plugin import assert_check


def opening_hours_bot(messages):
    """The team's chatbot under test: answers from the chat so far."""
    return "We are open 9 am to 5 pm, Monday to Saturday."


def broken_bot(message):
    return "I do not know."


def mentions_hours(conversation):
    """the assistant gives the opening hours"""
    replies = [t.utterance for t in conversation.turns if t.speaker == "assistant"]
    return any("9 am" in r for r in replies), f"{len(replies)} assistant replies"


def test_bot_gives_hours(simulated_user, simulacra_target, converse):
    user = simulated_user("Find out when the shop opens on Saturday.", persona="A busy nurse.",
                          name="Maya", max_tokens=16)
    conversation = converse(user, simulacra_target(opening_hours_bot), max_turns=2)
    assert [t.speaker for t in conversation.turns] == ["user", "assistant"]
    assert conversation.turns[0].utterance.strip()
    assert_check(conversation, mentions_hours)


def test_broken_bot_gives_hours(simulated_user, simulacra_target, converse):
    user = simulated_user("Find out when the shop opens on Saturday.", name="Maya", max_tokens=16)
    conversation = converse(user, simulacra_target(broken_bot, input="message"), max_turns=2)
    assert_check(conversation, mentions_hours)
'''


def test_a_chatbot_test_passes_and_one_fails_readably(
    pytester: pytest.Pytester, tiny_gguf: str
) -> None:
    pytester.makepyfile(test_chatbot=CHATBOT_TESTS)
    result = pytester.runpytest(*PLUGIN, "--simulacra-model", TINY)
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "simulacra: simulated users on embedded:tiny" in out
    # The failure names the check and its reason, and shows the transcript.
    result.stdout.fnmatch_lines(
        [
            "*check failed: the assistant gives the opening hours: 1 assistant replies*",
            "*Maya: *",
            "*Assistant: I do not know.*",
            "*--- ended: max_turns*",
            "*transcripts of this test saved to*",
        ]
    )
    saved = pytester.path / ".simulacra" / "pytest"
    records = list(saved.glob("*broken_bot*.jsonl"))
    assert len(records) == 1, sorted(p.name for p in saved.iterdir())
    conversation = json.loads(records[0].read_text().splitlines()[0])
    assert conversation["turns"][1]["utterance"] == "I do not know."
    assert conversation["model_calls"][0]["model"] == "embedded:tiny"
    # Only the failing test's transcripts are kept.
    assert not list(saved.glob("*test_bot_gives_hours.jsonl"))


JUDGE_TESTS = """
import pytest
from simulacra.pytest_plugin import assert_judge


def bot(messages):
    return "Our shop opens at 9 am on Saturdays."


@pytest.fixture
def conversation(simulated_user, simulacra_target, converse):
    user = simulated_user("Ask when the shop opens on Saturday.", max_tokens=12)
    return converse(user, simulacra_target(bot), max_turns=2)


def test_impossible_score_fails(conversation):
    assert_judge(conversation, "satisfaction", min_score=6)
"""


def test_assert_judge_on_the_real_tiny_judge(pytester: pytest.Pytester, tiny_gguf: str) -> None:
    pytester.makepyfile(test_judged=JUDGE_TESTS)
    pytester.makeini(f"[pytest]\nsimulacra_model = {TINY}\n")
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(failed=1)
    # A real verdict: the judge's own explanation and a score within the scale.
    result.stdout.re_match_lines([r".*: \{'satisfaction': [1-5]\.0\} — \S.*"])
    result.stdout.fnmatch_lines(
        [
            "*judge score * < min_score 6 (rubric rubric/satisfaction@1, judge embedded:tiny)*",
            "*judge explanation:*",
            "*: {'satisfaction': *} — *",
            "*Assistant: Our shop opens at 9 am on Saturdays.*",
        ]
    )


SCRIPTED_JUDGE = """
import json

import pytest
from simulacra.pytest_plugin import assert_judge
from simulacra.testing import ScriptedParticipant, function_model


def answer(score):
    text = json.dumps({"explanation": "It never gave the opening hours.", "score": score})
    return function_model(lambda messages, config: text, role="judge", name="scripted-judge")


@pytest.fixture
def conversation(simulacra_target, converse):
    user = ScriptedParticipant(["When do you open?"], id="user")
    return converse(user, simulacra_target(lambda m: "Hello!"), max_turns=2)


def test_low_score(conversation):
    assert_judge(conversation, "The assistant gives the opening hours.", judge=answer(2))


def test_high_score(conversation):
    verdicts = assert_judge(conversation, "The assistant gives the opening hours.", judge=answer(5))
    assert verdicts[0].scores == {"score": 5.0}


@pytest.mark.asyncio
async def test_async_converse(simulacra_target, converse):
    user = ScriptedParticipant(["When do you open?"], id="user")
    conversation = await converse.run(user, simulacra_target(lambda m: "At nine."), max_turns=2)
    assert conversation.turns[1].utterance == "At nine."
    assert_judge(conversation, "The assistant gives the opening hours.", judge=answer(4))
"""


def test_judge_failure_message_and_async_use(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_scripted=SCRIPTED_JUDGE)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*judge score 2.00 < min_score 4 (rubric rubric/criterion@1, judge scripted-judge)*",
            "*{'score': 2.0} — It never gave the opening hours.*",
            "*user: When do you open?*",
            "*Assistant: Hello!*",
        ]
    )


def test_model_settings_precedence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(
        test_settings="""
from simulacra import pytest_plugin


def test_settings(request):
    expected = request.config.getini("python_files")  # any ini read works
    assert pytest_plugin._SETTINGS.model == "openai:from-option"
    assert pytest_plugin._SETTINGS.judge_model == "openai:judge-from-env"
"""
    )
    pytester.makeini("[pytest]\nsimulacra_model = embedded:small\n")
    monkeypatch.setenv("SIMULACRA_MODEL", "embedded:tiny")
    monkeypatch.setenv("SIMULACRA_JUDGE_MODEL", "openai:judge-from-env")
    result = pytester.runpytest(*PLUGIN, "--simulacra-model", "openai:from-option")
    result.assert_outcomes(passed=1)
    # Without the option, the ini file wins over the environment.
    pytester.makepyfile(
        test_settings="""
from simulacra import pytest_plugin


def test_settings():
    assert pytest_plugin._SETTINGS.model == "embedded:small"
"""
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)
