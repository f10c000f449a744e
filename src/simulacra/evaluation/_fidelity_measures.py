"""Fidelity's distributional view: simulated and real dialogues reduced to what is compared
(user turns, their dialogue acts, who spoke last), and each quantity compared with a bootstrap
interval that resamples whole dialogues — the Kolmogorov-Smirnov statistic for numbers, the
Jensen-Shannon divergence for categories, a distinct-n difference for lexical diversity.
Split from :mod:`simulacra.evaluation._fidelity`, which assembles the report."""

from __future__ import annotations

import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles

if TYPE_CHECKING:
    from simulacra.conversation import Conversation
    from simulacra.datasets._multiwoz import MultiWOZDialogue

__all__ = ["Comparison"]

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


def reference_user(c: Conversation) -> str:
    """The real user's id in a reference conversation: the declared ``user_participant``
    (imported corpora), else the seat a person played (``simulacra play``), else ``user``."""
    declared = c.metadata.get("user_participant")
    if isinstance(declared, str):
        return declared
    seat = c.metadata.get("human_seat")
    if isinstance(seat, str) and any(p.id == seat for p in c.participants):
        return seat
    return "user"


def _from_corpus(d: MultiWOZDialogue | Conversation) -> _Dialogue:
    from simulacra.conversation import Conversation

    if isinstance(d, Conversation):  # a reference run: an imported corpus or human-played run
        return _from_conversation(d, reference_user(d))
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
