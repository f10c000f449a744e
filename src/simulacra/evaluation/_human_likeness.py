"""How human is the simulator: the human-likeness section of the fidelity report.

Three views of the user side, each against the real users of the data at hand:

- lexical diversity z-scores (MATTR, Yule's K, HD-D; :mod:`simulacra.evaluation._lexical`);
- the behavioural fingerprint, computed by one function on both sides
  (:mod:`simulacra.evaluation._fingerprint`);
- optionally, the calibrated pairwise judge (:mod:`simulacra.evaluation._pairwise_judge`),
  which needs a model.

Pairing follows the fidelity report: a simulated conversation whose scenario id is
``multiwoz:<id>`` is set beside the real dialogue of that id (its structured goal is also the one
whose disclosure order is read).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulacra.evaluation._fidelity_measures import Comparison, reference_user
from simulacra.evaluation._fingerprint import (
    FingerprintDialogue,
    fingerprint,
    from_conversation,
    from_corpus,
    shares,
)
from simulacra.evaluation._lexical import LexicalZ, lexical_z_scores
from simulacra.evaluation._pairwise_judge import Ask, PairwiseJudge, judge_pairs

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets._multiwoz import MultiWOZDialogue

__all__ = ["HumanLikeness", "human_likeness", "reduce_reference", "table_lines"]


@dataclass(frozen=True)
class HumanLikeness:
    """The human-likeness of a run's simulated users.

    Attributes:
        n_real: Real dialogues compared.
        n_simulated: Simulated dialogues compared.
        lexical: Lexical diversity z-scores.
        fingerprint: Behavioural features, real against simulated.
        judge: The calibrated pairwise judge (``None`` when not asked for).
        skipped: What was not computed, with why.
        seconds: Wall time of the section.
    """

    n_real: int
    n_simulated: int
    lexical: dict[str, LexicalZ]
    fingerprint: dict[str, Comparison]
    judge: PairwiseJudge | None = None
    skipped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "n_real": self.n_real,
            "n_simulated": self.n_simulated,
            "lexical": {k: v.to_dict() for k, v in self.lexical.items()},
            "fingerprint": {k: v.to_dict() for k, v in self.fingerprint.items()},
            "judge": None if self.judge is None else self.judge.to_dict(),
            "skipped": self.skipped,
            "seconds": self.seconds,
        }


def reduce_reference(d: MultiWOZDialogue | Conversation) -> FingerprintDialogue:
    """A real dialogue for the fingerprint: a MultiWOZ dialogue with its goal, or a reference
    run's conversation with its declared user."""
    from simulacra.conversation import Conversation

    if isinstance(d, Conversation):
        return from_conversation(d, reference_user(d))
    return from_corpus(d)


def human_likeness(
    simulated: Sequence[Conversation],
    reference: Sequence[MultiWOZDialogue | Conversation],
    *,
    user_id: str = "user",
    tasks: Mapping[str, object] | None = None,
    seed: int = 0,
    resamples: int = 500,
    judge: Ask | None = None,
    judge_pairs_n: int = 12,
    judge_samples: int = 3,
    judge_model: str | None = None,
) -> HumanLikeness:
    """Lexical z-scores, the behavioural fingerprint and (with ``judge``) the calibrated pairwise
    judge of ``simulated`` against ``reference``.

    Args:
        simulated: Conversations of a run.
        reference: The real dialogues (already restricted to the paired ones, if any).
        user_id: The simulated user's id.
        tasks: Scenario id -> structured goal of the run's scenarios (for disclosure order);
            a scenario ``multiwoz:<id>`` also takes the goal of the real dialogue ``<id>``.
        seed: Seeds every resample and the judge's pairs and orders.
        resamples: Bootstrap resamples of the fingerprint.
        judge: Sends a prompt to the judge model (``None``: no judge).
        judge_pairs_n: Pairs of each kind for the judge.
        judge_samples: Judgments per pair (at least 3).
        judge_model: The judge model's name, recorded.
    """
    import time

    started = time.perf_counter()
    real = [reduce_reference(d) for d in reference]
    by_id = {d.id: i for i, d in enumerate(real)}
    goals = {d.id: d.goal_items for d in real}
    sim: list[FingerprintDialogue] = []
    matched: list[int] = []
    for c in simulated:
        sid = c.scenario_id or ""
        d = from_conversation(c, user_id, (tasks or {}).get(sid))
        rid = sid.removeprefix("multiwoz:") if sid.startswith("multiwoz:") else None
        if not d.goal_items and rid in goals:
            d = FingerprintDialogue(d.id, d.turns, goals[rid])
        sim.append(d)
        matched.append(by_id.get(rid, -1) if rid is not None else -1)
    real_sides = [d.user_turns for d in real]
    sim_sides = [d.user_turns for d in sim]
    lexical, skipped = lexical_z_scores(real_sides, sim_sides, seed=seed)
    features, fskipped = fingerprint(real, sim, seed=seed, resamples=resamples)
    skipped.update(fskipped)
    verdict = None
    if judge is not None:
        verdict = asyncio.run(
            judge_pairs(
                judge,
                [s for s in real_sides if s],
                [s for s in sim_sides if s],
                pairs=judge_pairs_n,
                samples=judge_samples,
                seed=seed,
                matched=None
                if not any(i >= 0 for i in matched)
                else _compact(matched, sim_sides, real_sides),
                model=judge_model,
            )
        )
    return HumanLikeness(
        n_real=len(real),
        n_simulated=len(sim),
        lexical=lexical,
        fingerprint=features,
        judge=verdict,
        skipped=skipped,
        seconds=time.perf_counter() - started,
    )


def _compact(
    matched: list[int], sim_sides: list[list[str]], real_sides: list[list[str]]
) -> list[int]:
    """``matched`` re-indexed after empty user sides are dropped on both sides."""
    keep_real = [i for i, s in enumerate(real_sides) if s]
    new_index = {old: new for new, old in enumerate(keep_real)}
    return [new_index.get(matched[i], -1) for i, s in enumerate(sim_sides) if s]


def _iv(e: Any) -> str:
    return f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"


def _iv4(e: Any) -> str:
    return f"{e.value:.4f} [{e.low:.4f}, {e.high:.4f}]"


def table_lines(h: HumanLikeness) -> list[str]:
    """The human-likeness summary table, one line per row (the CLI prints it)."""
    lines = [
        f"human-likeness ({h.n_simulated} simulated vs {h.n_real} real dialogues)",
        f"  {'measure':<26} {'stat':<6} {'value [95% CI]':<26} real / simulated",
    ]
    for name, z in h.lexical.items():
        lines.append(
            f"  {name:<26} {'z':<6} {_iv(z.z):<26} {z.real_mean:.3f} / {z.simulated_mean:.3f}"
        )
    for name, c in h.fingerprint.items():
        lines.append(
            f"  {name:<26} {c.statistic:<6} {_iv4(c.value):<26} "
            f"{shares(c.real)} / {shares(c.simulated)}"
        )
    j = h.judge
    if j is not None:
        score = "n/a" if j.score is None else _iv(j.score)
        lines.append(
            f"  {'judge (calibrated)':<26} {'score':<6} {score:<26} "
            f"s {j.s.value:.2f}, HH {j.hh.value:.2f}, PP {j.pp.value:.2f}"
        )
        lines.append(
            f"  {'judge detection':<26} {'acc':<6} {_iv(j.detection):<26} "
            f"{j.pairs.get('test', 0)} pairs x {j.samples} samples; 0.5 = cannot tell"
        )
        if j.note:
            lines.append(f"  {'':<26} {j.note}")
    for name, why in h.skipped.items():
        lines.append(f"  {name:<26} skipped: {why}")
    return lines
