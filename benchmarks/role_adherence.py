"""Role adherence of prompt-based simulated users: transcript-framed vs naive chat prompting.

For each embedded tier and each prompting technique, a simulated user talks through a fixed set of
scenarios against a fixed bot (the same canned assistant replies for every cell, so only the user
side varies). Every user turn is checked by :func:`simulacra.evaluation.role_violation`; the
share that stays in role is reported with a 95% Wilson interval.

Each cell runs ``--seeds`` seeds of every scenario, then more seeds until it has at least
``--min-turns`` user turns (users that end early with the stop sentinel give fewer than 3 turns).
A tier whose model is not installed here is skipped and named in ``details.tiers_not_run``.

Run: python benchmarks/role_adherence.py [--tiers tiny,small,default] [--seeds 1] [--min-turns 60]
Writes benchmarks/results/role_adherence.json (value = adherence of the default tier with the
default technique, ratio = transcript ÷ chat adherence on that tier).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import time

from _common import write_result

from simulacra import CallableTarget, PromptedUser, StopConditions, run_conversation
from simulacra.conversation import View
from simulacra.errors import SimulacraError
from simulacra.evaluation import role_adherence, role_violation
from simulacra.models import CATALOGUE, GenerateConfig, get_model, resolve_gguf

TEMPLATES = [
    "profile/general",
    "user/transcript_system",
    "user/transcript_turn",
    "user/chat_system",
    "user/chat_kickoff",
]
CODE_PATHS = [
    "benchmarks/role_adherence.py",
    "src/simulacra/participants/_simulated_user.py",
    "src/simulacra/evaluation/_role.py",
    "src/simulacra/orchestration/_loop.py",
    "src/simulacra/models/_embedded.py",
]

SCENARIOS = [
    (
        "Book a double room in Lisbon for 12-14 March, under 150 EUR a night.",
        [
            "Hello! I can help with bookings. Which dates are you looking at?",
            "We have a double room for 130 EUR a night, breakfast included. Shall I book it? I need your name.",
            "Done! Your booking is confirmed. Anything else?",
        ],
    ),
    (
        "Your laptop does not turn on since yesterday; get it fixed or replaced under warranty.",
        [
            "I'm sorry to hear that. What is the model and when did you buy it?",
            "Thanks. Have you tried holding the power button for 30 seconds with the charger connected?",
            "Then please send it in; I have opened repair ticket 4471 for you.",
        ],
    ),
    (
        "Find a vegetarian dinner recipe you can cook in 20 minutes with what is in your fridge: eggs, spinach, feta.",
        [
            "Happy to help! Do you have any dietary restrictions besides being vegetarian?",
            "A spinach and feta omelette takes about 10 minutes: whisk 3 eggs, wilt the spinach, add feta, fold.",
            "Enjoy your meal!",
        ],
    ),
    (
        "Cancel your gym membership, which renews next week, without paying the 30 EUR cancellation fee.",
        [
            "I can look into that. Can you give me your member number?",
            "Cancellation within 7 days of renewal normally costs 30 EUR.",
            "I've waived the fee this time. Your membership ends on the renewal date.",
        ],
    ),
    (
        "Get a refund for a concert ticket (order 5521) because the concert was moved to a date you cannot make.",
        [
            "I'm sorry about that. What is your order number?",
            "Order 5521, I see it. Rescheduled events are refundable within 14 days. Would you like a refund?",
            "Your refund of 65 EUR will arrive in 5 business days.",
        ],
    ),
    (
        "Learn which of two phone plans (10 GB for 15 EUR or unlimited for 25 EUR) suits you; you use about 8 GB a month.",
        [
            "Hi! How much mobile data do you usually use per month?",
            "With about 8 GB, the 10 GB plan would cover you and save 10 EUR a month.",
            "Would you like me to switch you to that plan?",
        ],
    ),
    (
        "Report a broken streetlight on Oak Street near number 12 and learn when it will be repaired.",
        [
            "Thank you for contacting the city service desk. What would you like to report?",
            "Thanks, where exactly is the streetlight?",
            "Logged as ticket 8812. Repairs usually take 3 to 5 working days.",
        ],
    ),
    (
        "Ask your bank why a 49.99 EUR charge from 'STREAMFLIX' appeared on your card, since you never subscribed.",
        [
            "Hello, this is your bank's assistant. How can I help?",
            "I see a recurring charge from STREAMFLIX on the 3rd. Did you sign up for a free trial?",
            "I have blocked further charges and opened a dispute for the 49.99 EUR.",
        ],
    ),
]


def _bot(replies: list[str]) -> CallableTarget:
    def reply(view: View) -> str:
        bot_turns = sum(1 for m in view.messages if m.role == "assistant")
        return replies[min(bot_turns, len(replies) - 1)]

    return CallableTarget(reply)


async def measure(tier: str, prompting: str, seeds: int, min_turns: int) -> dict[str, object]:
    model = get_model(
        {"model": f"embedded:{tier}", "temperature": 0.7, "max_tokens": 60}, role="user"
    )
    utterances: list[tuple[str, list[str]]] = []
    stops = 0
    seeds_run = 0
    started = time.perf_counter()
    try:
        for seed in itertools.count():
            if seed >= seeds and len(utterances) >= min_turns:
                break
            seeds_run += 1
            for k, (goal, replies) in enumerate(SCENARIOS):
                user = PromptedUser(
                    model,
                    goal=goal,
                    prompting=prompting,  # type: ignore[arg-type]
                    config=GenerateConfig(seed=seed * 100 + k),
                )
                conversation = await run_conversation(
                    [user, _bot(replies)],
                    stop=StopConditions(max_turns=5),
                    metadata={"seed": seed},
                )
                for i, t in enumerate(conversation.turns):
                    if t.speaker == "user":
                        others = [
                            o.utterance for o in conversation.turns[:i] if o.speaker != "user"
                        ]
                        utterances.append((t.utterance, others))
                stops += conversation.termination == "user_stop"
    finally:
        await model.aclose()
    score = role_adherence(utterances)
    low, high = score.wilson_interval()
    return {
        "tier": tier,
        "prompting": prompting,
        "seeds": seeds_run,
        "user_turns": score.turns,
        "adherence": round(score.rate, 3),
        "ci95": [round(low, 3), round(high, 3)],
        "violations": score.violations,
        "user_stops": stops,
        "wall_s": round(time.perf_counter() - started, 1),
        "examples": [u for u, _ in utterances[:6]],
        "flagged": [
            {"rule": v, "turn": u}
            for u, o in utterances
            if (v := role_violation(u, others=o)) is not None
        ],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiers", default="tiny,small,default")
    parser.add_argument("--seeds", type=int, default=1)
    parser.add_argument("--min-turns", type=int, default=60, help="user turns per cell, at least")
    parser.add_argument("--prompting", default="chat,transcript")
    parser.add_argument("--no-write", action="store_true", help="print only (prompt experiments)")
    parser.add_argument("--note", default="", help="kept in details.note (e.g. machine load)")
    args = parser.parse_args()
    rows = []
    not_run: dict[str, str] = {}
    for tier in args.tiers.split(","):
        try:
            resolve_gguf(CATALOGUE[tier])
        except (KeyError, SimulacraError) as e:
            not_run[tier] = str(e)[:300]
            print(f"{tier:8} not run: {not_run[tier]}", flush=True)
            continue
        for prompting in args.prompting.split(","):
            row = await measure(tier, prompting, args.seeds, args.min_turns)
            rows.append(row)
            print(
                f"{tier:8} {prompting:10} adherence {row['adherence']:.3f} "
                f"CI95 {row['ci95']} over {row['user_turns']} turns  {row['violations']}",
                flush=True,
            )
            if args.no_write:
                for f in row["flagged"]:  # type: ignore[attr-defined]
                    print("   ", f["rule"], "|", f["turn"][:150].replace("\n", " / "))
    if args.no_write:
        return
    by = {(r["tier"], r["prompting"]): r for r in rows}
    tier = "default" if ("default", "transcript") in by else rows[-1]["tier"]
    value = float(by[(tier, "transcript")]["adherence"])  # type: ignore[arg-type]
    chat = float(by[(tier, "chat")]["adherence"])  # type: ignore[arg-type]
    tiers = {str(r["tier"]) for r in rows}
    transcript_not_worse = all(
        float(by[(t, "transcript")]["adherence"]) >= float(by[(t, "chat")]["adherence"])  # type: ignore[arg-type]
        for t in tiers
        if (t, "transcript") in by and (t, "chat") in by
    )
    write_result(
        "role_adherence",
        value=value,
        unit="fraction of simulated-user turns in role",
        ratio=round(value / chat, 3) if chat else None,
        goal="transcript-framed >= chat on every tier; default tier >= 0.9",
        model=f"embedded:{tier}",
        goal_met=transcript_not_worse and tier == "default" and value >= 0.9,
        templates=TEMPLATES,
        model_files=[resolve_gguf(CATALOGUE[t]) for t in sorted(tiers)],
        code_paths=CODE_PATHS,
        details={
            "scenarios": len(SCENARIOS),
            "seeds": args.seeds,
            "min_turns": args.min_turns,
            "tiers_not_run": not_run,
            "rows": rows,
            **({"note": args.note} if args.note else {}),
        },
    )


if __name__ == "__main__":
    asyncio.run(main())
