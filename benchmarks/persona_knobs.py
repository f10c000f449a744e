"""Do persona behaviour knobs change what the embedded model writes? (verbosity → words per turn)

For a few goals, a simulated user with ``behaviour.verbosity`` 0.05 and 0.95 writes its first
message (``max_tokens`` 90, temperature 0.7, one seed per goal); the difference of mean words per
message is reported with a 95% bootstrap interval, twice: with the instruction alone
(``enforce_verbosity=False``) and as shipped (a terse user's long messages are also trimmed to its
word budget). Measured, not asserted: on small models the instruction may do nothing, and that is
a finding.

Run: python benchmarks/persona_knobs.py [--tier default] [--goals 6]
Writes benchmarks/results/persona_knobs.json (value = verbose − terse words, ratio = verbose ÷
terse mean words).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics

from _common import write_result

from simulacra import CallableTarget, Persona, PromptedUser, StopConditions, run_conversation
from simulacra.evaluation import bootstrap_mean_difference
from simulacra.models import GenerateConfig, get_model

GOALS = [
    "Get a refund for a late parcel.",
    "Change the delivery address of your order.",
    "Ask why your invoice is higher than last month.",
    "Find out whether the shop is open on Sunday.",
    "Cancel your gym membership.",
    "Report a broken streetlight on your street.",
]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="default")
    parser.add_argument("--goals", type=int, default=6)
    args = parser.parse_args()
    model = get_model(
        {"model": f"embedded:{args.tier}", "max_tokens": 90, "temperature": 0.7}, role="user"
    )
    bot = CallableTarget(lambda view: "ok")
    details: dict[str, object] = {}
    for enforce in (False, True):
        words: dict[float, list[float]] = {0.05: [], 0.95: []}
        examples: dict[float, list[str]] = {0.05: [], 0.95: []}
        for level in words:
            for i, goal in enumerate(GOALS[: args.goals]):
                user = PromptedUser(
                    model,
                    goal=goal,
                    profile=Persona(name="Alex", behaviour={"verbosity": level}),
                    config=GenerateConfig(seed=i),
                    enforce_verbosity=enforce,
                )
                c = await run_conversation([user, bot], stop=StopConditions(max_turns=1))
                for t in c.turns:
                    words[level].append(len(t.utterance.split()))
                    examples[level].append(t.utterance)
        diff = bootstrap_mean_difference(words[0.95], words[0.05])
        terse, verbose = statistics.fmean(words[0.05]), statistics.fmean(words[0.95])
        label = "as shipped (trimmed)" if enforce else "instruction only"
        print(f"{label}: terse {terse:.1f} words, verbose {verbose:.1f} words; difference {diff}")
        details["shipped" if enforce else "instruction_only"] = {
            "difference": diff.value,
            "ci95": [diff.low, diff.high],
            "ratio": round(verbose / terse, 3) if terse else None,
            "words": words,
            "examples": examples,
        }
    await model.aclose()
    write_result(
        "persona_knobs",
        value=round(diff.value, 2),
        unit="words per first user message (verbosity 0.95 minus 0.05), as shipped",
        ratio=round(verbose / terse, 3) if terse else None,
        goal="difference > 0 with the 95% interval above 0",
        model=f"embedded:{args.tier}",
        goal_met=diff.low > 0,
        templates=["profile/persona", "user/transcript_system", "user/transcript_turn"],
        code_paths=[
            "benchmarks/persona_knobs.py",
            "src/simulacra/participants/_simulated_user.py",
            "src/simulacra/participants/_style.py",
            "src/simulacra/profiles/_persona.py",
            "src/simulacra/models/_embedded.py",
        ],
        details=details,
    )


if __name__ == "__main__":
    asyncio.run(main())
