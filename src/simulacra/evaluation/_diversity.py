"""Diversity of a simulated population (survey §6, §9.2): do the simulated users differ from
one another, in words, in meaning and in behaviour?

The unit is the conversation (one simulated user pursuing one scenario); its text is its user
turns. Measures, each an :class:`Estimate` with a 95% interval and n:

- ``distinct_1`` / ``distinct_2``: unique n-grams ÷ n-grams over all user turns (jackknife
  interval over conversations, see :func:`~simulacra.evaluation._metrics.distinct_n`);
- ``self_bleu``: BLEU (sacrebleu, 0–100) of each conversation's user text against the user
  texts of up to ``max_refs`` other conversations (Zhu et al. 2018, "Texygen"); higher means
  more alike. More references raise BLEU, so the number of references is capped and reported;
- ``dispersion_conversations``: mean pairwise cosine distance between conversations (each the
  normalised mean of its user-turn vectors); ``dispersion_turns``: mean cosine distance between
  user turns of different conversations. Vectors are MiniLM sentence embeddings, or TF-IDF when
  the encoder is not installed (``encoder`` says which; the two scales are not comparable);
- behaviour: mean and spread (standard deviation across conversations) of user turns per
  conversation and words per user turn; Shannon entropy (bits) of how conversations ended
  (``termination``), of who ended them (``ended_by``: user, target, goal_check, loop) and, when
  user turns are labelled (``acts`` metadata, e.g. the agenda user or MultiWOZ), of their
  dialogue acts ``intent(domain)``;
- across personas: for each behaviour feature, η² — the share of its variance across
  conversations explained by the persona (``profile_id``); 0 when personas behave alike.

Intervals resample conversations (the pairwise measures drop pairs of a conversation with its
own copy, so a resample never compares a text with itself). Plug-in entropies are biased down on
small samples; all of these measures depend on the number of conversations, so compare
populations of equal size.
"""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from simulacra.conversation import Conversation
from simulacra.evaluation._metrics import _is_user, _sacrebleu, distinct_n, side_text
from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles
from simulacra.evaluation._vectors import embed
from simulacra.scenarios import parse_acts

__all__ = ["DiversityReport", "diversity_report", "self_bleu"]


@dataclass(frozen=True)
class DiversityReport:
    """Diversity of one population of conversations.

    Attributes:
        source: What was measured (a run directory, a corpus file).
        n_conversations: Conversations with at least one user turn.
        n_user_turns: Their user turns.
        encoder: The encoder of the dispersion measures (``minilm:...`` or ``tfidf:...``).
        values: Measure → estimate.
        distributions: Categorical measure → category → count (the entropies' inputs).
        between_personas: Behaviour feature → η² across personas.
        skipped: Measure → why it was not computed.
        max_refs: References per conversation for self-BLEU.
    """

    source: str
    n_conversations: int
    n_user_turns: int
    encoder: str | None
    values: dict[str, Estimate] = field(default_factory=dict)
    distributions: dict[str, dict[str, int]] = field(default_factory=dict)
    between_personas: dict[str, Estimate] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    max_refs: int = 50

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "source": self.source,
            "n_conversations": self.n_conversations,
            "n_user_turns": self.n_user_turns,
            "encoder": self.encoder,
            "self_bleu_max_refs": self.max_refs,
            "values": {k: _estimate_dict(e) for k, e in self.values.items()},
            "distributions": self.distributions,
            "between_personas": {k: _estimate_dict(e) for k, e in self.between_personas.items()},
            "skipped": self.skipped,
        }


def _boot(
    stat: Callable[[list[int]], float | None], k: int, *, resamples: int, seed: int
) -> tuple[float, float] | None:
    """Percentile interval of ``stat`` over resampled conversation indices."""
    rng = random.Random(seed)
    samples = [
        v for _ in range(resamples) if (v := stat([rng.randrange(k) for _ in range(k)])) is not None
    ]
    return _percentiles(samples, 0.95) if samples else None


def _estimate(
    stat: Callable[[list[int]], float | None], k: int, *, resamples: int, seed: int
) -> Estimate | None:
    point = stat(list(range(k)))
    if point is None:
        return None
    bounds = _boot(stat, k, resamples=resamples, seed=seed) or (point, point)
    return Estimate(point, bounds[0], bounds[1], 0.95, k)


def self_bleu(texts: Sequence[str], *, max_refs: int = 50, seed: int = 0) -> list[float]:
    """Self-BLEU of each text: sacrebleu sentence BLEU against up to ``max_refs`` of the other
    texts (a seeded sample when there are more)."""
    scorer = _sacrebleu().BLEU(effective_order=True)
    rng = random.Random(seed)
    out: list[float] = []
    for i, hyp in enumerate(texts):
        others = [j for j in range(len(texts)) if j != i]
        if len(others) > max_refs:
            others = rng.sample(others, max_refs)
        refs = [texts[j] for j in others]
        out.append(float(scorer.sentence_score(hyp, refs).score) if refs else 0.0)
    return out


def _of(
    values: Sequence[float], fn: Callable[[list[float]], float]
) -> Callable[[list[int]], float]:
    return lambda idx: fn([values[i] for i in idx])


def _entropy_of(labels: Sequence[Sequence[str]]) -> Callable[[list[int]], float]:
    return lambda idx: _entropy(Counter(x for i in idx for x in labels[i]).values())


def _entropy(counts: Iterable[int]) -> float:
    values = [c for c in counts if c]
    total = sum(values)
    return max(0.0, -sum(c / total * math.log2(c / total) for c in values)) if total else 0.0


def _ended_by(c: Conversation, users: set[str]) -> str:
    if c.ended_by is None:
        return "none"
    if c.ended_by in ("goal_check", "loop"):
        return c.ended_by
    return "user" if c.ended_by in users else "target"


def _acts(c: Conversation, users: set[str]) -> list[str] | None:

    labels: list[str] = []
    for t in c.turns:
        if t.speaker not in users:
            continue
        raw = t.metadata.get("acts")
        if not isinstance(raw, str):
            return None
        try:
            labels.extend(f"{a.intent}({a.domain})" for a in parse_acts(raw))
        except ValueError:
            return None
    return labels


def _eta_squared(values: Sequence[float], groups: Sequence[str]) -> float | None:
    if len(set(groups)) < 2 or len(values) < 3:
        return None
    mean = statistics.fmean(values)
    total = sum((v - mean) ** 2 for v in values)
    if total <= 1e-12:
        return None
    by: dict[str, list[float]] = {}
    for v, g in zip(values, groups, strict=True):
        by.setdefault(g, []).append(v)
    between = sum(len(vs) * (statistics.fmean(vs) - mean) ** 2 for vs in by.values())
    return between / total


def _pair_similarity(sums: object, norms: object, sizes: object, counts: object) -> object:
    """Mean cosine similarity of pairs of items from different groups, for rows of group
    multiplicities ``counts`` (R x K): ``(|sum c_k s_k|^2 - sum c_k^2 |s_k|^2) /
    ((sum c_k n_k)^2 - sum c_k^2 n_k^2)`` where ``s_k`` sums group k's unit vectors."""
    import numpy as np

    c = np.asarray(counts, dtype=np.float64)
    s, q, n = (np.asarray(x, dtype=np.float64) for x in (sums, norms, sizes))
    pooled = c @ s
    num = (pooled * pooled).sum(axis=1) - (c * c) @ q
    den = (c @ n) ** 2 - (c * c) @ (n * n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def _dispersion(
    turn_vectors: object, owner: Sequence[int], k: int, *, resamples: int, seed: int
) -> dict[str, Estimate]:
    import numpy as np

    vectors = np.asarray(turn_vectors, dtype=np.float64)
    group = np.asarray(owner)
    sums = np.zeros((k, vectors.shape[1]))
    np.add.at(sums, group, vectors)
    sizes = np.bincount(group, minlength=k).astype(np.float64)
    means = sums / np.linalg.norm(sums, axis=1, keepdims=True).clip(1e-12)
    rng = np.random.default_rng(seed)
    counts = np.vstack([np.ones(k), rng.multinomial(k, np.full(k, 1.0 / k), size=resamples)])
    out: dict[str, Estimate] = {}
    for name, s, n in (
        ("dispersion_conversations", means, np.ones(k)),
        ("dispersion_turns", sums, sizes),
    ):
        q = (s * s).sum(axis=1)
        sims = np.asarray(_pair_similarity(s, q, n, counts))
        boot = sorted(float(1 - v) for v in sims[1:] if not np.isnan(v))
        if np.isnan(sims[0]):
            continue
        point = float(1 - sims[0])
        low, high = _percentiles(boot, 0.95) if boot else (point, point)
        out[name] = Estimate(point, low, high, 0.95, k)
    return out


def diversity_report(
    conversations: Iterable[Conversation],
    *,
    source: str = "",
    encoder: str = "auto",
    max_refs: int = 50,
    resamples: int = 1000,
    seed: int = 0,
) -> DiversityReport:
    """Measure the diversity of a population of conversations (see the module docstring).

    Args:
        conversations: The conversations (e.g. ``read_conversations(run_dir)``); those without
            a user turn are left out.
        source: A name for the report.
        encoder: ``auto``, ``minilm`` or ``tfidf`` (see :func:`~simulacra.evaluation._vectors.
            embed`).
        max_refs: References per conversation for self-BLEU.
        resamples: Bootstrap resamples.
        seed: Seed of the resampling and of the self-BLEU reference sample.
    """
    convs = [c for c in conversations if side_text(c, "user")]
    groups = [side_text(c, "user") for c in convs]
    k = len(convs)
    turns = [t for g in groups for t in g]
    if k < 2:
        report = DiversityReport(source, k, len(turns), None, max_refs=max_refs)
        report.skipped["all"] = f"needs at least 2 conversations with user turns, got {k}"
        return report
    vectors, name = embed(turns, encoder=encoder)
    report = DiversityReport(source, k, len(turns), name, max_refs=max_refs)
    boot = {"resamples": resamples, "seed": seed}
    for n in (1, 2):
        report.values[f"distinct_{n}"] = distinct_n(groups, n)
    bleu = self_bleu(["\n".join(g) for g in groups], max_refs=max_refs, seed=seed)
    if e := _estimate(lambda idx: statistics.fmean(bleu[i] for i in idx), k, **boot):
        report.values["self_bleu"] = e
    owner = [i for i, g in enumerate(groups) for _ in g]
    report.values.update(_dispersion(vectors, owner, k, resamples=resamples, seed=seed))

    n_turns = [float(len(g)) for g in groups]
    words = [statistics.fmean(len(t.split()) for t in g) for g in groups]
    for feature, values in (("user_turns", n_turns), ("words_per_turn", words)):
        for stat, fn in (("mean", statistics.fmean), ("sd", statistics.pstdev)):
            e = _estimate(_of(values, fn), k, **boot)
            if e is not None:
                report.values[f"{feature}_{stat}"] = e
    users = [_is_user(c) for c in convs]
    categorical: dict[str, list[list[str]]] = {
        "termination": [[str(c.termination)] for c in convs],
        "ended_by": [[_ended_by(c, u)] for c, u in zip(convs, users, strict=True)],
    }
    acts = [_acts(c, u) for c, u in zip(convs, users, strict=True)]
    if all(a is not None for a in acts) and any(acts):
        categorical["acts"] = [a or [] for a in acts]
    else:
        report.skipped["entropy_acts"] = "user turns carry no dialogue-act labels"
    for cat, labels in categorical.items():
        report.distributions[cat] = dict(Counter(x for ls in labels for x in ls).most_common())
        e = _estimate(_entropy_of(labels), k, **boot)
        if e is not None:
            report.values[f"entropy_{cat}"] = e
    _between_personas(report, convs, {"user_turns": n_turns, "words_per_turn": words}, **boot)
    return report


def _between_personas(
    report: DiversityReport,
    convs: Sequence[Conversation],
    features: dict[str, list[float]],
    *,
    resamples: int,
    seed: int,
) -> None:
    personas = [str(c.metadata.get("profile_id", "")) for c in convs]
    by: dict[str, list[int]] = {}
    for i, p in enumerate(personas):
        by.setdefault(p, []).append(i)
    if len(by) < 2:
        report.skipped["between_personas"] = "fewer than 2 personas (profile_id)"
        return
    rng = random.Random(seed)
    for feature, values in features.items():
        point = _eta_squared(values, personas)
        if point is None:
            continue
        samples: list[float] = []
        for _ in range(resamples):  # stratified: resample conversations within each persona
            idx = [rng.choice(members) for members in by.values() for _ in members]
            v = _eta_squared([values[i] for i in idx], [personas[i] for i in idx])
            if v is not None:
                samples.append(v)
        low, high = _percentiles(samples, 0.95) if samples else (point, point)
        report.between_personas[feature] = Estimate(point, low, high, 0.95, len(convs))
