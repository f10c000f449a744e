"""Group chat at 2, 8 and 32 simulated users on an instant model: turns/s, and what building each
participant's view costs as the channel grows.

Two parts:

- **views**: a channel of ``n`` users and one assistant grows to ``--turns`` turns in the group
  chat's pattern (a user, then the assistant, users in rotation); before each turn the next
  speaker's view is built, as the loop does. Timed with the incremental views of
  ``Conversation.view_for`` and with the former full rebuild (every ``ViewMessage`` made again
  on every call, reimplemented here as the baseline), per view, at several channel lengths.
- **runs**: ``run_group_chat`` with ``n`` ``PromptedUser`` s and a ``GroupAssistant`` (decision
  call on) over an in-process model that answers canned text at once (``function_model``);
  turns/s and the share of the run spent in ``view_for``.

value = µs per view at the longest channel with 32 users (incremental); ratio = that ÷ the same at
2 users (ideal 1: a view's cost does not depend on how many people are in the channel).

Run: python benchmarks/group_chat.py [--turns 2000] [--run-turns 300]
Writes benchmarks/results/group_chat.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

from _common import write_result
from _fake import median, table

from simulacra.conversation import (
    Conversation,
    ParticipantInfo,
    ParticipantKind,
    Turn,
    View,
    ViewMessage,
)
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.orchestration import StopConditions, WeightedRandom
from simulacra.paradigms.group_chat import GroupAssistant, run_group_chat
from simulacra.participants import Participant, PromptedUser
from simulacra.profiles import Persona
from simulacra.testing import function_model

SIZES = (2, 8, 32)
TEXT = "sounds good, what time does the museum open on Saturday?"


def rebuild_view(c: Conversation, participant_id: str) -> View:
    """The former ``view_for``: every message rebuilt on every call (the baseline)."""
    me = c.participant(participant_id)
    names = {p.id: p.name for p in c.participants}
    messages = [
        ViewMessage(
            role="assistant" if t.speaker == participant_id else "user",
            content=t.utterance,
            name=names[t.speaker],
        )
        for t in c.turns
    ]
    return View(
        participant=me,
        others=[p for p in c.participants if p.id != participant_id],
        messages=messages,
        turn_index=len(c.turns),
        conversation_id=c.id,
    )


def _channel(n: int) -> Conversation:
    users = [
        ParticipantInfo(id=f"u{i}", name=f"User{i}", kind=ParticipantKind.SIMULATED_HUMAN)
        for i in range(n)
    ]
    bot = ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM)
    return Conversation(participants=[*users, bot])


def view_costs(
    n: int, turns: int, build: Callable[[Conversation, str], View], marks: Sequence[int]
) -> dict[int, float]:
    """µs per view around each mark (the mean over the 50 views before it)."""
    c = _channel(n)
    per_view: list[float] = []
    gc.collect()
    gc.disable()  # collector pauses land on random views: keep them out of both variants
    try:
        for t in range(turns):
            speaker = "assistant" if t % 2 else f"u{(t // 2) % n}"
            t0 = time.perf_counter()
            build(c, speaker)
            per_view.append(time.perf_counter() - t0)
            c.turns.append(Turn(speaker=speaker, utterance=TEXT, time=0.0))
    finally:
        gc.enable()
    return {m: 1e6 * sum(per_view[m - 50 : m]) / 50 for m in marks}


def everyone_at_the_end(n: int, turns: int) -> dict[str, float]:
    """After the channel grew (views built each turn), every participant's view once: µs per
    view, incremental (some participants cold) vs rebuild."""
    c = _channel(n)
    for t in range(turns):
        speaker = "assistant" if t % 2 else f"u{(t // 2) % n}"
        c.view_for(speaker)
        c.turns.append(Turn(speaker=speaker, utterance=TEXT, time=0.0))
    ids = [p.id for p in c.participants]
    out = {}
    for label, build in (("incremental", Conversation.view_for), ("rebuild", rebuild_view)):
        t0 = time.perf_counter()
        for pid in ids:
            build(c, pid)
        out[label] = round(1e6 * (time.perf_counter() - t0) / len(ids), 1)
    return out


def _brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    if config.json_schema is not None:
        users = config.json_schema["properties"]["to"]["enum"]
        return json.dumps({"speak": len(messages[-1].content) % 3 != 0, "to": users[0]})
    if "AI assistant of a group chat" in messages[0].content:
        return "The museum opens at ten."
    return "@Assistant " + TEXT


async def one_run(n: int, turns: int, *, rebuild: bool = False) -> dict[str, float]:
    model = function_model(_brain, role="user")
    target = function_model(_brain, role="target")
    users: list[Participant] = [
        PromptedUser(model, goal="plan the trip", profile=Persona(name=f"User{i}"), id=f"u{i}")
        for i in range(n)
    ]
    bot = GroupAssistant(target, system_prompt="You help a travel club.")
    spent = [0.0]
    original = Conversation.view_for
    build = rebuild_view if rebuild else original

    def timed_view(self: Conversation, participant_id: str) -> View:
        t0 = time.perf_counter()
        try:
            return build(self, participant_id)
        finally:
            spent[0] += time.perf_counter() - t0

    Conversation.view_for = timed_view  # type: ignore[method-assign]
    try:
        t0 = time.perf_counter()
        c = await run_group_chat(
            users, bot, policy=WeightedRandom(seed=1), stop=StopConditions(max_turns=turns)
        )
        wall = time.perf_counter() - t0
    finally:
        Conversation.view_for = original  # type: ignore[method-assign]
    assert len(c.turns) == turns, (c.termination, c.error)
    return {"tps": turns / wall, "view_pct": 100 * spent[0] / wall, "wall": wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=2000, help="channel length of the views part")
    parser.add_argument("--run-turns", type=int, default=300, help="turns of each group chat run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    marks = [m for m in (250, 500, 1000, 2000, 4000) if m <= args.turns]
    views: dict[str, dict[str, dict[int, float]]] = {}
    rows: list[list[Any]] = []
    for n in SIZES:
        views[str(n)] = {}
        for label, build in (("incremental", Conversation.view_for), ("rebuild", rebuild_view)):
            runs = [view_costs(n, args.turns, build, marks) for _ in range(args.repeats)]
            med = {m: round(median([r[m] for r in runs]), 2) for m in marks}
            views[str(n)][label] = med
            rows.append([n, label, *[med[m] for m in marks]])
    print("µs per view, by channel length (turns so far):")
    table(["users", "views", *[str(m) for m in marks]], rows)
    at_end = {str(n): everyone_at_the_end(n, args.turns) for n in SIZES}
    print("\nevery participant's view once at the end (µs per view):", at_end)
    asyncio.run(one_run(2, 20))  # warm-up: templates, imports
    run_rows: list[list[Any]] = []
    runs_out: dict[str, dict[str, float]] = {}
    for n in SIZES:
        for label in ("incremental", "rebuild"):
            results = [
                asyncio.run(one_run(n, args.run_turns, rebuild=label == "rebuild"))
                for _ in range(args.repeats)
            ]
            tps = median([r["tps"] for r in results])
            pct = median([r["view_pct"] for r in results])
            runs_out[f"{n} users, {label} views"] = {
                "turns_per_s": round(tps),
                "view_for_pct_of_run": round(pct, 2),
            }
            run_rows.append([n, label, args.run_turns, round(tps), round(pct, 2)])
    print()
    table(["users", "views", "turns", "turns/s", "% of run in view_for"], run_rows)
    last = marks[-1]
    value = views["32"]["incremental"][last]
    ratio = round(value / views["2"]["incremental"][last], 2)
    growth = {
        n: round(views[n]["incremental"][last] / views[n]["incremental"][marks[0]], 2)
        for n in views
    }
    speedup = {n: round(views[n]["rebuild"][last] / views[n]["incremental"][last]) for n in views}
    write_result(
        "group_chat",
        value=value,
        unit=f"µs per view at {last} turns, 32 users",
        ratio=ratio,
        goal="a view's cost independent of channel size (ratio = 32 users ÷ 2 users, ideal 1) "
        "and of channel length up to one list copy (growth, ideal 1)",
        model="in-process instant model (function_model, canned text)",
        goal_met=None,  # an ideal (1), not a pass/fail bound
        code_paths=[
            "benchmarks/group_chat.py",
            "src/simulacra/conversation.py",
            "src/simulacra/paradigms/_group_chat.py",
            "src/simulacra/paradigms/_group_assistant.py",
            "src/simulacra/orchestration/_loop.py",
            "src/simulacra/orchestration/_policies.py",
            "src/simulacra/participants/_simulated_user.py",
        ],
        details={
            "views_us_per_view": views,
            "growth_longest_over_shortest_mark": growth,
            "speedup_over_rebuild_at_longest": speedup,
            "every_participant_at_end_us_per_view": at_end,
            "runs": runs_out,
            "workload": {
                "view_turns": args.turns,
                "run_turns": args.run_turns,
                "repeats": args.repeats,
                "run": "n PromptedUsers + GroupAssistant (decision call on), weighted random",
            },
        },
    )


if __name__ == "__main__":
    main()
