"""The agenda-based user against a rule-based MultiWOZ system: speed and completed goals.

1,000 MultiWOZ 2.1 goals (test split, read from ../shared/data/multiwoz21/test.json.zip) each run
one conversation through ``run_conversation``: the :class:`AgendaUser` against ``RuleSystem``
below, a deterministic rule-based system (no model) that:

- knows the user's last acts (an oracle NLU: it reads them from the user object),
- has a fake database whose only gaps are the goal's ``fail_info`` / ``fail_book`` values (the
  corpus' own failures), so "no match" and failed bookings happen where they happened in MultiWOZ,
- asks for a few required slots, recommends a venue echoing the constraints, answers requests
  with plausible values, books when the booking slots are known, and says it with templates.

Two variants, interleaved:

- **nlu**: the user reads the system's text with its keyword NLU (the default path);
- **acts**: the system also hands its dialogue acts to the user (``system_acts`` hook).

Value: user turns per second of wall time over the whole loop, nlu variant (the system's time
included); details: user-only rate (time inside ``AgendaUser.respond``), share of goals the user
completed (its own view) and share that pass the lexical task-success check, turns per
conversation, how conversations ended. Ratio: value ÷ the prompted embedded user's turn rate
estimated from benchmarks/results/embedded_throughput.json (tokens/s ÷ 64 tokens per turn; the LLM
is not run here).

Run: python benchmarks/agenda_baseline.py [--goals 1000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path
from typing import Any

from _common import RESULTS, write_result

from simulacra import (
    ParticipantInfo,
    ParticipantKind,
    Reply,
    StopConditions,
    View,
    run_conversation,
)
from simulacra.datasets import multiwoz_goals
from simulacra.participants import AgendaUser, DialogueAct, TaskGoal, task_success

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multiwoz21" / "test.json.zip"
REQUIRED = {
    "hotel": ["area", "price range"],
    "restaurant": ["area", "food"],
    "train": ["departure", "destination", "day"],
    "taxi": ["departure", "destination"],
    "attraction": ["type"],
}
FAKE = {
    "phone": "01223 351880",
    "postcode": "cb2 1ab",
    "address": "12 regent street",
    "train id": "tr1234",
    "duration": "52 minutes",
    "price": "12.50 pounds",
    "entrance fee": "free",
    "car type": "white toyota",
    "leave at": "09:15",
    "arrive by": "10:07",
    "open hours": "open from 10:00",
}
ASK = {
    "area": "What area would you like?",
    "price range": "What price range are you looking for?",
    "food": "What type of food would you like?",
    "departure": "Where will you be departing from?",
    "destination": "Where are you travelling to?",
    "day": "What day will you travel?",
    "type": "What type of attraction are you interested in?",
    "book people": "How many people is the booking for?",
    "book day": "What day would you like?",
    "book stay": "How many nights will you stay?",
    "book time": "What time would you like the table?",
}


class RuleSystem:
    """A deterministic rule-based MultiWOZ system with an oracle NLU (see the module doc)."""

    def __init__(self, goal: TaskGoal, user: AgendaUser, *, share_acts: bool) -> None:
        self.info = ParticipantInfo(id="assistant", name="System", kind=ParticipantKind.AI_SYSTEM)
        self.user = user
        self.gaps = {
            (d.domain, s, v)
            for d in goal.domains
            for s, v in d.fail_inform.items()
            if d.inform.get(s) != v
        }
        self.book_gaps = {
            (d.domain, s, v)
            for d in goal.domains
            for s, v in d.fail_book.items()
            if d.book.get(s) != v
        }
        self.state: dict[str, dict[str, str]] = {d.domain: {} for d in goal.domains}
        self.asked: set[tuple[str, str]] = set()
        self.last: list[DialogueAct] = []
        self.refs = 0
        if share_acts:
            user.system_acts = lambda view: self.last if view.messages else None

    async def respond(self, view: View) -> Reply:
        acts = self.user.history[-1] if self.user.history else []
        out: list[DialogueAct] = []
        domain = acts[0].domain if acts else "general"
        state = self.state.get(domain, {})
        for a in acts:
            if a.intent == "inform":
                state[a.slot] = a.value
        requests = [a.slot for a in acts if a.intent == "request"]
        if any((domain, s, v) in self.gaps for s, v in state.items()):
            slot = next(s for s, v in state.items() if (domain, s, v) in self.gaps)
            out.append(DialogueAct("nooffer", domain, slot, state[slot]))
        elif any((domain, s, v) in self.book_gaps for s, v in state.items()):
            out.append(DialogueAct("nobook", domain))
        elif requests:
            for slot in requests:
                if slot == "ref":
                    missing = [s for s in ASK if s.startswith("book ") and s not in state]
                    needed = [s for s in missing if s in _book_slots(domain)]
                    if needed:
                        out.append(DialogueAct("request", domain, needed[0]))
                    else:
                        self.refs += 1
                        out.append(DialogueAct("book", domain, "ref", f"ab{self.refs:02d}cd9x"))
                else:
                    value = FAKE.get(slot) or state.get(slot) or _default(domain, slot)
                    out.append(DialogueAct("inform", domain, slot, value))
        elif domain in REQUIRED:
            ask = [s for s in REQUIRED[domain] if s not in state and (domain, s) not in self.asked]
            if ask:
                self.asked.add((domain, ask[0]))
                out.append(DialogueAct("request", domain, ask[0]))
            else:
                out.append(DialogueAct("recommend", domain, "name", f"the {domain} one"))
                out += [
                    DialogueAct("inform", domain, s, v)
                    for s, v in state.items()
                    if s in ("area", "price range", "stars", "food", "type") and v != "dontcare"
                ]
        if not acts:
            out.append(DialogueAct("welcome"))
        elif acts[0].intent == "bye":
            out = [DialogueAct("bye")]
        elif not any(a.intent in ("request",) for a in out):
            out.append(DialogueAct("reqmore"))
        self.last = out
        return Reply(utterance=" ".join(_say(a) for a in out))


def _book_slots(domain: str) -> set[str]:
    return {
        "hotel": {"book people", "book day", "book stay"},
        "restaurant": {"book people", "book day", "book time"},
        "train": {"book people"},
    }.get(domain, set())


def _default(domain: str, slot: str) -> str:
    return {
        "area": "centre",
        "type": "guesthouse" if domain == "hotel" else "museum",
        "price range": "moderate",
        "stars": "4",
        "internet": "yes",
        "parking": "yes",
        "food": "british",
    }.get(slot, "yes")


def _say(a: DialogueAct) -> str:
    v = a.value
    if a.intent == "request":
        return ASK.get(a.slot, f"What {a.slot} would you like?")
    if a.intent == "nooffer":
        return f"I'm sorry, there is no {a.domain} matching {v}."
    if a.intent == "nobook":
        return "I'm sorry, I couldn't book that. Would another day or a shorter stay work?"
    if a.intent == "book":
        return f"I have booked it. Your reference number is {v.upper()}."
    if a.intent == "recommend":
        return f"I recommend {v}."
    if a.intent == "inform":
        if a.slot in ("parking", "internet"):
            return f"It has free {'wifi' if a.slot == 'internet' else 'parking'}."
        if a.slot == "stars":
            return f"It has {v} stars."
        if a.slot == "car type":
            return f"A {v} will pick you up."
        if a.slot in ("leave at", "arrive by"):
            return f"It {'leaves' if a.slot == 'leave at' else 'arrives'} at {v}."
        return f"The {a.slot} is {v}."
    if a.intent == "reqmore":
        return "Is there anything else I can help with?"
    if a.intent == "welcome":
        return "Hello, how can I help?"
    return "You're welcome, goodbye!"


class TimedUser:
    """Wraps the user to time its own turns."""

    def __init__(self, user: AgendaUser) -> None:
        self.user, self.info, self.seconds, self.turns = user, user.info, 0.0, 0

    async def respond(self, view: View) -> Reply:
        t0 = time.perf_counter()
        reply = await self.user.respond(view)
        self.seconds += time.perf_counter() - t0
        self.turns += 1
        return reply


async def run_all(goals: list[TaskGoal], *, share_acts: bool) -> dict[str, Any]:
    ended: Counter[str] = Counter()
    completed = checked = turns = user_turns = 0
    user_seconds = 0.0
    conversations = []
    t0 = time.perf_counter()
    for i, goal in enumerate(goals):
        user = AgendaUser(goal, seed=i)
        system = RuleSystem(goal, user, share_acts=share_acts)
        timed = TimedUser(user)
        c = await run_conversation([timed, system], stop=StopConditions(max_turns=60))
        ended[str(c.termination)] += 1
        completed += user.status == "success"
        conversations.append(c)
        turns += len(c.turns)
        user_turns += timed.turns
        user_seconds += timed.seconds
    wall = time.perf_counter() - t0
    checked = sum(task_success(g, c).success for g, c in zip(goals, conversations, strict=True))
    n = len(goals)
    return {
        "user_turns_per_s": user_turns / wall,
        "user_only_turns_per_s": user_turns / user_seconds,
        "completed_share": completed / n,
        "task_success_share": checked / n,
        "turns_per_conversation": turns / n,
        "user_turns": user_turns,
        "wall_s": round(wall, 3),
        "ended": dict(ended),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--goals", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    goals = multiwoz_goals(DATA, limit=args.goals)
    runs: dict[str, list[dict[str, Any]]] = {"nlu": [], "acts": []}
    for _ in range(args.repeats):
        for variant in runs:
            runs[variant].append(asyncio.run(run_all(goals, share_acts=variant == "acts")))
    summary = {
        v: {
            **{
                k: round(statistics.median(r[k] for r in rs), 3)
                for k in (
                    "user_turns_per_s",
                    "user_only_turns_per_s",
                    "completed_share",
                    "task_success_share",
                    "turns_per_conversation",
                )
            },
            "ended": rs[0]["ended"],
            "per_repeat_user_turns_per_s": [round(r["user_turns_per_s"], 1) for r in rs],
        }
        for v, rs in runs.items()
    }
    embedded = json.loads((RESULTS / "embedded_throughput.json").read_text())
    prompted = embedded["value"] / 64
    value = summary["nlu"]["user_turns_per_s"]
    write_result(
        "agenda_baseline",
        value=round(value, 1),
        unit="user turns/s",
        ratio=round(value / prompted, 1),
        goal="a rule-based baseline orders of magnitude faster than a prompted user (ratio >= 100); report goals completed",
        model="none (agenda-based user vs rule-based system)",
        goal_met=value / prompted >= 100,
        code_paths=[
            "benchmarks/agenda_baseline.py",
            "benchmarks/results/embedded_throughput.json",
            "src/simulacra/participants/_agenda.py",
            "src/simulacra/scenarios/_goal.py",
            "src/simulacra/participants/_agenda_nlg.py",
            "src/simulacra/participants/_agenda_nlu.py",
            "src/simulacra/scenarios/_ontology.py",
            "src/simulacra/scenarios/_schema.py",
            "src/simulacra/participants/_agenda_success.py",
            "src/simulacra/datasets/_multiwoz.py",
            "src/simulacra/orchestration/_loop.py",
        ],
        details={
            "goals": len(goals),
            "source": str(DATA.name),
            "variants": summary,
            "prompted_embedded_turns_per_s_estimate": round(prompted, 3),
            "ratio_basis": "value / (embedded_throughput tokens/s / 64 tokens per turn)",
        },
    )


if __name__ == "__main__":
    main()
