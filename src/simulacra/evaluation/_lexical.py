"""Lexical diversity of a user's side of a dialogue, and how far simulated users are from the
human distribution of it (z-scores with bootstrap intervals).

Three measures, each over the word tokens of all user turns of one dialogue:

- **MATTR** (moving-average type-token ratio, Covington & McFall 2010), window 50: the mean
  type-token ratio of every run of 50 consecutive tokens (the plain TTR when there are fewer);
- **Yule's K** (Yule 1944): ``10^4 · (Σ_i i²·V_i − N) / N²``, ``V_i`` the number of types seen
  ``i`` times, ``N`` the tokens; higher is *less* diverse (more repetition);
- **HD-D** (McCarthy & Jarvis 2010), sample 42: the expected type-token ratio of a random draw of
  42 tokens without replacement, ``Σ_types (1 − C(N−f, 42) / C(N, 42)) / 42``; a dialogue with
  fewer than 42 user tokens has none.

The z-score of a measure is ``(mean over simulated dialogues − mean over real dialogues) / sd of
the real dialogues``: 0 is the human mean, ±1 one human standard deviation away. Its interval
resamples dialogues on both sides (percentile bootstrap, seeded).
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles
from simulacra.profiles._markers import words

__all__ = ["LexicalZ", "hdd", "lexical_z_scores", "mattr", "yules_k"]

MATTR_WINDOW = 50
HDD_SAMPLE = 42


def mattr(tokens: Sequence[str], window: int = MATTR_WINDOW) -> float:
    """Moving-average type-token ratio (NaN for no tokens; the TTR when fewer than ``window``)."""
    n = len(tokens)
    if n == 0:
        return float("nan")
    if n <= window:
        return len(set(tokens)) / n
    counts = Counter(tokens[:window])
    total = len(counts)
    for i in range(window, n):
        out, new = tokens[i - window], tokens[i]
        counts[out] -= 1
        if counts[out] == 0:
            del counts[out]
        counts[new] += 1
        total += len(counts)
    return total / (window * (n - window + 1))


def yules_k(tokens: Sequence[str]) -> float:
    """Yule's K (NaN for no tokens)."""
    n = len(tokens)
    if n == 0:
        return float("nan")
    spectrum = Counter(Counter(tokens).values())  # i -> V_i
    s2 = sum(i * i * v for i, v in spectrum.items())
    return 1e4 * (s2 - n) / (n * n)


def hdd(tokens: Sequence[str], sample: int = HDD_SAMPLE) -> float:
    """HD-D: the expected TTR of ``sample`` tokens drawn without replacement (NaN when there are
    fewer tokens than ``sample``)."""
    n = len(tokens)
    if n < sample or sample <= 0:
        return float("nan")
    total_ways = math.comb(n, sample)
    out = 0.0
    for f in Counter(tokens).values():
        p_absent = math.comb(n - f, sample) / total_ways
        out += (1.0 - p_absent) / sample
    return out


MEASURES: dict[str, Callable[[Sequence[str]], float]] = {
    "mattr_50": mattr,
    "yules_k": yules_k,
    "hdd_42": hdd,
}


@dataclass(frozen=True)
class LexicalZ:
    """One lexical measure, simulated users against the human distribution.

    Attributes:
        name: ``mattr_50``, ``yules_k`` or ``hdd_42``.
        z: ``(simulated mean − real mean) / real sd`` with its bootstrap interval; ``n`` counts
            the dialogues of both sides.
        real_mean: Mean over real dialogues.
        real_sd: Standard deviation over real dialogues.
        simulated_mean: Mean over simulated dialogues.
    """

    name: str
    z: Estimate
    real_mean: float
    real_sd: float
    simulated_mean: float

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "name": self.name,
            "z": _estimate_dict(self.z),
            "real_mean": self.real_mean,
            "real_sd": self.real_sd,
            "simulated_mean": self.simulated_mean,
        }


def _values(
    sides: Sequence[Sequence[str]], measure: Callable[[Sequence[str]], float]
) -> list[float]:
    out = []
    for turns in sides:
        tokens = [w for t in turns for w in words(t)]
        v = measure(tokens)
        if v == v:  # not NaN
            out.append(v)
    return out


def _z(sim: Sequence[float], real: Sequence[float]) -> float:
    sd = statistics.stdev(real) if len(real) > 1 else 0.0
    if sd == 0.0:
        return float("nan")
    return (statistics.fmean(sim) - statistics.fmean(real)) / sd


def lexical_z_scores(
    real: Sequence[Sequence[str]],
    simulated: Sequence[Sequence[str]],
    *,
    seed: int = 0,
    resamples: int = 1000,
) -> tuple[dict[str, LexicalZ], dict[str, str]]:
    """Each measure's z-score of the simulated users against the real ones.

    Args:
        real: The user turns of each real dialogue.
        simulated: The user turns of each simulated dialogue.
        seed: Seeds the bootstrap.
        resamples: Bootstrap resamples (dialogues, both sides).

    Returns:
        The measures computed, and those skipped with why (too few dialogues with enough tokens).
    """
    out: dict[str, LexicalZ] = {}
    skipped: dict[str, str] = {}
    for name, measure in MEASURES.items():
        r, s = _values(real, measure), _values(simulated, measure)
        if len(r) < 3 or len(s) < 2:
            skipped[name] = (
                f"too few dialogues with a value ({len(r)} real, {len(s)} simulated; "
                "HD-D needs 42 user tokens)"
            )
            continue
        rng = random.Random(f"{seed}:{name}")
        samples = []
        for _ in range(resamples):
            z = _z(rng.choices(s, k=len(s)), rng.choices(r, k=len(r)))
            if z == z:
                samples.append(z)
        low, high = _percentiles(samples, 0.95) if samples else (float("nan"), float("nan"))
        out[name] = LexicalZ(
            name=name,
            z=Estimate(_z(s, r), low, high, 0.95, len(r) + len(s)),
            real_mean=statistics.fmean(r),
            real_sd=statistics.stdev(r),
            simulated_mean=statistics.fmean(s),
        )
    return out, skipped
