"""KV-cache prefix reuse of the embedded model on a growing transcript-framed conversation.

A conversation between a simulated user and an assistant grows by one canned exchange (a user line
and a ~40-word assistant reply) per turn, for 10 turns. After each exchange the simulated user's
next-message prompt is built by ``PromptedUser.build_messages`` (transcript framing: system
message, then one message holding the whole transcript with the instruction last) and sent to
``EmbeddedAPI.generate_sync`` (temperature 0, few tokens). Two instances get every prompt, in
alternating order per turn so drift and contention hit both alike: one with ``reuse_prefix=True``,
one with ``reuse_prefix=False`` (``llm.reset()`` before each call). After a warm-up and a reset,
each instance sees only this conversation's prompts. Per turn: prompt tokens, prompt tokens
actually evaluated (llama.cpp perf counters) and call latency.

Run: python benchmarks/kv_reuse.py [--tier default] [--turns 10] [--max-tokens 24] [--repeats 3]
The conversation is replayed ``--repeats`` times (both instances reset in between); latencies are
per-turn medians. Writes benchmarks/results/kv_reuse.json (value = latency at the last turn with
reuse, ratio = latency without ÷ with reuse at the last turn).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from _common import write_result

from simulacra import PromptedUser
from simulacra.conversation import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.models import (
    CATALOGUE,
    ChatMessage,
    EmbeddedAPI,
    GenerateConfig,
    Model,
    resolve_gguf,
)

GOAL = "Get a refund for a pair of running shoes (order 7731) that fell apart after two weeks."
EXCHANGES = [
    (
        "Hi, I bought running shoes two weeks ago and they're already falling apart.",
        "I'm really sorry to hear that your running shoes are already damaged. That should not happen "
        "after only two weeks of use. Could you tell me your order number and describe what exactly is "
        "wrong with them, so I can look into the options for you?",
    ),
    (
        "Order 7731. The sole is coming off the left shoe.",
        "Thank you, I found order 7731: one pair of TrailRunner 3 shoes, size 42, delivered on the "
        "4th. A sole separating after two weeks is covered by our quality guarantee. Would you prefer "
        "a replacement pair or a full refund to your original payment method?",
    ),
    (
        "A refund please, I don't trust that model anymore.",
        "Understood, a refund it is. To process it I need the shoes back. I can email you a prepaid "
        "return label right away; you just print it, pack the shoes in any box and drop it at a "
        "post office. Is the email address on your account still correct?",
    ),
    (
        "Yes, same email. Do I need the original box?",
        "No, the original box is not required. Any sturdy box or bag will do, as long as the shoes are "
        "inside and the label is clearly visible. Please include a note with the order number if you "
        "can; it helps our warehouse match the parcel faster when it arrives.",
    ),
    (
        "Ok. How long does the refund take?",
        "Once the parcel reaches our warehouse, it is usually checked within two working days. The "
        "refund is then sent immediately, and depending on your bank it appears on your card within "
        "three to five working days. You will get an email at each step of the process.",
    ),
    (
        "Can't you refund me now? I'm a bit short on money this month.",
        "I understand, and I'm sorry for the inconvenience. As an exception, because this is a clear "
        "quality defect, I can issue the refund now before the shoes arrive, provided you send them "
        "within fourteen days. Would that work for you? The amount is 89 EUR.",
    ),
    (
        "Yes that works, thank you. 89 EUR is right.",
        "Great, I have issued the refund of 89 EUR to the card ending in 4410 just now. The return "
        "label has been sent to your email as well. Please remember to ship the shoes within fourteen "
        "days, otherwise the refund may be reversed. Is there anything else?",
    ),
    (
        "I didn't get the email yet.",
        "Emails can take a few minutes to arrive. Please also check your spam or promotions folder, "
        "since automated messages sometimes land there. If it has not arrived within fifteen minutes, "
        "I can resend it or give you a download link for the label right here instead.",
    ),
    (
        "Found it in spam. Can I drop it at any post office?",
        "Yes, any post office in the country accepts our prepaid labels, and many parcel lockers do "
        "too. Keep the receipt they give you: it contains a tracking number, so you can follow the "
        "parcel and prove that it was sent within the fourteen days if ever needed.",
    ),
    (
        "Good. Will I get a discount for next time?",
        "As an apology for the trouble, I have added a 15% discount code to your account. It is valid "
        "for six months on any item in our shop, including other running shoe models. You will find it "
        "under My Account, Vouchers. Is there anything else I can help you with today?",
    ),
]


def call(api: EmbeddedAPI, messages: list[ChatMessage], max_tokens: int) -> dict[str, Any]:
    config = GenerateConfig(temperature=0.0, max_tokens=max_tokens, seed=1)
    t0 = time.perf_counter()
    out = api.generate_sync(messages, config)
    latency = time.perf_counter() - t0
    return {
        "prompt_tokens": out.usage.prompt_tokens,
        "evaluated": out.usage.prompt_tokens_evaluated,
        "completion_tokens": out.usage.completion_tokens,
        "latency_s": round(latency, 3),
        "text": out.text[:60],
    }


def run(
    apis: dict[bool, EmbeddedAPI], turns: int, max_tokens: int
) -> dict[bool, list[dict[str, Any]]]:
    """Grow one conversation; after each exchange, ask both instances (order alternating)."""
    user = PromptedUser(Model(apis[True], role="user"), goal=GOAL, prompting="transcript")
    bot_info = ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM)
    conversation = Conversation(participants=[user.info, bot_info])
    rows: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
    for t in range(1, turns + 1):
        line, reply = EXCHANGES[(t - 1) % len(EXCHANGES)]
        conversation.append(Turn(speaker="user", utterance=line))
        conversation.append(Turn(speaker="assistant", utterance=reply))
        messages, _ = user.build_messages(conversation.view_for("user"))
        for reuse in (True, False) if t % 2 else (False, True):
            row = {"turn": t, **call(apis[reuse], messages, max_tokens)}
            prev = rows[reuse][-1]["prompt_tokens"] if rows[reuse] else 0
            row["new_tokens"] = row["prompt_tokens"] - prev
            rows[reuse].append(row)
            print(
                f"  reuse={reuse!s:5} " + ", ".join(f"{k}={v}" for k, v in row.items()), flush=True
            )
    return rows


def table(rows_on: list[dict[str, Any]], rows_off: list[dict[str, Any]]) -> str:
    head = "turn | prompt | new | eval(reuse) | eval(no reuse) | lat reuse s | lat no reuse s | x"
    lines = [head, "-" * len(head)]
    for a, b in zip(rows_on, rows_off, strict=True):
        lines.append(
            f"{a['turn']:4d} | {a['prompt_tokens']:6d} | {a['new_tokens']:3d} | {a['evaluated']:11d} | "
            f"{b['evaluated']:14d} | {a['latency_s']:11.3f} | {b['latency_s']:14.3f} | "
            f"{b['latency_s'] / a['latency_s']:.1f}"
        )
    return "\n".join(lines)


def merge(repeats: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per turn: the token counts of the first repeat, the median latency of all repeats."""
    merged = []
    for rows in zip(*repeats, strict=True):
        lats = [r["latency_s"] for r in rows]
        evaluated = {r["evaluated"] for r in rows}
        merged.append(
            {**rows[0], "latency_s": round(statistics.median(lats), 3), "latencies_s": lats}
        )
        if len(evaluated) > 1:
            merged[-1]["evaluated_varies"] = sorted(evaluated)
    return merged


def main(tier: str, turns: int, max_tokens: int, repeats: int) -> None:
    entry = CATALOGUE[tier]
    path = resolve_gguf(entry)
    apis: dict[bool, EmbeddedAPI] = {}
    for reuse in (True, False):
        api = EmbeddedAPI(path, name=f"embedded:{tier}", n_ctx=entry.n_ctx, reuse_prefix=reuse)
        # Warm-up on an unrelated prompt (page in the weights); reset() below forgets it.
        call(api, [ChatMessage(role="user", content="Say hello.")], 8)
        apis[reuse] = api
    runs: dict[bool, list[list[dict[str, Any]]]] = {True: [], False: []}
    for rep in range(repeats):
        # Each repeat starts cold; between turns each instance sees only this conversation.
        for api in apis.values():
            api.llm.reset()
        print(f"repeat {rep + 1}/{repeats}")
        for reuse, rows in run(apis, turns, max_tokens).items():
            runs[reuse].append(rows)
    for api in apis.values():
        api.llm.close()
    on, off = merge(runs[True]), merge(runs[False])
    print(table(on, off))
    last_on, last_off = on[-1], off[-1]
    ratio = last_off["latency_s"] / last_on["latency_s"]
    write_result(
        "kv_reuse",
        value=last_on["latency_s"],
        unit="s",
        ratio=round(ratio, 2),
        goal=f"per-turn prompt work grows with the new turn only; ratio >= 3 at turn {turns}",
        model=f"embedded:{tier}",
        details={
            "turns": turns,
            "repeats": repeats,
            "max_tokens": max_tokens,
            "n_ctx": entry.n_ctx,
            "last_turn": {
                "prompt_tokens": last_on["prompt_tokens"],
                "new_tokens": last_on["new_tokens"],
                "evaluated_with_reuse": last_on["evaluated"],
                "evaluated_without_reuse": last_off["evaluated"],
                "latency_with_reuse_s": last_on["latency_s"],
                "latency_without_reuse_s": last_off["latency_s"],
            },
            "total_latency_with_reuse_s": round(sum(r["latency_s"] for r in on), 3),
            "total_latency_without_reuse_s": round(sum(r["latency_s"] for r in off), 3),
            "total_evaluated_with_reuse": sum(r["evaluated"] for r in on),
            "total_evaluated_without_reuse": sum(r["evaluated"] for r in off),
            "with_reuse": on,
            "without_reuse": off,
            "note": "latency = median over repeats; new_tokens = prompt_tokens minus the previous "
            "turn's; evaluated = llama.cpp n_p_eval (prompt tokens actually computed); text = "
            "the first 60 characters the user wrote (a real message, not a stop signal)",
            "stop_answers": sum(1 for r in on if "###STOP###" in r["text"]),
        },
        goal_met=ratio >= 3,
        templates=["user/transcript_system", "user/transcript_turn", "profile/general"],
        model_files=[path],
        code_paths=[
            "src/simulacra/models/_embedded.py",
            "src/simulacra/participants/_simulated_user.py",
            "benchmarks/kv_reuse.py",
        ],
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tier", default="default", choices=sorted(CATALOGUE))
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=24)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    main(args.tier, args.turns, args.max_tokens, args.repeats)
