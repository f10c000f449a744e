"""The verbosity knob changes what the real embedded model writes (tiny tier, CI).

Six goals, one seed each, first message only; the difference of mean words per message between
verbosity 0.95 and 0.05 must have its 95% bootstrap interval above zero. The default tier is
measured in ``benchmarks/persona_knobs.py`` (numbers in docs/profiles.md).
"""

from __future__ import annotations

import pytest

from simulacra import CallableTarget, Persona, PromptedUser, StopConditions, run_conversation
from simulacra.evaluation import bootstrap_mean_difference
from simulacra.models import GenerateConfig, get_model

pytestmark = pytest.mark.embedded

GOALS = [
    "Get a refund for a late parcel.",
    "Change the delivery address of your order.",
    "Ask why your invoice is higher than last month.",
    "Find out whether the shop is open on Sunday.",
    "Cancel your gym membership.",
    "Report a broken streetlight on your street.",
]


async def test_verbosity_knob_lengthens_messages_on_the_tiny_model(tiny_gguf: str) -> None:
    model = get_model({"model": "embedded:tiny", "max_tokens": 60, "temperature": 0.7}, role="user")
    bot = CallableTarget(lambda view: "ok")
    words: dict[float, list[float]] = {0.05: [], 0.95: []}
    for level, counts in words.items():
        for i, goal in enumerate(GOALS):
            user = PromptedUser(
                model,
                goal=goal,
                profile=Persona(name="Alex", behaviour={"verbosity": level}),
                config=GenerateConfig(seed=i),
            )
            c = await run_conversation([user, bot], stop=StopConditions(max_turns=1))
            counts.append(len(c.turns[0].utterance.split()))
    await model.aclose()
    diff = bootstrap_mean_difference(words[0.95], words[0.05])
    assert diff.low > 0, (diff, words)
    assert max(words[0.05]) <= 8  # the terse budget at verbosity 0.05
