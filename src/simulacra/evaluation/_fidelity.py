"""Simulator fidelity (Sim2Real): how far simulated user turns are from real user turns.

Two views:

- distributional: user-turn length (words), user turns per dialogue, lexical diversity
  (distinct-1/2), who ends the dialogue and, when both sides are labelled, the dialogue acts.
  Numeric quantities are compared with the two-sample Kolmogorov-Smirnov statistic, categorical
  ones with the Jensen-Shannon divergence (base 2, in ``[0, 1]``), each with a percentile
  bootstrap interval that resamples whole dialogues on each side (turns of one dialogue are not
  independent); lexical diversity with the difference ``simulated - real`` on equally many
  turns of whole dialogues per side, with a leave-one-dialogue-out jackknife interval (a
  bootstrap repeats dialogues, which deflates distinct-n). Divergences are biased upwards on
  finite samples: two halves of the same corpus give a small positive value, not exactly 0,
  and the interval of a divergence rarely holds 0.
- distinguishability: a logistic regression on TF-IDF word and character n-grams of single user
  turns, trained to tell simulated from real turns (classes balanced by subsampling the larger
  side, 5 folds stratified by side and grouped by dialogue, seeded). Its ROC AUC is 0.5 when
  the two are indistinguishable and 1.0 when every turn gives itself away; the interval
  bootstraps the out-of-fold scores over dialogues.

Pairing: simulated conversations whose scenario id is ``multiwoz:<dialogue id>`` are compared
with the real dialogues of those ids (the real users who had the same goals); against a
reference run (an imported corpus), a scenario id is matched with a real conversation's id,
scenario id or corpus dialogue id (:func:`simulacra.evaluation._study.pair_conversations`);
otherwise with the whole reference set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulacra.errors import ConfigError
from simulacra.evaluation._fidelity_baseline import RealBaseline, _baseline, _halves, _require
from simulacra.evaluation._fidelity_classifier import (
    MIN_TURNS,
    Distinguishability,
    _distinguishability,
    _TextFeatures,
)
from simulacra.evaluation._fidelity_classifier import _auc as _auc
from simulacra.evaluation._fidelity_measures import (
    Comparison,
    _comparisons,
    _from_conversation,
    _from_corpus,
)
from simulacra.evaluation._fidelity_measures import _ks as _ks

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets._multiwoz import MultiWOZDialogue
    from simulacra.evaluation._human_likeness import HumanLikeness

# ``_auc``/``_ks`` are imported ``as`` themselves: re-exported, so that code importing them from
# here (their home before this module was split into ``_fidelity_*``) keeps working.
__all__ = [
    "Comparison",
    "Distinguishability",
    "FidelityReport",
    "RealBaseline",
    "fidelity_report",
]


@dataclass(frozen=True)
class FidelityReport:
    """The Sim2Real fidelity of a set of simulated conversations.

    Attributes:
        n_simulated: Simulated conversations compared.
        n_reference: Real dialogues compared.
        n_paired: Simulated conversations paired with the real dialogue of their goal.
        paired: Whether the reference was restricted to the paired dialogues.
        comparisons: Real against simulated, one entry per quantity.
        distinguishability: The classifier test.
        skipped: Quantities not compared, with why.
        baseline: The same measures between two samples of real dialogues (``None`` when the
            reference is too small or it was not asked for).
        human_likeness: Lexical z-scores, behavioural fingerprint and (optionally) the
            calibrated pairwise judge (:mod:`simulacra.evaluation._human_likeness`).
    """

    n_simulated: int
    n_reference: int
    n_paired: int
    paired: bool
    comparisons: dict[str, Comparison]
    distinguishability: Distinguishability
    skipped: dict[str, str] = field(default_factory=dict)
    baseline: RealBaseline | None = None
    human_likeness: HumanLikeness | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "n_simulated": self.n_simulated,
            "n_reference": self.n_reference,
            "n_paired": self.n_paired,
            "paired": self.paired,
            "comparisons": {k: c.to_dict() for k, c in self.comparisons.items()},
            "distinguishability": self.distinguishability.to_dict(),
            "skipped": self.skipped,
            "baseline": None if self.baseline is None else self.baseline.to_dict(),
            "human_likeness": None
            if self.human_likeness is None
            else self.human_likeness.to_dict(),
        }


def _pair(
    simulated: list[Conversation], reference: Sequence[MultiWOZDialogue | Conversation]
) -> tuple[list[MultiWOZDialogue | Conversation], int]:
    from simulacra.conversation import Conversation

    if any(isinstance(d, Conversation) for d in reference):
        from simulacra.evaluation._study import pair_conversations

        # a reference run: paired by any scenario id (whole when none matches)
        runs = [d for d in reference if isinstance(d, Conversation)]
        paired_runs, n = pair_conversations(simulated, runs)
        out: list[MultiWOZDialogue | Conversation] = list(paired_runs)
        return out, n
    by_id = {d.id: d for d in reference}
    wanted: list[str] = []
    paired = 0
    for c in simulated:
        sid = c.scenario_id or ""
        if sid.startswith("multiwoz:") and sid.removeprefix("multiwoz:") in by_id:
            paired += 1
            if sid.removeprefix("multiwoz:") not in wanted:
                wanted.append(sid.removeprefix("multiwoz:"))
    if not paired:
        return list(reference), 0
    return [by_id[i] for i in wanted], paired


def _folds(*sides: Sequence[tuple[str, str]]) -> int:
    """Five folds, or fewer when fewer dialogues group the turns (a few paired goals: each
    real dialogue shares its group with the simulated ones of its goal)."""
    groups = {g for side in sides for g, _ in side}
    return max(2, min(5, len(groups)))


def fidelity_report(
    simulated: list[Conversation],
    reference: Sequence[MultiWOZDialogue | Conversation],
    *,
    user_id: str = "user",
    seed: int = 0,
    resamples: int = 500,
    baseline: bool = True,
    human_likeness: bool = True,
    tasks: Mapping[str, object] | None = None,
    judge: Any = None,
    judge_options: Mapping[str, Any] | None = None,
) -> FidelityReport:
    """Compare simulated user turns with real ones.

    Args:
        simulated: Conversations of a run.
        reference: Real dialogues: MultiWOZ dialogues read with turns
            (``multiwoz_dialogues(path, with_turns=True)``, paired by goal when the run's scenarios
            came from them), or the conversations of a reference run — any imported corpus
            (``simulacra data import``) or a human-played run — whose user is the declared
            ``user_participant`` or the human seat (compared whole).
        user_id: The simulated user's participant id.
        seed: Seeds subsampling, folds and bootstraps.
        resamples: Bootstrap resamples of the distributional comparisons.
        baseline: Also compare two disjoint samples of ``reference`` (real against real, as
            many dialogues each as the smaller side compared here) — see :class:`RealBaseline`.
        human_likeness: Also compute the human-likeness section (lexical z-scores and the
            behavioural fingerprint; ``tasks``: the run's structured goals by scenario id).
        judge: An ``async (prompt) -> reply`` judge for the calibrated pairwise judge, with
            ``judge_options`` (``judge_pairs_n``, ``judge_samples``, ``judge_model``).

    Returns:
        The report.

    Raises:
        ConfigError: If either side has fewer than ``MIN_TURNS`` user turns.
        MissingExtraError: If scipy or scikit-learn is missing.
    """
    _require()
    ref, n_paired = _pair(simulated, reference)
    real = [_from_corpus(d) for d in ref]
    sim = [_from_conversation(c, user_id) for c in simulated]
    real_turns = [(d.id, t) for d in real for t in d.user_turns]
    # a simulated turn shares its fold group with the real dialogue of the same goal
    sim_turns = [(d.id.removeprefix("multiwoz:"), t) for d in sim for t in d.user_turns]
    if len(sim_turns) < MIN_TURNS or len(real_turns) < MIN_TURNS:
        raise ConfigError(
            f"fidelity needs at least {MIN_TURNS} user turns per side, got "
            f"{len(sim_turns)} simulated and {len(real_turns)} real"
        )
    comparisons, skipped = _comparisons(real, sim, seed=seed, resamples=resamples)
    halves = _halves(reference, ref, n_paired > 0, len(sim), seed=seed) if baseline else None
    # every turn's n-grams counted once, for the classifier and the baseline's classifier
    texts = [t for _, t in real_turns + sim_turns]
    texts += [t for side in halves or () for d in side for t in d.user_turns]
    features = _TextFeatures(texts)
    human = None
    if human_likeness:
        from simulacra.evaluation._human_likeness import human_likeness as _human

        options = dict(judge_options or {})
        human = _human(
            simulated, ref, user_id=user_id, tasks=tasks, seed=seed, judge=judge, **options
        )
    return FidelityReport(
        n_simulated=len(simulated),
        n_reference=len(ref),
        n_paired=n_paired,
        paired=n_paired > 0,
        comparisons=comparisons,
        distinguishability=_distinguishability(
            real_turns, sim_turns, seed=seed, features=features, folds=_folds(real_turns, sim_turns)
        ),
        skipped=skipped,
        baseline=None
        if halves is None
        else _baseline(halves, seed=seed, resamples=resamples, features=features),
        human_likeness=human,
    )
