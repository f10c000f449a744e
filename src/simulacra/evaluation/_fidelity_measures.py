"""Fidelity's distributional view: simulated and real dialogues reduced to what is compared
(user turns, their dialogue acts, who ended the dialogue), and each quantity compared with a
bootstrap interval that resamples whole dialogues — the Kolmogorov-Smirnov statistic for
numbers, the Jensen-Shannon divergence for categories — or, for the distinct-n difference, a
jackknife interval over dialogues. Split from :mod:`simulacra.evaluation._fidelity`, which
assembles the report.

Speed: each turn's words are split once (:class:`_Side`) and every measure reads them; the
bootstrap draws are made once per report and shared by every quantity, and a quantity's
statistic is computed for all resamples at once from per-dialogue value counts — the same draws
and the same numbers as a loop that rebuilt each resample's values (a test compares them)."""

from __future__ import annotations

import math
import random
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles
from simulacra.scenarios import parse_acts

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
    # who ended it, not who spoke last: a user's stop sentinel ends without a turn
    if c.ended_by == user_id:
        last = "user"
    elif c.termination is not None and c.termination.value == "target_stop":
        last = "system"
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
    """distinct-n of some user turns: unique word n-grams ÷ word n-grams (the definition; the
    report computes it through :func:`~simulacra.evaluation._metrics.distinct_n`)."""
    grams: list[tuple[str, ...]] = []
    for t in turns:
        w = _words(t)
        grams.extend(tuple(w[i : i + n]) for i in range(len(w) - n + 1))
    return len(set(grams)) / len(grams) if grams else 0.0


class _Side:
    """One side's dialogues with the words of each user turn, split once and read by every
    measure (turn lengths, distinct-n) and every resample."""

    def __init__(self, dialogues: Sequence[_Dialogue]) -> None:
        self.dialogues = list(dialogues)
        self.words = [[_words(t) for t in d.user_turns] for d in self.dialogues]

    def __len__(self) -> int:
        return len(self.dialogues)


Values: TypeAlias = Sequence[Sequence[float]] | Sequence[Sequence[str]]
"""One quantity's values, one list per dialogue."""


def _draws(n_real: int, n_sim: int, *, seed: int, resamples: int) -> tuple[Any, Any]:
    """How often each dialogue is drawn in each bootstrap resample, one row per resample after
    row 0 (the sample itself, every dialogue once), for each side. The draws are those of
    ``rng.choices(dialogues, k=len(dialogues))``, real then simulated, per resample."""
    import numpy as np

    rng = random.Random(seed)
    real = np.ones((resamples + 1, n_real))
    sim = np.ones((resamples + 1, n_sim))
    for i in range(1, resamples + 1):
        real[i] = np.bincount(rng.choices(range(n_real), k=n_real), minlength=n_real)
        sim[i] = np.bincount(rng.choices(range(n_sim), k=n_sim), minlength=n_sim)
    return real, sim


def _ks_rows(a: Any, b: Any) -> Any:
    """The KS statistic of each row of two count tables over the same sorted values (equal to
    :func:`_ks` of the values the counts stand for)."""
    import numpy as np

    ca, cb = np.cumsum(a, axis=1), np.cumsum(b, axis=1)
    na, nb = ca[:, -1:], cb[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.abs(ca / na - cb / nb).max(axis=1)
    out[(na[:, 0] == 0) | (nb[:, 0] == 0)] = np.nan
    return out


def _js_rows(a: Any, b: Any) -> Any:
    """The Jensen-Shannon divergence (base 2) of each row of two count tables over the same
    categories (equal to :func:`_js`, whose steps it repeats, to rounding)."""
    import numpy as np
    from scipy.special import rel_entr  # type: ignore[import-untyped,unused-ignore]

    na, nb = a.sum(axis=1, keepdims=True), b.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        pa, pb = a / na, b / nb
        pa, pb = pa / pa.sum(axis=1, keepdims=True), pb / pb.sum(axis=1, keepdims=True)
        m = (pa + pb) / 2.0
        js = (rel_entr(pa, m).sum(axis=1) + rel_entr(pb, m).sum(axis=1)) / np.log(2)
        out = np.sqrt(js / 2.0) ** 2
    out[(na[:, 0] == 0) | (nb[:, 0] == 0)] = np.nan
    return out


def _counts(values: Values, index: dict[Any, int]) -> Any:
    import numpy as np

    table = np.zeros((len(values), len(index)))
    for row in range(len(values)):
        for v in values[row]:
            table[row, index[v]] += 1
    return table


def _compare(
    name: str,
    statistic: str,
    real: Values,
    sim: Values,
    draws: tuple[Any, Any],
) -> Comparison:
    """Compare one quantity (``real``/``sim``: its values per dialogue) on every resample at
    once: a resample's values are its dialogues' value counts times how often each was drawn."""
    import numpy as np

    keys = sorted({v for vs in [*real, *sim] for v in vs})
    index = {k: i for i, k in enumerate(keys)}
    rows = (draws[0] @ _counts(real, index), draws[1] @ _counts(sim, index))
    if not keys:
        stats = np.full(len(draws[0]), np.nan)
    else:
        stats = _ks_rows(*rows) if statistic == "ks" else _js_rows(*rows)
    samples = [float(x) for x in stats[1:] if x == x]
    low, high = _percentiles(samples, 0.95) if samples else (float("nan"), float("nan"))
    xr = [v for vs in real for v in vs]
    xs = [v for vs in sim for v in vs]
    est = Estimate(float(stats[0]), low, high, 0.95, len(xr) + len(xs))
    return Comparison(name, statistic, est, _summary(xr, statistic), _summary(xs, statistic))


def _summary(values: Sequence[float | str], statistic: str) -> dict[str, float]:
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


def _equal_sample(side: _Side, k: int, rng: random.Random) -> list[list[str]]:
    """``k`` user turns of whole dialogues, grouped by dialogue: the dialogues in a seeded random
    order until there are ``k`` turns (the last one cut short). Sampling single turns instead
    would spread the larger side's turns over many more dialogues than the smaller side's, and
    turns of one dialogue share words, so that side's distinct-n came out higher for that alone:
    20 real MultiWOZ val dialogues against single turns of the 1,000 test dialogues gave
    distinct-2 -0.061, against whole test dialogues -0.024 (interval -0.071 to 0.024)."""
    order = list(range(len(side)))
    rng.shuffle(order)
    groups: list[list[str]] = []
    left = k
    for i in order:
        if left <= 0:
            break
        texts = [" ".join(words) for words in side.words[i][:left]]
        if texts:
            groups.append(texts)
            left -= len(texts)
    return groups


def _diversity(real: _Side, sim: _Side, n: int, *, seed: int, z: float = 1.96) -> Comparison:
    """distinct-n, simulated minus real, on equally many user turns of whole dialogues per side
    (:func:`_equal_sample`), with a jackknife interval.

    Each side's distinct-n and its standard error come from
    :func:`~simulacra.evaluation._metrics.distinct_n` (leave one dialogue of the sample out); the
    difference's standard error combines the two sides' (independent samples), and the interval
    is ``difference ± z·se``, so it always holds its estimate. A bootstrap does not work here:
    a resample repeats dialogues, a repeated dialogue repeats its n-grams, so resampled
    distinct-n falls far below the estimate (the interval could exclude it).
    """
    from simulacra.evaluation._metrics import distinct_n

    rng = random.Random(seed)
    k = min(sum(len(turns) for turns in side.words) for side in (real, sim))
    values: list[float] = []
    variances: list[float] = []
    for side in (real, sim):
        # z=1: the interval is value ± se, clipped to [0, 1]; the side not clipped gives se
        e = distinct_n(_equal_sample(side, k, rng), n, z=1.0)
        values.append(e.value)
        variances.append(max(e.high - e.value, e.value - e.low) ** 2)
    dr, ds = values
    half = z * math.sqrt(sum(variances))
    diff = ds - dr
    return Comparison(
        f"distinct_{n}",
        "difference",
        Estimate(diff, max(-1.0, diff - half), min(1.0, diff + half), 0.95, 2 * k),
        {"value": dr, "n": k},
        {"value": ds, "n": k},
    )


def _comparisons(
    real: list[_Dialogue], sim: list[_Dialogue], *, seed: int, resamples: int
) -> tuple[dict[str, Comparison], dict[str, str]]:
    sides = (_Side(real), _Side(sim))

    def lengths(s: _Side) -> list[list[float]]:
        return [[float(len(w)) for w in turns] for turns in s.words]

    def per_dialogue(s: _Side) -> list[list[float]]:
        return [[float(len(d.user_turns))] for d in s.dialogues]

    def ender(s: _Side) -> list[list[str]]:
        return [[d.last_speaker] if d.last_speaker is not None else [] for d in s.dialogues]

    def intents(s: _Side) -> list[list[str]]:
        return [[a for turn in d.acts or () for a in turn] for d in s.dialogues]

    def acts_per_turn(s: _Side) -> list[list[float]]:
        return [[float(len(turn)) for turn in d.acts or ()] for d in s.dialogues]

    draws = _draws(len(real), len(sim), seed=seed, resamples=resamples)

    def compare(name: str, statistic: str, extract: Callable[[_Side], Values]) -> Comparison:
        return _compare(name, statistic, extract(sides[0]), extract(sides[1]), draws)

    comparisons = {
        "turn_length_words": compare("turn_length_words", "ks", lengths),
        "user_turns_per_dialogue": compare("user_turns_per_dialogue", "ks", per_dialogue),
        "distinct_1": _diversity(*sides, 1, seed=seed),
        "distinct_2": _diversity(*sides, 2, seed=seed),
    }
    skipped: dict[str, str] = {}
    if any(ender(sides[0])) and any(ender(sides[1])):
        comparisons["ended_by"] = compare("ended_by", "js", ender)
    else:
        skipped["ended_by"] = "no turns on one side"
    if any(intents(sides[0])) and any(intents(sides[1])):
        comparisons["dialogue_acts"] = compare("dialogue_acts", "js", intents)
        comparisons["acts_per_turn"] = compare("acts_per_turn", "ks", acts_per_turn)
    else:
        skipped["dialogue_acts"] = "dialogue acts are not labelled on both sides"
    return comparisons, skipped
