"""Pairwise indistinguishability judged by a model, calibrated between two anchors computed from
the data at hand (the approach of MirrorBench's pairwise judge with human-human and proxy-proxy
controls).

The judge sees the user side of two conversations, A and B, and says which of the two users are
real people: ``A``, ``B``, ``both`` or ``neither`` (template ``judge/pairwise_human``). Each side
it names is *called human*. Three kinds of pair are judged, each ``samples`` times with a seeded
A/B order (so position bias averages out):

- **test**: a real dialogue against a simulated one (the one with the same goal when the run was
  paired by goal); ``s`` = the share of calls of the simulated side;
- **HH**: two different real dialogues; ``HH`` = the share of their sides called human — what an
  indistinguishable simulator would get from this judge on this data;
- **PP**: two different simulated dialogues; ``PP`` = the share of their sides called human —
  what the simulator gets when nothing human stands beside it.

The calibrated score is ``clip((s − PP) / (HH − PP), 0, 1)``: 1 when the simulated side is
called human as often as real users are, 0 when no more often than among simulators. Why not a
forced choice of one side: with two sides of the same source, a judge forced to name one names
each half the time, so both anchors would be 0.5 by construction and the formula 0/0. When the
anchors do not separate (``HH − PP`` below ``min_gap``: the judge calls simulators human as
often as people even when only simulators are shown) the score is ``None`` with that reason.

``detection`` is the judge's plain accuracy on the test pairs: (calls of the real side − calls
of the simulated side + 1) / 2, 0.5 when it cannot tell them apart and 1 when it always can —
comparable with the classifier's AUC. Intervals resample pairs (percentile bootstrap, seeded).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from simulacra.evaluation._stats import Estimate, _estimate_dict, _percentiles

__all__ = ["PairwiseJudge", "calibrated_score", "judge_pairs", "parse_verdict"]

TEMPLATE = "judge/pairwise_human"
VERDICTS = ("A", "B", "both", "neither")
SCHEMA = {
    "type": "object",
    "properties": {"real": {"type": "string", "enum": list(VERDICTS)}},
    "required": ["real"],
}
MAX_TURNS = 8
MAX_WORDS = 60


def calibrated_score(s: float, hh: float, pp: float, *, min_gap: float = 0.05) -> float | None:
    """``clip((s − pp) / (hh − pp), 0, 1)``; ``None`` when ``hh − pp < min_gap`` or ``hh <= pp``
    (a bootstrap resample may tie the anchors: it then has no score)."""
    if hh - pp < min_gap or hh <= pp:
        return None
    return min(1.0, max(0.0, (s - pp) / (hh - pp)))


def parse_verdict(text: str) -> tuple[bool, bool] | None:
    """``(A called human, B called human)`` from a reply (JSON ``{"real": ...}`` or one word);
    ``None`` when it names none of the four answers."""
    import json
    import re

    answer: object = text.strip()
    try:
        data = json.loads(text)
        if isinstance(data, dict):
            answer = data.get("real", "")
    except ValueError:
        pass
    found = re.search(r"\b(both|neither|none|a|b)\b", str(answer).lower())
    if found is None:
        return None
    word = found.group(1)
    return {
        "a": (True, False),
        "b": (False, True),
        "both": (True, True),
        "neither": (False, False),
        "none": (False, False),
    }[word]


@dataclass(frozen=True)
class PairwiseJudge:
    """The calibrated pairwise judge's result.

    Attributes:
        score: The calibrated score with its interval (``None``: anchors did not separate).
        s: Share of calls of the simulated side in test pairs.
        hh: The human-human anchor.
        pp: The simulator-simulator anchor.
        detection: The judge's accuracy on test pairs (0.5 = cannot tell).
        pairs: Pairs of each kind judged.
        samples: Judgments per pair.
        unparsed: Replies that named no answer (left out).
        note: Why the score is ``None``, if it is.
    """

    score: Estimate | None
    s: Estimate
    hh: Estimate
    pp: Estimate
    detection: Estimate
    pairs: dict[str, int]
    samples: int
    unparsed: int = 0
    note: str | None = None
    model: str | None = None
    template: str = TEMPLATE
    extra: dict[str, object] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""
        return {
            "score": None if self.score is None else _estimate_dict(self.score),
            "s": _estimate_dict(self.s),
            "hh": _estimate_dict(self.hh),
            "pp": _estimate_dict(self.pp),
            "detection": _estimate_dict(self.detection),
            "pairs": self.pairs,
            "samples": self.samples,
            "unparsed": self.unparsed,
            "note": self.note,
            "model": self.model,
            "template": self.template,
        }


Ask = Callable[[str], Awaitable[str]]
"""Sends one prompt to the judge model and returns its reply."""


def _side(turns: Sequence[str]) -> list[str]:
    out = []
    for t in list(turns)[:MAX_TURNS]:
        w = t.split()
        out.append(" ".join(w[:MAX_WORDS]) + (" ..." if len(w) > MAX_WORDS else ""))
    return out


def _pairs(
    real: Sequence[Sequence[str]],
    sim: Sequence[Sequence[str]],
    n: int,
    seed: int,
    matched: Sequence[int] | None,
) -> dict[str, list[tuple[Sequence[str], Sequence[str]]]]:
    """The pairs of each kind, each kind from its own seeded draws (so the HH pairs are the same
    for every simulator compared with the same real dialogues)."""

    def two(
        pool: Sequence[Sequence[str]], rng: random.Random
    ) -> tuple[Sequence[str], Sequence[str]]:
        i, j = rng.sample(range(len(pool)), 2)
        return pool[i], pool[j]

    rng_test = random.Random(f"pairwise-test:{seed}")
    rng_hh = random.Random(f"pairwise-hh:{seed}")
    rng_pp = random.Random(f"pairwise-pp:{seed}")
    test = []
    for k in range(n):
        si = k % len(sim)
        has_match = matched is not None and matched[si] >= 0
        ri = matched[si] if has_match and matched is not None else rng_test.randrange(len(real))
        test.append((real[ri], sim[si]))
    return {
        "test": test,
        "hh": [two(real, rng_hh) for _ in range(n)],
        "pp": [two(sim, rng_pp) for _ in range(n)],
    }


def _rate(rows: Sequence[float], rng: random.Random, resamples: int) -> Estimate:
    value = sum(rows) / len(rows) if rows else float("nan")
    samples = (
        [sum(rng.choices(rows, k=len(rows))) / len(rows) for _ in range(resamples)] if rows else []
    )
    low, high = _percentiles(samples, 0.95) if samples else (float("nan"), float("nan"))
    return Estimate(value, low, high, 0.95, len(rows))


async def judge_pairs(
    ask: Ask,
    real: Sequence[Sequence[str]],
    simulated: Sequence[Sequence[str]],
    *,
    pairs: int = 12,
    samples: int = 3,
    seed: int = 0,
    matched: Sequence[int] | None = None,
    resamples: int = 1000,
    min_gap: float = 0.05,
    concurrency: int = 1,
    model: str | None = None,
) -> PairwiseJudge:
    """Judge ``pairs`` pairs of each kind ``samples`` times and calibrate.

    Args:
        ask: Sends a rendered prompt to the judge, returns its reply.
        real: The user turns of each real dialogue (at least 2).
        simulated: The user turns of each simulated dialogue (at least 2).
        pairs: Pairs of each kind (test, HH, PP).
        samples: Judgments per pair (at least 3), each with its own seeded A/B order.
        seed: Seeds the pairs, the orders and the bootstrap.
        matched: For each simulated dialogue, the index of its real dialogue of the same goal
            (-1: none) — test pairs then set the two users of one goal side by side.
        min_gap: Smallest ``HH − PP`` for which a score is given.
        concurrency: Judge calls in flight.

    Raises:
        ValueError: Fewer than 2 dialogues on a side, or fewer than 3 samples.
    """
    from simulacra.prompts import get_template

    if len(real) < 2 or len(simulated) < 2:
        raise ValueError("the pairwise judge needs at least 2 real and 2 simulated dialogues")
    if samples < 3:
        raise ValueError("the pairwise judge needs at least 3 samples per pair")
    rng = random.Random(f"pairwise:{seed}")  # the A/B orders
    kinds = _pairs(real, simulated, pairs, seed, matched)
    template = get_template(TEMPLATE)
    gate = asyncio.Semaphore(concurrency)
    unparsed = 0

    async def one(x: Sequence[str], y: Sequence[str], swap: bool) -> tuple[float, float] | None:
        nonlocal unparsed
        a, b = (y, x) if swap else (x, y)
        async with gate:
            reply = await ask(template.render(a=_side(a), b=_side(b)))
        verdict = parse_verdict(reply)
        if verdict is None:
            unparsed += 1
            return None
        ca, cb = verdict
        return (float(cb), float(ca)) if swap else (float(ca), float(cb))

    # per pair: the mean over its samples of the calls of (first, second) side
    per_kind: dict[str, list[tuple[float, float]]] = {}
    for kind, items in kinds.items():
        jobs = [one(x, y, rng.random() < 0.5) for x, y in items for _ in range(samples)]
        results = await asyncio.gather(*jobs)
        rows = []
        for p in range(len(items)):
            got = [r for r in results[p * samples : (p + 1) * samples] if r is not None]
            if got:
                rows.append((sum(g[0] for g in got) / len(got), sum(g[1] for g in got) / len(got)))
        per_kind[kind] = rows
    boot = random.Random(f"pairwise-boot:{seed}")
    test, hh_rows, pp_rows = per_kind["test"], per_kind["hh"], per_kind["pp"]
    s = _rate([r[1] for r in test], boot, resamples)
    hh = _rate([(r[0] + r[1]) / 2 for r in hh_rows], boot, resamples)
    pp = _rate([(r[0] + r[1]) / 2 for r in pp_rows], boot, resamples)
    detection = _rate([(r[0] - r[1] + 1) / 2 for r in test], boot, resamples)
    score_value = calibrated_score(s.value, hh.value, pp.value, min_gap=min_gap)
    score: Estimate | None = None
    note = None
    if score_value is None:
        note = (
            f"anchors do not separate: HH {hh.value:.2f} - PP {pp.value:.2f} < {min_gap} "
            "(the judge calls simulated users human as often as real ones even side by side "
            "with each other)"
        )
    else:
        draws = []
        for _ in range(resamples):
            rs = [r[1] for r in boot.choices(test, k=len(test))]
            rh = [(r[0] + r[1]) / 2 for r in boot.choices(hh_rows, k=len(hh_rows))]
            rp = [(r[0] + r[1]) / 2 for r in boot.choices(pp_rows, k=len(pp_rows))]
            v = calibrated_score(
                sum(rs) / len(rs), sum(rh) / len(rh), sum(rp) / len(rp), min_gap=0.0
            )
            if v is not None:
                draws.append(v)
        low, high = _percentiles(draws, 0.95) if draws else (float("nan"), float("nan"))
        score = Estimate(score_value, low, high, 0.95, len(test) + len(hh_rows) + len(pp_rows))
    return PairwiseJudge(
        score=score,
        s=s,
        hh=hh,
        pp=pp,
        detection=detection,
        pairs={k: len(v) for k, v in per_kind.items()},
        samples=samples,
        unparsed=unparsed,
        note=note,
        model=model,
    )


def model_ask(model: object, *, temperature: float = 0.7, seed: int = 0) -> Ask:
    """An :data:`Ask` over a :class:`~simulacra.models.Model`: one user message, the answer
    constrained to the four verdicts (JSON schema), a fresh sampling seed per call."""
    from simulacra.models import ChatMessage, GenerateConfig
    from simulacra.prompts import get_template

    ref = get_template(TEMPLATE).ref
    counter = iter(range(10**9))

    async def ask(prompt: str) -> str:
        config = GenerateConfig(
            temperature=temperature, max_tokens=16, seed=seed + next(counter), json_schema=SCHEMA
        )
        out = await model.generate(  # type: ignore[attr-defined]
            [ChatMessage(role="user", content=prompt)], config=config, templates=(ref,)
        )
        return str(out.text)

    return ask
