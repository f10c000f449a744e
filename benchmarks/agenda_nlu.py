"""The agenda user's system NLU and the lexical task-success check, against the annotated MultiWOZ
2.1 validation dialogues, without any model (the figures of docs/agenda.md).

- **NLU agreement**: every system turn of the 999 validation dialogues is read by
  ``SystemNLU(goal).understand(text, domain=current)``, where ``current`` is the first domain of
  the annotated acts of the user turn before it (the dialogue's first goal domain when that turn
  has none). Per category, turn-level micro precision and recall against the turn's annotated
  acts: ``request`` counts (domain, slot) pairs; ``nooffer``, ``nobook`` and the booking
  confirmation (``book``) count turns with at least one such act; a slot given counts turns
  with an ``inform`` or ``recommend`` act of that slot (the NLU's ``inform``).
- **Task-success calibration**: ``task_success(goal, system turns)`` of every validation
  dialogue (human systems, all successful in the corpus), default and ``strict=True``; the
  share of constraint values the system said (pooled over constraints, and the mean of the
  per-dialogue ``inform_rate``) and the mean ``request_rate``.

Report only (``goal_met`` None). Run: python benchmarks/agenda_nlu.py
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

from _common import ROOT, write_result

from simulacra.datasets import multiwoz_dialogues
from simulacra.participants._agenda_nlu import SystemNLU
from simulacra.participants._agenda_success import task_success

VAL = ROOT.parent / "shared/data/multiwoz21/val.json.zip"
TURN_INTENTS = ("nooffer", "nobook", "book")
SLOTS = ("phone", "postcode", "address", "train id", "duration", "entrance fee")
GIVEN = ("inform", "recommend")

CODE_PATHS = [
    "benchmarks/agenda_nlu.py",
    "src/simulacra/participants/_agenda_nlu.py",
    "src/simulacra/participants/_agenda_success.py",
    "src/simulacra/scenarios/_ontology.py",
    "src/simulacra/datasets/_multiwoz.py",
]


def _pr(counts: Counter[str], name: str) -> dict[str, Any]:
    tp, pred, gold = counts[f"{name}:tp"], counts[f"{name}:pred"], counts[f"{name}:gold"]
    return {
        "precision": round(tp / pred, 4) if pred else None,
        "recall": round(tp / gold, 4) if gold else None,
        "true_positives": tp,
        "predicted": pred,
        "annotated": gold,
    }


def main() -> None:
    t0 = time.perf_counter()
    counts: Counter[str] = Counter()
    system_turns = 0
    default_pass = strict_pass = 0
    constraints = said = 0
    inform_rates: list[float] = []
    request_rates: list[float] = []
    dialogues = list(multiwoz_dialogues(VAL, with_turns=True))
    for dialogue in dialogues:
        nlu = SystemNLU(dialogue.goal)
        current = dialogue.goal.domain_names[0] if dialogue.goal.domain_names else None
        texts = []
        for turn in dialogue.turns:
            if turn.speaker == "user":
                domains = [a.domain for a in turn.acts if a.domain != "general"]
                current = domains[0] if domains else current
                continue
            system_turns += 1
            texts.append(turn.text)
            gold, pred = turn.acts, nlu.understand(turn.text, domain=current)
            g_req = {(a.domain, a.slot) for a in gold if a.intent == "request"}
            p_req = {(a.domain, a.slot) for a in pred if a.intent == "request"}
            counts["request:tp"] += len(g_req & p_req)
            counts["request:gold"] += len(g_req)
            counts["request:pred"] += len(p_req)
            checks = [(i, any(a.intent == i for a in gold), any(a.intent == i for a in pred))
                      for i in TURN_INTENTS]  # fmt: skip
            checks += [(s, any(a.intent in GIVEN and a.slot == s for a in gold),
                        any(a.intent == "inform" and a.slot == s for a in pred)) for s in SLOTS]  # fmt: skip
            for name, g, p in checks:
                counts[f"{name}:tp"] += g and p
                counts[f"{name}:gold"] += g
                counts[f"{name}:pred"] += p
        result = task_success(dialogue.goal, texts)
        strict = task_success(dialogue.goal, texts, strict=True)
        default_pass += result.success
        strict_pass += strict.success
        n_constraints = sum(
            1 for d in dialogue.goal.domains for v in d.inform.values() if v != "dontcare"
        )
        constraints += n_constraints
        said += round(result.inform_rate * n_constraints)
        inform_rates.append(result.inform_rate)
        request_rates.append(result.request_rate)
    n = len(dialogues)
    agreement = {name: _pr(counts, name) for name in ("request", *TURN_INTENTS, *SLOTS)}
    calibration = {
        "dialogues": n,
        "default_pass_share": round(default_pass / n, 4),
        "strict_pass_share": round(strict_pass / n, 4),
        "constraint_values_said_pooled": round(said / constraints, 4),
        "inform_rate_mean": round(statistics.fmean(inform_rates), 4),
        "request_rate_mean": round(statistics.fmean(request_rates), 4),
    }
    write_result(
        "agenda_nlu",
        value=calibration["default_pass_share"],
        unit="share of real MultiWOZ 2.1 val dialogues passing the lexical task-success check",
        ratio=None,
        goal="report: agreement of the agenda NLU with annotated system acts; calibration of "
        "task_success on human systems (no model)",
        model="none",
        details={
            "source": "multiwoz21/val.json.zip",
            "dialogues": n,
            "system_turns": system_turns,
            "nlu_agreement": agreement,
            "task_success_calibration": calibration,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        goal_met=None,
        code_paths=CODE_PATHS,
    )


if __name__ == "__main__":
    main()
