"""Preference pairs for DPO from judged rollouts (survey §5.4, Appendix F).

A pair is two continuations of the *same* history, from the simulated user's side (roles
flipped as in :mod:`simulacra.datasets._export`), one scored higher than the other by at least a
margin. Rows are TRL's conversational preference format::

    {"prompt": [{"role": "system", ...}, ...history],
     "chosen": [{"role": "assistant", "content": ...}],
     "rejected": [{"role": "assistant", "content": ...}],
     "meta": {...}}

Two levels:

- **turn**: user turns whose whole prompt (system message + history) is identical — e.g. the
  first turn of several rollouts of one scenario, or candidates sampled for one history — scored
  by turn-level verdicts (``simulacra eval RUN --side user --judge ...`` writes them to
  ``judgments.jsonl``);
- **segment** (SDPO-style, Kong et al., 2025): two conversations of one scenario share a prefix
  and first differ at a user turn; the pair is the first differing segment (that user turn and
  the following turns, up to ``segment_turns`` user turns), scored by the two conversations'
  dialogue-level verdicts. A segment holds the other side's replies too; with
  ``segment_turns=1`` it is the differing user turn alone.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any, Literal

from simulacra._validation import read_jsonl
from simulacra.conversation import Conversation
from simulacra.datasets._export import (
    FORMAT_VERSION,
    ChatBlock,
    Message,
    conversation_prompt,
    example_meta,
)
from simulacra.datasets._source import user_participant
from simulacra.errors import ConfigError

__all__ = [
    "Candidate",
    "Scores",
    "preference_pairs",
    "read_judgments",
    "segment_pairs",
    "turn_pairs",
]

Pairing = Literal["best_worst", "all"]


@dataclass(frozen=True)
class Candidate:
    """One scored continuation of a prompt.

    Attributes:
        prompt: The messages before it (system message first).
        completion: The continuation (``assistant`` messages, possibly with ``user`` replies).
        score: Higher is better.
        id: Where it comes from (``conversation:turn``).
        meta: Row metadata of its conversation (:func:`example_meta`).
    """

    prompt: list[Message]
    completion: list[Message]
    score: float
    id: str
    meta: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Scores:
    """Scores read from verdicts: per user turn and per conversation.

    Attributes:
        turns: ``(conversation_id, turn_index) -> score``.
        dialogues: ``conversation_id -> score``.
        judge: The judge whose verdicts these are.
        rubric: Its rubric ref.
    """

    turns: dict[tuple[str, int], float] = field(default_factory=dict)
    dialogues: dict[str, float] = field(default_factory=dict)
    judge: str | None = None
    rubric: str | None = None

    def update(self, other: Scores) -> None:
        self.turns.update(other.turns)
        self.dialogues.update(other.dialogues)
        self.judge = self.judge or other.judge
        self.rubric = self.rubric or other.rubric


def read_judgments(
    path: Path,
    *,
    judge: str | None = None,
    rubric: str | None = None,
    dimension: str | None = None,
) -> Scores:
    """Read the verdicts of one judge and rubric from a ``judgments.jsonl``.

    A verdict's score is its ``dimension`` or, by default, the mean of its dimensions; verdicts
    without scores (judge errors) are left out.

    Raises:
        ConfigError: A bad line, several judges/rubrics and none chosen, or no verdict left.
    """
    rows: list[dict[str, Any]] = []

    def not_a_verdict(number: int, message: str) -> None:
        raise ConfigError(f"{path}:{number}: not a verdict ({message.split(': ', 1)[-1]})")

    for number, row in read_jsonl(path, what="judgments file", on_invalid=not_a_verdict):
        if not isinstance(row.get("scores", {}), dict):
            not_a_verdict(number, "scores is not an object")
        rows.append(row)
    kinds = sorted({(str(r.get("judge")), str(r.get("rubric"))) for r in rows})
    chosen = [
        r
        for r in rows
        if (judge is None or r.get("judge") == judge)
        and (rubric is None or r.get("rubric") == rubric)
    ]
    picked = sorted({(str(r.get("judge")), str(r.get("rubric"))) for r in chosen})
    if len(picked) > 1:
        options = ", ".join(f"{j} / {r}" for j, r in kinds)
        raise ConfigError(f"{path}: verdicts of several judges/rubrics ({options}); pick one")
    scores = Scores(judge=picked[0][0] if picked else None, rubric=picked[0][1] if picked else None)
    for number, r in enumerate(chosen, start=1):
        values: dict[str, float] = r.get("scores") or {}
        if not values or r.get("error"):
            continue
        if dimension is not None and dimension not in values:
            raise ConfigError(
                f"{path}: verdict {number}: no dimension {dimension!r} "
                f"(has: {', '.join(sorted(values))})"
            )
        score = float(values[dimension]) if dimension else statistics.fmean(values.values())
        cid = str(r.get("conversation_id"))
        if r.get("turn_index") is None:
            scores.dialogues[cid] = score
        else:
            scores.turns[(cid, int(r["turn_index"]))] = score
    if not scores.turns and not scores.dialogues:
        raise ConfigError(
            f"{path}: no scored verdict" + (f" of {judge}/{rubric}" if judge or rubric else "")
        )
    return scores


def preference_pairs(
    candidates: Iterable[Candidate], *, margin: float, pairing: Pairing = "best_worst"
) -> Iterator[dict[str, Any]]:
    """Pairs of candidates with an identical prompt whose scores differ by ``>= margin``.

    ``best_worst`` keeps one pair per prompt (its best and worst candidate); ``all`` keeps every
    pair over the margin. Ties never make a pair.
    """
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for c in candidates:
        groups[json.dumps(c.prompt, sort_keys=True)].append(c)
    for group in groups.values():
        if len(group) < 2:
            continue
        ranked = sorted(group, key=lambda c: -c.score)
        pairs = (
            [(ranked[0], ranked[-1])]
            if pairing == "best_worst"
            else [(a, b) for a, b in combinations(ranked, 2)]
        )
        for a, b in pairs:
            if a.score - b.score >= margin and a.score > b.score:
                yield _row(a, b, level="turn")


def _row(chosen: Candidate, rejected: Candidate, *, level: str) -> dict[str, Any]:
    meta = {k: v for k, v in chosen.meta.items() if k not in ("conversation_id", "turn_index")}
    meta.update(
        format=f"simulacra-dpo@{FORMAT_VERSION}",
        level=level,
        chosen_id=chosen.id,
        rejected_id=rejected.id,
        score_chosen=chosen.score,
        score_rejected=rejected.score,
        margin=chosen.score - rejected.score,
    )
    return {
        "prompt": chosen.prompt,
        "chosen": chosen.completion,
        "rejected": rejected.completion,
        "meta": meta,
    }


def _turn_score(scores: Scores, cid: str, block: ChatBlock) -> float | None:
    found = [
        scores.turns[(cid, i)]
        for i in range(block.first, block.last + 1)
        if (cid, i) in scores.turns
    ]
    return statistics.fmean(found) if found else None


def turn_pairs(
    conversations: Iterable[Conversation],
    scores: Scores,
    *,
    margin: float,
    pairing: Pairing = "best_worst",
    user: str | None = None,
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Turn-level pairs: scored user turns that continue an identical prompt."""
    candidates: list[Candidate] = []
    for c in conversations:
        uid = user_participant(c, user)
        head, blocks, refs = conversation_prompt(c, uid, scenarios=scenarios)
        for i, b in enumerate(blocks):
            score = _turn_score(scores, c.id, b) if b.role == "assistant" else None
            if score is None:
                continue
            meta = example_meta(c, uid, manifest=manifest, templates=refs, turn_index=b.first)
            prompt = head + [x.message() for x in blocks[:i]]
            candidates.append(Candidate(prompt, [b.message()], score, f"{c.id}:{b.first}", meta))
    return [
        _with_judge(r, scores) for r in preference_pairs(candidates, margin=margin, pairing=pairing)
    ]


def _dialogue_score(scores: Scores, c: Conversation, uid: str) -> float | None:
    if c.id in scores.dialogues:
        return scores.dialogues[c.id]
    found = [
        scores.turns[(c.id, i)]
        for i, t in enumerate(c.turns)
        if t.speaker == uid and (c.id, i) in scores.turns
    ]
    return statistics.fmean(found) if found else None


def _segment(blocks: Sequence[ChatBlock], start: int, user_turns: int) -> list[Message]:
    out: list[Message] = []
    seen = 0
    for b in blocks[start:]:
        if b.role == "assistant":
            if seen == user_turns:
                break
            seen += 1
        out.append(b.message())
    while out and out[-1]["role"] != "assistant":
        out.pop()  # a segment ends on the user's own turn
    return out


def segment_pairs(
    conversations: Iterable[Conversation],
    scores: Scores,
    *,
    margin: float,
    segment_turns: int = 1,
    user: str | None = None,
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Segment-level pairs (SDPO-style) between conversations of one scenario that share a
    prefix and first differ at a user turn, scored per conversation (see the module docstring).
    """
    if segment_turns < 1:
        raise ConfigError(f"segment_turns: must be at least 1, got {segment_turns}")
    prepared: dict[
        str, list[tuple[Conversation, float, list[Message], list[ChatBlock], dict[str, Any]]]
    ]
    prepared = defaultdict(list)
    for c in conversations:
        uid = user_participant(c, user)
        score = _dialogue_score(scores, c, uid)
        if score is None:
            continue
        head, blocks, refs = conversation_prompt(c, uid, scenarios=scenarios)
        meta = example_meta(c, uid, manifest=manifest, templates=refs, turn_index=None)
        key = json.dumps([c.scenario_id, head], sort_keys=True)
        prepared[key].append((c, score, head, blocks, meta))
    rows: list[dict[str, Any]] = []
    for group in prepared.values():
        for a, b in combinations(group, 2):
            hi, lo = (a, b) if a[1] >= b[1] else (b, a)
            if hi[1] - lo[1] < margin or hi[1] == lo[1]:
                continue
            k = 0
            while k < min(len(hi[3]), len(lo[3])) and hi[3][k].message() == lo[3][k].message():
                k += 1
            if k >= len(hi[3]) or k >= len(lo[3]):
                continue  # one is a prefix of the other: no differing segment
            if hi[3][k].role != "assistant" or lo[3][k].role != "assistant":
                continue  # they first differ on the other side: not the user's doing
            prompt = hi[2] + [x.message() for x in hi[3][:k]]
            chosen = Candidate(
                prompt,
                _segment(hi[3], k, segment_turns),
                hi[1],
                f"{hi[0].id}:{hi[3][k].first}",
                hi[4],
            )
            rejected = Candidate(
                prompt,
                _segment(lo[3], k, segment_turns),
                lo[1],
                f"{lo[0].id}:{lo[3][k].first}",
                lo[4],
            )
            rows.append(_with_judge(_row(chosen, rejected, level="segment"), scores))
    return rows


def _with_judge(row: dict[str, Any], scores: Scores) -> dict[str, Any]:
    row["meta"]["judge"] = scores.judge
    row["meta"]["rubric"] = scores.rubric
    return row
