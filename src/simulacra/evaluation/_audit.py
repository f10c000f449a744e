"""Simulator self-audit (survey §9.1): rule-based flags on a simulated user's turns, so that the
ways a simulator cheats or breaks show up as rates with their turn ids.

Per user turn:

- ``invented_fact``: the user states a fact — a number or code (``PX-4471``, ``12:30``, ``£20``),
  a number word, a weekday or month, a capitalised name mid-sentence, or (with a structured
  goal) a MultiWOZ slot value — that appears neither in its profile and goal nor earlier in the
  conversation (either side);
- ``hidden_revealed``: the user gives away information it was to hold back: with a MultiWOZ goal,
  a fallback constraint (the value to use only after the system found no match for the first
  one, ``fail_info``) before any system sentence said there was no match; with ``hidden``
  facts (``key=value`` or ``value``, per scenario), the value before the other side asked a
  question naming the key (any question, for a bare value);
- ``role_reversal``: :func:`~simulacra.evaluation.role_violation` (speaks as the assistant,
  leaks its instructions, writes the dialogue, echoes the other side, says nothing).

Per conversation (flagged on its last user turn):

- ``premature_stop``: the user closed the conversation (its stop signal, or a farewell as its
  last turn) and it did not end with ``goal_reached``, the other side had not failed it
  (refused in one of its last two turns, or its last message repeats one of the two before it,
  A, A or A, B, A: the user's request went unanswered — its turns up to the user's closing
  count, not its answer to the closing), while part of the goal was never conveyed: constraint
  and booking values, requested slots and the wish to book of a structured goal; the numbers,
  codes and names of a goal in words.

Rates are flagged turns ÷ user turns with a percentile interval from resampling conversations
(turns of one conversation are not independent); ``premature_stop`` is a share of the
conversations the user closed, with a Wilson interval. The rules are lexical: a paraphrased
value ("a couple of nights") is missed, a fact the user legitimately adds ("my name is Ana") is
flagged. Measure the same rules on real users (a MultiWOZ file) for their base rate.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from simulacra.conversation import TerminationReason
from simulacra.evaluation._metrics import _is_user
from simulacra.evaluation._population import Population
from simulacra.evaluation._role import role_violation
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles, wilson
from simulacra.participants._checklist import Checklist
from simulacra.participants._validity import _CALENDAR, _NUMBER_WORDS, failed
from simulacra.scenarios import DOMAINS, DONTCARE, TaskGoal

__all__ = ["AUDIT_RULES", "AuditFlag", "AuditReport", "audit_report", "stated_facts"]

AUDIT_RULES = ("invented_fact", "hidden_revealed", "premature_stop", "role_reversal")
_TURN_RULES = ("invented_fact", "hidden_revealed", "role_reversal")

# the same number words and calendar words as the validity gate's invented-constraint rule
_NOT_NAMES = set(
    [
        "i",
        "i'm",
        "i'd",
        "i'll",
        "i've",
        "hi",
        "hello",
        "hey",
        "thanks",
        "thank",
        "please",
        "ok",
        "okay",
        "yes",
        "no",
        "sure",
        "great",
        "perfect",
        "mr",
        "mrs",
        "ms",
        "dr",
        "sir",
        "madam",
    ]
)
_TOKEN = re.compile(r"[£$€]?[A-Za-z]*\d[\w:./-]*|[A-Za-z][\w'-]*")
_SENTENCE_START = re.compile(r"(^|[.!?]\s+|\n\s*)$")
_FAREWELL = re.compile(
    r"\b(bye|goodbye|that'?s all|that is all|that will be all|that'?s everything|nothing else|"
    r"have a (good|nice|great|lovely) (day|one|evening|night))\b",
    re.IGNORECASE,
)
_FAILED = re.compile(
    r"\b(unsuccessful|not successful|fully booked|booked up|no availability|not available)\b"
)
_CONSTRAINT_SLOTS = frozenset({"area", "price range", "stars", "type", "food"})
"""The slots a user states (the others that the NLU finds by shape are the system's answers)."""
_UNITS = {
    "stay": r"(nights?|days?)",
    "people": r"(people|persons?|guests?|of us|adults?)",
}


def _norm(text: str) -> str:
    """Lower-case words, number words as digits, currency signs and end punctuation dropped."""
    out = []
    for tok in re.findall(r"[\w:./']+", text.lower().replace("&", " and ")):
        tok = tok.strip(".,'/:")
        out.append(_NUMBER_WORDS.get(tok, tok))
    return " " + " ".join(out) + " "


def stated_facts(text: str) -> list[str]:
    """The checkable facts a text states, normalised: numbers and codes, number words (not
    "one"), weekdays and months, and runs of capitalised words that do not start a sentence."""
    facts: list[str] = []
    run: list[str] = []
    text = text.replace("&", " and ")
    for m in _TOKEN.finditer(text):
        tok = m.group(0).rstrip(".,:/-")
        low = tok.lower().lstrip("£$€")
        capital = tok[:1].isupper() and not _SENTENCE_START.search(text[: m.start()])
        if (
            capital
            and low not in _NOT_NAMES
            and low not in _CALENDAR
            and not any(ch.isdigit() for ch in low)
        ):
            run.append(low)
            continue
        if run:
            facts.append(" ".join(run))
            run = []
        if re.fullmatch(r"\d+-[a-z]+", low):  # "4-star", "3-night": the number is the fact
            facts.append(low.split("-")[0])
        elif any(ch.isdigit() for ch in low):
            facts.append(low)
        elif low in _NUMBER_WORDS and low != "one":
            facts.append(_NUMBER_WORDS[low])
        elif low in _CALENDAR:
            facts.append(low)
    if run:
        facts.append(" ".join(run))
    return list(dict.fromkeys(f for f in facts if f))


def _said(fact: str, haystack: str) -> bool:
    return f" {_norm(fact).strip()} " in haystack


def _task_text(task: TaskGoal) -> str:
    parts = [task.description]
    for d in task.domains:
        parts.append(d.domain)
        for values in (d.inform, d.book, d.fail_inform, d.fail_book):
            parts.extend(f"{slot} {value}" for slot, value in values.items())
    return "\n".join(parts)


@dataclass(frozen=True)
class AuditFlag:
    """One flag: the rule, the turn (``<conversation>:<turn index>``) and what triggered it."""

    rule: str
    turn_id: str
    detail: str


@dataclass(frozen=True)
class AuditReport:
    """Audit rates and flagged turns.

    Attributes:
        source: What was audited.
        n_conversations: Conversations with user turns.
        n_user_turns: Their user turns.
        rates: Rule → rate (turn rules: share of user turns; ``premature_stop``: share of the
            conversations the user closed; ``any``: user turns with any turn flag).
        flags: Every flag, in order.
        applicable: Rule → its denominator (``hidden_revealed``: user turns of conversations
            that have hidden information; ``premature_stop``: conversations the user closed).
    """

    source: str
    n_conversations: int
    n_user_turns: int
    rates: dict[str, Estimate] = field(default_factory=dict)
    flags: list[AuditFlag] = field(default_factory=list)
    applicable: dict[str, int] = field(default_factory=dict)

    def flagged(self, rule: str) -> list[str]:
        """The turn ids a rule flagged."""
        return [f.turn_id for f in self.flags if f.rule == rule]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary with the flagged turn ids per rule."""
        return {
            "source": self.source,
            "n_conversations": self.n_conversations,
            "n_user_turns": self.n_user_turns,
            "rates": {k: _estimate_dict(e) for k, e in self.rates.items()},
            "applicable": self.applicable,
            "flagged": {r: self.flagged(r) for r in AUDIT_RULES},
            "flags": [{"rule": f.rule, "turn": f.turn_id, "detail": f.detail} for f in self.flags],
        }


def _hidden_values(task: TaskGoal | None, extra: Sequence[str]) -> list[tuple[str, str, str]]:
    """``(kind, key, value)``: ``fallback`` values of a MultiWOZ goal, ``asked`` facts."""
    out: list[tuple[str, str, str]] = []
    if task is not None:
        for d in task.domains:
            for fail, final in ((d.fail_inform, d.inform), (d.fail_book, d.book)):
                for slot, first in fail.items():
                    value = final.get(slot)
                    if value and value != first and value != DONTCARE:
                        out.append(("fallback", f"{d.domain}-{slot}", value))
    for fact in extra:
        key, sep, value = fact.partition("=")
        out.append(("asked", key.strip() if sep else "", (value if sep else key).strip()))
    return out


def _no_match(sentence: str) -> bool:
    from simulacra.participants._agenda_nlu import _NEGATIVE, _NO_MATCH

    s = sentence.lower()
    return bool(_NEGATIVE.search(s) and _NO_MATCH.search(s)) or bool(_FAILED.search(s))


def _asked(key: str, others: Sequence[str]) -> bool:
    words = [w for w in re.split(r"[\s_-]+", key.lower()) if w]
    for text in others:
        for sentence in re.split(r"(?<=[?.!])\s+", text):
            if sentence.rstrip().endswith("?") and all(w in sentence.lower() for w in words):
                return True
    return False


def _unconveyed(task: TaskGoal | None, goal: str, user_text: str, other_text: str) -> list[str]:
    if task is None:
        return [f for f in stated_facts(goal) if not _said(f, _norm(user_text))]
    return [
        f"{i.id}={i.values[-1]}" if i.kind == "inform" else i.id
        for i in Checklist.from_task(task).pending([user_text], [other_text])
    ]


def audit_report(
    population: Population,
    *,
    hidden: Mapping[str, Sequence[str]] | None = None,
    resamples: int = 1000,
    seed: int = 0,
) -> AuditReport:
    """Audit every user turn of a population (see the module docstring).

    Args:
        population: Conversations with their goals (:func:`~simulacra.evaluation.
            load_population`).
        hidden: Scenario id → facts to reveal only when asked (``key=value`` or ``value``).
        resamples: Bootstrap resamples of the turn rates.
        seed: Bootstrap seed.
    """
    from simulacra.participants import render_profile

    convs = [c for c in population.conversations if _is_user(c) & {t.speaker for t in c.turns}]
    flags: list[AuditFlag] = []
    per_conv: list[dict[str, int]] = []
    closed = premature = 0
    for c in convs:
        users = _is_user(c)
        task = population.task_of(c)
        goal = population.goal_of(c)
        ground = [goal, _task_text(task) if task else ""]
        ground += [render_profile(p.profile)[0] for p in c.participants if p.profile is not None]
        grounding = _norm("\n".join(ground))
        secrets = _hidden_values(task, (hidden or {}).get(c.scenario_id or "", ()))
        counts = dict.fromkeys(("turns", "any", "hidden_turns", *_TURN_RULES), 0)
        earlier: list[str] = []
        others: list[str] = []
        no_match_seen = False
        last_user = None
        before_close: list[str] = []
        for i, turn in enumerate(c.turns):
            if turn.speaker not in users:
                no_match_seen = no_match_seen or any(
                    _no_match(s) for s in re.split(r"(?<=[?.!])\s+", turn.utterance)
                )
                others.append(turn.utterance)
                earlier.append(turn.utterance)
                continue
            last_user = i
            before_close = list(others)  # the other side's turns before the user's last one
            tid = f"{c.id}:{i}"
            seen = grounding + _norm("\n".join(earlier))
            found: list[AuditFlag] = []
            invented = [f for f in stated_facts(turn.utterance) if not _said(f, seen)]
            if task is not None:
                invented += _invented_slots(turn.utterance, task, "\n".join([*ground, *earlier]))
            if invented:
                found.append(AuditFlag("invented_fact", tid, ", ".join(dict.fromkeys(invented))))
            revealed = _revealed(turn.utterance, secrets, no_match_seen, others)
            if revealed:
                found.append(AuditFlag("hidden_revealed", tid, ", ".join(revealed)))
            violation = role_violation(turn.utterance, others=others[-1:])
            if violation is not None:
                found.append(AuditFlag("role_reversal", tid, violation))
            counts["turns"] += 1
            counts["hidden_turns"] += bool(secrets)
            counts["any"] += bool(found)
            for f in found:
                counts[f.rule] += 1
            flags.extend(found)
            earlier.append(turn.utterance)
        per_conv.append(counts)
        user_text = "\n".join(t.utterance for t in c.turns if t.speaker in users)
        last_text = c.turns[last_user].utterance if last_user is not None else ""
        if c.ended_by in users or bool(_FAREWELL.search(last_text)):
            closed += 1
            missing = (
                []
                if c.termination == TerminationReason.GOAL_REACHED or failed(before_close)
                else _unconveyed(task, goal, user_text, "\n".join(others))
            )
            if missing:
                premature += 1
                flags.append(
                    AuditFlag(
                        "premature_stop", f"{c.id}:{last_user}", "never said " + ", ".join(missing)
                    )
                )
    report = AuditReport(population.source, len(convs), sum(p["turns"] for p in per_conv))
    report.flags.extend(flags)
    rng = random.Random(seed)
    for rule in (*_TURN_RULES, "any"):
        denominator = "hidden_turns" if rule == "hidden_revealed" else "turns"
        rows = [(p[rule], p[denominator]) for p in per_conv if p[denominator]]
        report.applicable[rule] = sum(d for _, d in rows)
        if rows:
            report.rates[rule] = _ratio(rows, rng, resamples)
    report.applicable["premature_stop"] = closed
    if closed:
        report.rates["premature_stop"] = wilson(premature, closed)
    return report


def _invented_slots(utterance: str, task: TaskGoal, before: str) -> list[str]:
    """Constraint values the user states that no goal domain holds and nobody said before
    (a slot counts for the goal's domains whose ontology has it)."""
    from simulacra.participants._agenda_nlu import clean_text, detect_slot_values, value_pattern

    text = clean_text(utterance)
    seen = clean_text(before)
    held = {slot for d in task.domains for slot in (*d.inform, *d.fail_inform)}
    out: list[str] = []
    for d in task.domains:
        for slot, value in detect_slot_values(text, d.domain):
            if (
                slot not in _CONSTRAINT_SLOTS
                or slot not in DOMAINS[d.domain]
                or value in ("", slot)
            ):
                continue
            if slot not in held and not value_pattern(slot, value).search(seen):
                out.append(f"{slot}={value}")
    return list(dict.fromkeys(out))


def _revealed(
    utterance: str, secrets: Sequence[tuple[str, str, str]], no_match: bool, others: Sequence[str]
) -> list[str]:
    from simulacra.participants._agenda_nlu import clean_text, value_pattern

    text = clean_text(utterance)
    out = []
    for kind, key, value in secrets:
        if kind == "fallback":
            slot = key.split("-", 1)[1]
            if slot in ("parking", "internet"):
                continue  # a yes/no wish: no value to find in the text
            pattern = value_pattern(slot, value)
            unit = _UNITS.get(slot.removeprefix("book "))
            if unit and value.isdigit():
                pattern = re.compile(rf"\b{_number_pattern(value)}\s+{unit}\b")
            if not no_match and pattern.search(text):
                out.append(f"{key}={value} before any no-match")
        elif _said(value, _norm(utterance)) and not (
            _asked(key, others) if key else any("?" in o for o in others)
        ):
            out.append(f"{key or value} before being asked")
    return out


def _number_pattern(value: str) -> str:
    words = [w for w, d in _NUMBER_WORDS.items() if d == value]
    return "(" + "|".join([re.escape(value), *words]) + ")"


def _ratio(rows: Sequence[tuple[int, int]], rng: random.Random, resamples: int) -> Estimate:
    flagged = sum(f for f, _ in rows)
    total = sum(n for _, n in rows)
    samples = []
    for _ in range(resamples):
        drawn = [rows[rng.randrange(len(rows))] for _ in rows]
        samples.append(sum(f for f, _ in drawn) / sum(n for _, n in drawn))
    low, high = _percentiles(samples, 0.95)
    return Estimate(flagged / total, low, high, 0.95, total)
