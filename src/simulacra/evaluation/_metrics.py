"""Traditional metrics over a run's conversations (survey §6.1, Appendix E.1).

Lexical overlap is computed by the reference libraries, never re-implemented: BLEU and chrF by
``sacrebleu``, ROUGE-L by ``rouge-score``. Around them: exact match, fact/slot F1, turn counts and
lengths per side, task success from user-defined checks and pass^k over repeated epochs
(tau-bench). Every aggregate is an :class:`Estimate` (bootstrap CI and n).

The *user* side is every turn by a simulated or real human; the *target* side is every other
turn. A conversation's hypothesis text for the lexical metrics is its user side joined by
newlines (``side="target"`` for the other side), compared with one reference text per
conversation id or scenario id.
"""

from __future__ import annotations

import difflib
import functools
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Literal

from simulacra.conversation import Conversation, ParticipantKind, TerminationReason
from simulacra.errors import ConfigError, MissingExtraError
from simulacra.evaluation._stats import Estimate, _estimate_dict, bootstrap_mean, wilson
from simulacra.participants import is_simulator_invalid, simulator_validity

__all__ = [
    "METRICS",
    "MetricsReport",
    "Side",
    "SuccessCheck",
    "bleu",
    "chrf",
    "compute_metrics",
    "distinct_n",
    "exact_match",
    "fact_f1",
    "facts_mentioned",
    "pass_hat_k",
    "resolve_metrics",
    "rouge_l",
    "side_text",
]

Side = Literal["user", "target"]
SuccessCheck = Callable[[Conversation], bool]
"""A user-defined task-success check of one conversation."""

METRICS: dict[str, str] = {
    "bleu": "sentence BLEU (sacrebleu) of each conversation against its reference; corpus BLEU too",
    "chrf": "sentence chrF (sacrebleu) against the reference; corpus chrF too",
    "rouge_l": "ROUGE-L F-measure (rouge-score, stemmed) against the reference",
    "exact_match": "share of conversations whose text equals the reference after normalisation",
    "fact_f1": "F1 of expected facts mentioned in the text (recall-oriented: facts are strings)",
    "turns": "turns per conversation, and user/target turns",
    "lengths": "words per turn on each side",
    "success": "task success from the checks (default: ended with goal_reached)",
    "pass_k": "pass^k over epochs of the same task (all k of k trials succeed)",
    "distinct": "distinct-1/2 of the user side across the run, jackknife CI over conversations",
}
"""The metric names :func:`compute_metrics` accepts, with what each one measures."""

DEFAULT_METRICS = ("turns", "lengths", "success", "pass_k", "distinct")


def resolve_metrics(names: Iterable[str]) -> tuple[str, ...]:
    """Check metric names; ``all`` means every metric.

    Raises:
        ConfigError: For an unknown name (with a did-you-mean suggestion).
    """
    out: list[str] = []
    for raw in names:
        for name in filter(None, (n.strip() for n in raw.split(","))):
            if name == "all":
                out.extend(METRICS)
                continue
            if name not in METRICS:
                close = difflib.get_close_matches(name, [*METRICS, "all"], n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise ConfigError(
                    f"unknown metric {name!r}{hint} (known: {', '.join(METRICS)}, all)"
                )
            out.append(name)
    return tuple(dict.fromkeys(out))


def _sacrebleu() -> ModuleType:
    try:
        import sacrebleu
    except ImportError:
        raise MissingExtraError("eval", "BLEU/chrF") from None
    return sacrebleu


_SCORERS: dict[str, object] = {}


def _scorer(name: str) -> object:
    """One reusable scorer per metric (same settings as the libraries' one-shot functions)."""
    if name not in _SCORERS:
        if name == "rouge_l":
            try:
                from rouge_score import (  # type: ignore[import-untyped,unused-ignore]
                    rouge_scorer,
                    tokenizers,
                )
                from rouge_score import tokenize as rouge_tokenize
                from rouge_score.tokenizers import (  # type: ignore[import-untyped,unused-ignore]
                    porter,  # the stemmer rouge-score itself uses (nltk's Porter)
                )
            except ImportError:
                raise MissingExtraError("eval", "ROUGE-L") from None

            class _CachedStemmer:
                # rouge-score's own Porter stemmer, memoised: identical tokens, far fewer calls.
                stem = staticmethod(
                    functools.lru_cache(maxsize=200_000)(porter.PorterStemmer().stem)
                )

            class _Tokenizer(tokenizers.Tokenizer):  # type: ignore[misc,unused-ignore]
                def tokenize(self, text: str) -> list[str]:
                    return list(rouge_tokenize.tokenize(text, _CachedStemmer))

            _SCORERS[name] = rouge_scorer.RougeScorer(["rougeL"], tokenizer=_Tokenizer())
        else:
            sb = _sacrebleu()
            # sentence_bleu uses effective order, corpus_bleu not; chrF the CHRF defaults.
            _SCORERS[name] = {
                "bleu": lambda: sb.BLEU(effective_order=True),
                "corpus_bleu": lambda: sb.BLEU(),
                "chrf": lambda: sb.CHRF(),
            }[name]()
    return _SCORERS[name]


def bleu(hypothesis: str, reference: str) -> float:
    """Sentence BLEU (0–100), equal to ``sacrebleu.sentence_bleu`` with its defaults."""
    return float(_scorer("bleu").sentence_score(hypothesis, [reference]).score)  # type: ignore[attr-defined]


def chrf(hypothesis: str, reference: str) -> float:
    """Sentence chrF (0–100), equal to ``sacrebleu.sentence_chrf`` with its defaults."""
    return float(_scorer("chrf").sentence_score(hypothesis, [reference]).score)  # type: ignore[attr-defined]


def rouge_l(hypothesis: str, reference: str) -> float:
    """ROUGE-L F-measure (0–1) by ``rouge_score`` with Porter stemming (memoised stems)."""
    return float(_scorer("rouge_l").score(reference, hypothesis)["rougeL"].fmeasure)  # type: ignore[attr-defined]


def _sacre_scores(name: str, hyps: list[str], refs: list[str]) -> tuple[list[float], float]:
    """Sentence scores and the corpus score of sacrebleu's ``bleu`` or ``chrf``.

    The n-gram statistics are extracted once and both the sentence and the corpus scores are
    computed from them by sacrebleu itself (what ``sentence_score`` and ``corpus_score`` do
    separately); values are identical to the one-shot functions (tested).
    """
    sentence = _scorer(name)
    corpus = _scorer("corpus_bleu" if name == "bleu" else name)
    if not hasattr(sentence, "_extract_corpus_statistics"):  # another sacrebleu: the slow way
        return (
            [float(sentence.sentence_score(h, [r]).score) for h, r in zip(hyps, refs, strict=True)],  # type: ignore[attr-defined]
            float(corpus.corpus_score(hyps, [refs]).score),  # type: ignore[attr-defined]
        )
    stats = sentence._extract_corpus_statistics(hyps, [refs])
    scores = [float(sentence._compute_score_from_stats(row).score) for row in stats]  # type: ignore[attr-defined]
    return scores, float(corpus._aggregate_and_compute(stats).score)  # type: ignore[attr-defined]


def _bootstrap(values: Sequence[float], *, resamples: int, seed: int) -> Estimate:
    """:func:`bootstrap_mean` for small samples; the same percentile bootstrap vectorised
    with numpy for large ones (10,000 conversations x 1,000 resamples in a fraction of a second)."""
    if len(values) <= 500:
        return bootstrap_mean(values, resamples=resamples, seed=seed)
    import numpy as np

    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for start in range(0, resamples, 100):
        stop = min(resamples, start + 100)
        means[start:stop] = data[rng.integers(0, len(data), (stop - start, len(data)))].mean(axis=1)
    means.sort()
    low = float(means[int(0.025 * (resamples - 1))])
    high = float(means[int(0.975 * (resamples - 1))])
    return Estimate(float(data.mean()), low, high, 0.95, len(data))


_WORD = re.compile(r"\w+", re.UNICODE)


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def exact_match(hypothesis: str, reference: str) -> bool:
    """Equal after lower-casing and dropping punctuation and extra spaces."""
    return _normalise(hypothesis) == _normalise(reference)


def facts_mentioned(text: str, facts: Sequence[str]) -> list[str]:
    """The facts whose normalised words occur, in order, as a phrase of the normalised text."""
    haystack = f" {_normalise(text)} "
    return [f for f in facts if _normalise(f) and f" {_normalise(f)} " in haystack]


def fact_f1(predicted: Iterable[str], expected: Iterable[str]) -> tuple[float, float, float]:
    """Precision, recall and F1 of a set of facts (or ``slot=value`` strings), normalised.

    Both empty gives ``(1, 1, 1)``; one side empty gives zeros.
    """
    p = {_normalise(x) for x in predicted} - {""}
    e = {_normalise(x) for x in expected} - {""}
    if not p and not e:
        return 1.0, 1.0, 1.0
    hit = len(p & e)
    precision = hit / len(p) if p else 0.0
    recall = hit / len(e) if e else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pass_hat_k(trials: Mapping[str, Sequence[bool]], k: int) -> float:
    """pass^k (tau-bench): the chance that ``k`` i.i.d. trials of a task all succeed, averaged.

    Per task with ``n`` trials and ``c`` successes the unbiased estimate is
    ``C(c, k) / C(n, k)``. Tasks with fewer than ``k`` trials are left out.

    Raises:
        ValueError: If ``k < 1`` or no task has ``k`` trials.
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    per_task = _pass_hat_k_per_task(trials, k)
    if not per_task:
        raise ValueError(f"no task has {k} trials")
    return statistics.fmean(per_task)


def _pass_hat_k_per_task(trials: Mapping[str, Sequence[bool]], k: int) -> list[float]:
    return [math.comb(sum(t), k) / math.comb(len(t), k) for t in trials.values() if len(t) >= k]


def _is_user(conversation: Conversation) -> set[str]:
    """Ids of the user side: the conversation's declared user (imported peer corpora, where both
    sides are human, name one), else every human or simulated-human participant."""
    declared = conversation.metadata.get("user_participant")
    if isinstance(declared, str) and any(p.id == declared for p in conversation.participants):
        return {declared}
    users = {
        p.id
        for p in conversation.participants
        if p.kind in (ParticipantKind.SIMULATED_HUMAN, ParticipantKind.HUMAN)
    }
    return users


def side_text(conversation: Conversation, side: Side = "user") -> list[str]:
    """The utterances of one side, in order."""
    users = _is_user(conversation)
    return [t.utterance for t in conversation.turns if (t.speaker in users) == (side == "user")]


def _goal_reached(conversation: Conversation) -> bool:
    return conversation.termination == TerminationReason.GOAL_REACHED


@dataclass(frozen=True)
class MetricsReport:
    """Aggregates of a set of conversations.

    Attributes:
        n_conversations: How many conversations were measured.
        values: Metric name → estimate (mean with bootstrap CI and n).
        points: Point values without an interval (corpus BLEU/chrF, distinct-n).
        per_conversation: Conversation id → metric name → value.
        skipped: Why some metric could not be computed (e.g. no references).
        simulator: The simulated user's own validity (validity gate): conversations gated and
            flagged ``simulator_invalid`` with a Wilson interval of the share, regenerations and
            the detectors that still fail kept turns; ``None`` when no conversation was gated.
        excluded: Ids of ``simulator_invalid`` conversations left out of the metrics above.
    """

    n_conversations: int
    values: dict[str, Estimate] = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)
    per_conversation: dict[str, dict[str, float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    simulator: dict[str, object] | None = None
    excluded: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "n_conversations": self.n_conversations,
            "simulator": self.simulator,
            "excluded_simulator_invalid": self.excluded,
            "values": {k: _estimate_dict(e) for k, e in self.values.items()},
            "points": self.points,
            "skipped": self.skipped,
            "per_conversation": self.per_conversation,
        }


def _grams(text: str, n: int) -> list[tuple[str, ...]]:
    words = text.lower().split()
    return list(zip(*(words[i:] for i in range(n)), strict=False))


def _distinct(texts: Iterable[str], n: int) -> float:
    total = 0
    seen: set[tuple[str, ...]] = set()
    for text in texts:
        grams = _grams(text, n)
        total += len(grams)
        seen.update(grams)
    return len(seen) / total if total else 0.0


def distinct_n(groups: Sequence[Sequence[str]], n: int, *, z: float = 1.96) -> Estimate:
    """Distinct-n (unique n-grams ÷ n-grams, lower-cased words) of all texts, with a
    leave-one-conversation-out jackknife interval; ``groups`` holds each conversation's texts.

    Why not the bootstrap: a bootstrap resample repeats conversations, and a repeated
    conversation repeats all its n-grams, so every resample's distinct-n is far below the
    estimate (on synthetic populations of 30 conversations the percentile interval covered the
    true value 0 times in 100; recentred on the estimate it covered it always but was 2.7x too
    wide). The jackknife leaves each conversation out once, repeats nothing, and covered it 97
    times in 100 with the right width (``tests/evaluation/test_diversity.py`` checks coverage).
    The value grows as the sample shrinks: compare populations of equal size.
    """
    per = [[g for text in texts for g in _grams(text, n)] for texts in groups]
    counts: Counter[tuple[str, ...]] = Counter(g for grams in per for g in grams)
    total = sum(len(grams) for grams in per)
    if not total:
        return Estimate(0.0, 0.0, 0.0, 0.95, len(groups))
    point = len(counts) / total
    k = len(per)
    if k < 2:
        return Estimate(point, point, point, 0.95, k)
    leave_out: list[float] = []
    for grams in per:
        own = Counter(grams)
        lost = sum(1 for g, c in own.items() if counts[g] == c)
        rest = total - len(grams)
        leave_out.append((len(counts) - lost) / rest if rest else point)
    mean = statistics.fmean(leave_out)
    se = math.sqrt((k - 1) / k * sum((v - mean) ** 2 for v in leave_out))
    level = round(math.erf(z / math.sqrt(2)), 4)
    return Estimate(point, max(0.0, point - z * se), min(1.0, point + z * se), level, k)


def compute_metrics(
    conversations: Iterable[Conversation],
    *,
    metrics: Sequence[str] = DEFAULT_METRICS,
    references: Mapping[str, str] | None = None,
    facts: Mapping[str, Sequence[str]] | None = None,
    checks: Mapping[str, SuccessCheck] | None = None,
    k: Sequence[int] = (1, 2, 4),
    side: Side = "user",
    resamples: int = 1000,
    seed: int = 0,
    exclude_invalid: bool = True,
) -> MetricsReport:
    """Compute metrics over conversations.

    A simulator fault is never a target failure: conversations the validity gate flagged
    ``simulator_invalid`` are left out of every metric (``exclude_invalid``) and counted in
    :attr:`MetricsReport.simulator` instead.

    Args:
        conversations: The conversations (e.g. ``read_conversations(run_dir)``).
        metrics: Names from :data:`METRICS` (checked by :func:`resolve_metrics`).
        references: Conversation id or scenario id → reference text (lexical metrics).
        facts: Conversation id or scenario id → expected facts (``fact_f1``).
        checks: Name → success check; a conversation succeeds when all pass (default: it
            ended with ``goal_reached``). Each check is also reported on its own.
        k: The k of pass^k.
        side: Whose text the lexical metrics and ``fact_f1`` read.
        resamples: Bootstrap resamples per aggregate.
        seed: Bootstrap seed.
        exclude_invalid: Leave ``simulator_invalid`` conversations out of the metrics.

    Returns:
        The report; metrics that need references or epochs the data lacks are in ``skipped``.
    """
    names = resolve_metrics(metrics)
    every = list(conversations)
    validity = simulator_validity(every)
    excluded = [c.id for c in every if exclude_invalid and is_simulator_invalid(c)]
    convs = [c for c in every if c.id not in set(excluded)] if excluded else every
    checks = dict(checks) if checks else {"goal_reached": _goal_reached}
    per: dict[str, dict[str, float]] = {c.id: {} for c in convs}
    series: dict[str, list[float]] = defaultdict(list)
    gated, invalid = validity["gated"], validity["invalid"]
    simulator: dict[str, object] | None = None
    if isinstance(gated, int) and gated and isinstance(invalid, int):
        simulator = {
            **validity,
            "invalid_rate": _estimate_dict(wilson(invalid, gated)),
            "excluded_from_metrics": len(excluded),
        }
    report = MetricsReport(
        n_conversations=len(convs),
        per_conversation=per,
        simulator=simulator,
        excluded=excluded,
    )

    def key_of(c: Conversation, table: Mapping[str, object]) -> str | None:
        if c.id in table:
            return c.id
        return c.scenario_id if c.scenario_id in table else None

    lexical = [m for m in ("bleu", "chrf", "rouge_l", "exact_match") if m in names]
    hyps: list[str] = []
    refs: list[str] = []
    ids: list[str] = []
    if lexical:
        for c in convs:
            key = key_of(c, references or {})
            if key is None or references is None:
                continue
            hyp, ref = "\n".join(side_text(c, side)), references[key]
            hyps.append(hyp)
            refs.append(ref)
            ids.append(c.id)
        if not hyps:
            for m in lexical:
                report.skipped[m] = "no reference for any conversation (give references)"
        for m in ("bleu", "chrf"):
            if m in names and hyps:
                scores, report.points[f"corpus_{m}"] = _sacre_scores(m, hyps, refs)
                for cid, value in zip(ids, scores, strict=True):
                    per[cid][m] = value
        for cid, hyp, ref in zip(ids, hyps, refs, strict=True):
            if "rouge_l" in names:
                per[cid]["rouge_l"] = rouge_l(hyp, ref)
            if "exact_match" in names:
                per[cid]["exact_match"] = float(exact_match(hyp, ref))
            for m in lexical:
                series[m].append(per[cid][m])
    if "fact_f1" in names:
        for c in convs:
            key = key_of(c, facts or {})
            if key is None or facts is None:
                continue
            expected = list(facts[key])
            found = facts_mentioned("\n".join(side_text(c, side)), expected)
            per[c.id]["fact_f1"] = fact_f1(found, expected)[2]
            series["fact_f1"].append(per[c.id]["fact_f1"])
        if not series["fact_f1"]:
            report.skipped["fact_f1"] = "no expected facts for any conversation (give facts)"
    for c in convs:
        row = per[c.id]
        users = _is_user(c)
        n_user = sum(t.speaker in users for t in c.turns)
        if "turns" in names:
            row.update(turns=len(c.turns), user_turns=n_user, target_turns=len(c.turns) - n_user)
        if "lengths" in names:
            for s, words in (
                ("user", [len(t.utterance.split()) for t in c.turns if t.speaker in users]),
                ("target", [len(t.utterance.split()) for t in c.turns if t.speaker not in users]),
            ):
                if words:
                    row[f"{s}_words_per_turn"] = statistics.fmean(words)
        if "success" in names or "pass_k" in names:
            results = {name: bool(check(c)) for name, check in checks.items()}
            for name, ok in results.items():
                row[f"check:{name}"] = float(ok)
            row["success"] = float(all(results.values()))
        for metric in (
            "turns",
            "user_turns",
            "target_turns",
            "user_words_per_turn",
            "target_words_per_turn",
            "success",
            *(f"check:{n}" for n in checks),
        ):
            if metric in row and (
                "success" in names or not metric.startswith(("success", "check:"))
            ):
                series[metric].append(row[metric])
    if "pass_k" in names:
        trials: dict[str, list[bool]] = defaultdict(list)
        for c in convs:
            task = f"{c.scenario_id}\x1f{c.metadata.get('profile_id', '')}"
            trials[task].append(per[c.id]["success"] == 1.0)
        for kk in k:
            scores = _pass_hat_k_per_task(trials, kk)
            if scores:
                report.values[f"pass^{kk}"] = _bootstrap(scores, resamples=resamples, seed=seed)
            else:
                report.skipped[f"pass^{kk}"] = f"no task has {kk} trials (epochs)"
    if "distinct" in names:
        groups = [side_text(c, side) for c in convs]
        for nn in (1, 2):
            estimate = distinct_n(groups, nn)
            report.points[f"distinct_{nn}"] = estimate.value
            if estimate.n >= 2:
                report.values[f"distinct_{nn}"] = estimate
    for name, values in series.items():
        if values:
            report.values[name] = _bootstrap(values, resamples=resamples, seed=seed)
    return report
