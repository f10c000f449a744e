"""Simulator fidelity (Sim2Real): how far simulated user turns are from real user turns.

Two views:

- distributional: user-turn length (words), user turns per dialogue, lexical diversity
  (distinct-1/2), who ends the dialogue and, when both sides are labelled, the dialogue acts.
  Numeric quantities are compared with the two-sample Kolmogorov-Smirnov statistic, categorical
  ones with the Jensen-Shannon divergence (base 2, in ``[0, 1]``); lexical diversity with the
  difference ``simulated - real`` on equally sized samples. Every number has a percentile
  bootstrap interval that resamples whole dialogues on each side (turns of one dialogue are not
  independent). Divergences are biased upwards on finite samples: two halves of the same corpus
  give a small positive value, not exactly 0, and the interval of a divergence rarely holds 0.
- distinguishability: a logistic regression on TF-IDF word and character n-grams of single user
  turns, trained to tell simulated from real turns (classes balanced by subsampling the larger
  side, 5 folds stratified by side and grouped by dialogue, seeded). Its ROC AUC is 0.5 when
  the two are indistinguishable and 1.0 when every turn gives itself away; the interval
  bootstraps the out-of-fold scores over dialogues.

Pairing: simulated conversations whose scenario id is ``multiwoz:<dialogue id>`` are compared
with the real dialogues of those ids (the real users who had the same goals); otherwise with the
whole reference set.
"""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from simulacra.errors import ConfigError, MissingExtraError
from simulacra.evaluation._stats import Estimate, _percentiles

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets._multiwoz import MultiWOZDialogue

__all__ = [
    "Comparison",
    "Distinguishability",
    "FidelityReport",
    "RealBaseline",
    "fidelity_report",
]

MIN_TURNS = 10
"""The fewest user turns per side the classifier accepts."""

_WORD = re.compile(r"\w+(?:'\w+)?")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


@dataclass(frozen=True, slots=True)
class _Dialogue:
    """One side's dialogue, reduced to what fidelity needs."""

    id: str
    user_turns: tuple[str, ...]
    acts: tuple[tuple[str, ...], ...] | None  # per user turn: act labels; None when unlabelled
    last_speaker: str | None  # "user" or "system"


@dataclass(frozen=True)
class Comparison:
    """One quantity, real against simulated.

    Attributes:
        name: What is compared (``turn_length_words``...).
        statistic: ``ks`` (Kolmogorov-Smirnov), ``js`` (Jensen-Shannon divergence, base 2) or
            ``difference`` (simulated minus real).
        value: The statistic with its bootstrap interval; ``n`` counts the units on both sides.
        real: A summary of the real side (mean/median or shares, and ``n``).
        simulated: The same for the simulated side.
    """

    name: str
    statistic: str
    value: Estimate
    real: dict[str, float]
    simulated: dict[str, float]

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "name": self.name,
            "statistic": self.statistic,
            "value": _estimate_dict(self.value),
            "real": self.real,
            "simulated": self.simulated,
        }


@dataclass(frozen=True)
class Distinguishability:
    """How well a classifier tells simulated from real user turns.

    Attributes:
        auc: Cross-validated ROC AUC of the out-of-fold scores, with a bootstrap interval over
            dialogues; ``n`` is the number of turns classified (both sides, balanced).
        fold_aucs: The AUC of each fold.
        per_side: Turns per side after balancing.
        folds: Number of folds.
    """

    auc: Estimate
    fold_aucs: tuple[float, ...]
    per_side: int
    folds: int

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "auc": _estimate_dict(self.auc),
            "fold_aucs": list(self.fold_aucs),
            "per_side": self.per_side,
            "folds": self.folds,
        }


@dataclass(frozen=True)
class RealBaseline:
    """Real against real: what "indistinguishable" looks like at the same sample size.

    Two disjoint random samples of real dialogues, as many each as the report compares (from
    the same domain combinations when the run is paired by goal), measured exactly like
    simulated against real. Divergences are biased upwards on finite samples, so a simulator
    is as close as the data can tell when its statistics fall within these values' intervals.

    Attributes:
        per_half: Real dialogues in each sample.
        comparisons: One entry per quantity (``real`` = first sample, ``simulated`` = second).
        distinguishability: The classifier test between the two samples (about 0.5).
        skipped: Quantities not compared, with why.
    """

    per_half: int
    comparisons: dict[str, Comparison]
    distinguishability: Distinguishability
    skipped: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "per_half": self.per_half,
            "comparisons": {k: c.to_dict() for k, c in self.comparisons.items()},
            "distinguishability": self.distinguishability.to_dict(),
            "skipped": self.skipped,
        }


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
    """

    n_simulated: int
    n_reference: int
    n_paired: int
    paired: bool
    comparisons: dict[str, Comparison]
    distinguishability: Distinguishability
    skipped: dict[str, str] = field(default_factory=dict)
    baseline: RealBaseline | None = None

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
        }


def _estimate_dict(e: Estimate) -> dict[str, float]:
    return {"value": e.value, "low": e.low, "high": e.high, "level": e.level, "n": e.n}


def _act_label(intent: str, domain: str) -> str:
    return f"{intent}({domain})"


def _from_conversation(c: Conversation, user_id: str) -> _Dialogue:
    from simulacra.participants._agenda_ontology import parse_acts

    user = [t for t in c.turns if t.speaker == user_id]
    acts: list[tuple[str, ...]] | None = []
    for t in user:
        raw = t.metadata.get("acts")
        if not isinstance(raw, str) or acts is None:
            acts = None
            continue
        try:
            acts.append(tuple(_act_label(a.intent, a.domain) for a in parse_acts(raw)))
        except ValueError:
            acts = None
    last = None
    if c.turns:
        last = "user" if c.turns[-1].speaker == user_id else "system"
    return _Dialogue(
        id=c.scenario_id or c.id,
        user_turns=tuple(t.utterance for t in user),
        acts=tuple(acts) if acts is not None and user else None,
        last_speaker=last,
    )


def _from_corpus(d: MultiWOZDialogue) -> _Dialogue:
    user = d.user_turns
    labelled = bool(user) and any(t.acts for t in user)
    return _Dialogue(
        id=d.id,
        user_turns=tuple(t.text for t in user),
        acts=tuple(tuple(_act_label(a.intent, a.domain) for a in t.acts) for t in user)
        if labelled
        else None,
        last_speaker=None
        if not d.turns
        else ("user" if d.turns[-1].speaker == "user" else "system"),
    )


def _require() -> None:
    try:
        import scipy  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
        import sklearn  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        raise MissingExtraError("eval", "the fidelity report") from None


def _js(a: Sequence[str], b: Sequence[str]) -> float:
    from scipy.spatial.distance import jensenshannon  # type: ignore[import-untyped,unused-ignore]

    ca, cb = Counter(a), Counter(b)
    keys = sorted(set(ca) | set(cb))
    if not keys or not a or not b:
        return float("nan")
    pa = [ca[k] / len(a) for k in keys]
    pb = [cb[k] / len(b) for k in keys]
    return float(jensenshannon(pa, pb, base=2)) ** 2


def _ks(a: Sequence[float], b: Sequence[float]) -> float:
    """The two-sample Kolmogorov-Smirnov statistic ``max |F_a - F_b|`` (equal to
    ``scipy.stats.ks_2samp(a, b).statistic``, without its p-value, which is the slow part and
    unused here)."""
    import numpy as np

    if not a or not b:
        return float("nan")
    xa, xb = np.sort(np.asarray(a, dtype=float)), np.sort(np.asarray(b, dtype=float))
    points = np.concatenate([xa, xb])
    fa = np.searchsorted(xa, points, side="right") / len(xa)
    fb = np.searchsorted(xb, points, side="right") / len(xb)
    return float(np.max(np.abs(fa - fb)))


def _distinct(turns: Sequence[str], n: int) -> float:
    grams: list[tuple[str, ...]] = []
    for t in turns:
        w = _words(t)
        grams.extend(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


def _compare(
    name: str,
    statistic: str,
    real: list[_Dialogue],
    sim: list[_Dialogue],
    extract: Callable[[list[_Dialogue]], list[float]] | Callable[[list[_Dialogue]], list[str]],
    *,
    seed: int,
    resamples: int,
) -> Comparison:
    """Compare one quantity; the bootstrap resamples dialogues on each side."""
    rng = random.Random(seed)

    def stat(r: list[_Dialogue], s: list[_Dialogue]) -> float:
        xr, xs = extract(r), extract(s)
        if statistic == "ks":
            return _ks([float(x) for x in xr], [float(x) for x in xs])
        return _js([str(x) for x in xr], [str(x) for x in xs])

    value = stat(real, sim)
    samples = [
        stat(rng.choices(real, k=len(real)), rng.choices(sim, k=len(sim))) for _ in range(resamples)
    ]
    samples = [x for x in samples if x == x]
    low, high = _percentiles(samples, 0.95) if samples else (float("nan"), float("nan"))
    xr, xs = extract(real), extract(sim)
    est = Estimate(value, low, high, 0.95, len(xr) + len(xs))
    return Comparison(name, statistic, est, _summary(xr, statistic), _summary(xs, statistic))


def _summary(values: Sequence[float] | Sequence[str], statistic: str) -> dict[str, float]:
    if statistic == "ks":
        nums = [float(v) for v in values]
        if not nums:
            return {"n": 0}
        return {"mean": statistics.fmean(nums), "median": statistics.median(nums), "n": len(nums)}
    counts = Counter(str(v) for v in values)
    total = sum(counts.values())
    out: dict[str, float] = {k: c / total for k, c in counts.most_common(8)}
    out["n"] = total
    return out


def _diversity(
    real: list[_Dialogue], sim: list[_Dialogue], n: int, *, seed: int, resamples: int
) -> Comparison:
    """distinct-n, simulated minus real, on equally many turns per side."""
    rng = random.Random(seed)

    def turns(ds: list[_Dialogue]) -> list[str]:
        return [t for d in ds for t in d.user_turns]

    def equal(tr: list[str], ts: list[str]) -> tuple[float, float]:
        k = min(len(tr), len(ts))
        return _distinct(rng.sample(tr, k), n), _distinct(rng.sample(ts, k), n)

    tr, ts = turns(real), turns(sim)
    dr, ds = equal(tr, ts)
    diffs = []
    for _ in range(resamples):
        br, bs = equal(turns(rng.choices(real, k=len(real))), turns(rng.choices(sim, k=len(sim))))
        diffs.append(bs - br)
    low, high = _percentiles(diffs, 0.95)
    k = min(len(tr), len(ts))
    return Comparison(
        f"distinct_{n}",
        "difference",
        Estimate(ds - dr, low, high, 0.95, 2 * k),
        {"value": dr, "n": k},
        {"value": ds, "n": k},
    )


def _distinguishability(
    real: list[tuple[str, str]],
    sim: list[tuple[str, str]],
    *,
    seed: int,
    folds: int = 5,
    resamples: int = 1000,
) -> Distinguishability:
    """AUC of a classifier telling simulated (1) from real (0) turns; items are (dialogue, text).

    Folds keep each dialogue's turns together (``StratifiedGroupKFold``; a simulated dialogue
    and the real one of the same goal share a group): with turns of one dialogue or goal on both
    sides of a split, its names and numbers would give it away. The interval resamples
    dialogues, not turns.
    """
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped,unused-ignore]
    from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped,unused-ignore]
    from sklearn.metrics import roc_auc_score  # type: ignore[import-untyped,unused-ignore]
    from sklearn.model_selection import StratifiedGroupKFold  # type: ignore[import-untyped,unused-ignore]
    from sklearn.pipeline import make_pipeline, make_union  # type: ignore[import-untyped,unused-ignore]

    rng = random.Random(seed)
    k = min(len(real), len(sim))
    items = [(g, t, 0) for g, t in rng.sample(real, k)]
    items += [(g, t, 1) for g, t in rng.sample(sim, k)]
    groups = [g for g, _, _ in items]
    texts = [t for _, t, _ in items]
    labels = np.array([y for _, _, y in items])
    scores = np.zeros(2 * k)
    fold_aucs = []
    splitter = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(texts, labels, groups):
        model = make_pipeline(
            make_union(
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True),
            ),
            LogisticRegression(max_iter=1000),
        )
        model.fit([texts[i] for i in train], labels[train])
        scores[test] = model.predict_proba([texts[i] for i in test])[:, 1]
        if len(set(labels[test].tolist())) == 2:
            fold_aucs.append(float(roc_auc_score(labels[test], scores[test])))
    auc = float(roc_auc_score(labels, scores))
    by_group: dict[tuple[int, str], list[int]] = {}
    for i, g in enumerate(groups):
        by_group.setdefault((int(labels[i]), g), []).append(i)
    pos = [ix for (y, _), ix in by_group.items() if y == 1]
    neg = [ix for (y, _), ix in by_group.items() if y == 0]
    boots = []
    for _ in range(resamples):
        idx = [i for ix in rng.choices(pos, k=len(pos)) for i in ix]
        idx += [i for ix in rng.choices(neg, k=len(neg)) for i in ix]
        boots.append(_auc(labels[idx], scores[idx]))
    low, high = _percentiles(boots, 0.95)
    return Distinguishability(Estimate(auc, low, high, 0.95, 2 * k), tuple(fold_aucs), k, folds)


def _auc(labels: Any, scores: Any) -> float:
    """ROC AUC by the rank-sum (Mann-Whitney) identity, ties averaged; equal to
    ``roc_auc_score`` and much faster inside a bootstrap loop."""
    from scipy.stats import rankdata  # type: ignore[import-untyped,unused-ignore]

    ranks = rankdata(scores)
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if not n_pos or not n_neg:
        return float("nan")
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _pair(
    simulated: list[Conversation], reference: list[MultiWOZDialogue]
) -> tuple[list[MultiWOZDialogue], int]:
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
        return reference, 0
    return [by_id[i] for i in wanted], paired


def fidelity_report(
    simulated: list[Conversation],
    reference: list[MultiWOZDialogue],
    *,
    user_id: str = "user",
    seed: int = 0,
    resamples: int = 500,
    baseline: bool = True,
) -> FidelityReport:
    """Compare simulated user turns with real ones.

    Args:
        simulated: Conversations of a run.
        reference: Real dialogues read with turns (``multiwoz_dialogues(path, with_turns=True)``).
        user_id: The simulated user's participant id.
        seed: Seeds subsampling, folds and bootstraps.
        resamples: Bootstrap resamples of the distributional comparisons.
        baseline: Also compare two disjoint samples of ``reference`` (real against real, as
            many dialogues each as are compared here) — see :class:`RealBaseline`.

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
    return FidelityReport(
        n_simulated=len(simulated),
        n_reference=len(ref),
        n_paired=n_paired,
        paired=n_paired > 0,
        comparisons=comparisons,
        distinguishability=_distinguishability(real_turns, sim_turns, seed=seed),
        skipped=skipped,
        baseline=_baseline(reference, ref, n_paired > 0, seed=seed, resamples=resamples)
        if baseline
        else None,
    )


def _domains(d: MultiWOZDialogue) -> frozenset[str]:
    return frozenset(g.domain for g in d.goal.domains)


def _baseline(
    reference: list[MultiWOZDialogue],
    compared: list[MultiWOZDialogue],
    paired: bool,
    *,
    seed: int,
    resamples: int,
) -> RealBaseline | None:
    """Two disjoint random samples of as many real dialogues as ``compared`` (halves of the
    pool when it is smaller), compared like simulated against real. When paired by goal, the
    pool keeps the domain combinations of the compared goals (hotel-only goals against
    hotel-only goals)."""
    pool = list(reference)
    if paired:
        wanted = {_domains(d) for d in compared}
        pool = [d for d in pool if _domains(d) in wanted]
    random.Random(seed + 1).shuffle(pool)
    per_half = min(len(compared), len(pool) // 2)
    a = [_from_corpus(d) for d in pool[:per_half]]
    b = [_from_corpus(d) for d in pool[per_half : 2 * per_half]]
    turns_a = [(d.id, t) for d in a for t in d.user_turns]
    turns_b = [(d.id, t) for d in b for t in d.user_turns]
    if per_half < 2 or min(len(turns_a), len(turns_b)) < MIN_TURNS:
        return None
    comparisons, skipped = _comparisons(a, b, seed=seed, resamples=resamples)
    return RealBaseline(
        per_half=per_half,
        comparisons=comparisons,
        distinguishability=_distinguishability(turns_a, turns_b, seed=seed),
        skipped=skipped,
    )


def _comparisons(
    real: list[_Dialogue], sim: list[_Dialogue], *, seed: int, resamples: int
) -> tuple[dict[str, Comparison], dict[str, str]]:
    def lengths(ds: list[_Dialogue]) -> list[float]:
        return [float(len(_words(t))) for d in ds for t in d.user_turns]

    def per_dialogue(ds: list[_Dialogue]) -> list[float]:
        return [float(len(d.user_turns)) for d in ds]

    def ender(ds: list[_Dialogue]) -> list[str]:
        return [d.last_speaker for d in ds if d.last_speaker is not None]

    def intents(ds: list[_Dialogue]) -> list[str]:
        return [a for d in ds if d.acts is not None for turn in d.acts for a in turn]

    def acts_per_turn(ds: list[_Dialogue]) -> list[float]:
        return [float(len(turn)) for d in ds if d.acts is not None for turn in d.acts]

    opts = {"seed": seed, "resamples": resamples}
    comparisons = {
        "turn_length_words": _compare("turn_length_words", "ks", real, sim, lengths, **opts),
        "user_turns_per_dialogue": _compare(
            "user_turns_per_dialogue", "ks", real, sim, per_dialogue, **opts
        ),
        "distinct_1": _diversity(real, sim, 1, seed=seed, resamples=min(resamples, 200)),
        "distinct_2": _diversity(real, sim, 2, seed=seed, resamples=min(resamples, 200)),
    }
    skipped: dict[str, str] = {}
    if ender(real) and ender(sim):
        comparisons["ended_by"] = _compare("ended_by", "js", real, sim, ender, **opts)
    else:
        skipped["ended_by"] = "no turns on one side"
    if intents(real) and intents(sim):
        comparisons["dialogue_acts"] = _compare("dialogue_acts", "js", real, sim, intents, **opts)
        comparisons["acts_per_turn"] = _compare(
            "acts_per_turn", "ks", real, sim, acts_per_turn, **opts
        )
    else:
        skipped["dialogue_acts"] = "dialogue acts are not labelled on both sides"
    return comparisons, skipped
