"""Corpus statistics and the dataset card (survey §7 and its ethics section: disclose what is
synthetic, keep the licence of what is real).

:func:`corpus_stats` describes a set of conversations: counts, turns per dialogue and turn
lengths of each side with 95% bootstrap intervals, resampling *dialogues* (turns of one dialogue
are not independent), speakers and provenance. :func:`dataset_card` renders a ``README.md`` with
a Hugging Face YAML header: real or synthetic, sources, licences, citations, and for synthetic
data the run's models (with their sha256), prompt template versions, seeds and versions.
"""

from __future__ import annotations

import random
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from simulacra.conversation import Conversation
from simulacra.datasets._source import (
    ConversationSource,
    conversation_provenance,
    manifest_summary,
    user_participant,
)
from simulacra.errors import ConfigError

__all__ = ["corpus_stats", "dataset_card"]

_HF_LICENCES = {
    "MIT": "mit",
    "Apache-2.0": "apache-2.0",
    "CC BY 4.0": "cc-by-4.0",
    "CDLA-Sharing-1.0": "cdla-sharing-1.0",
}


def _ratio_ci(
    sums: Sequence[float], counts: Sequence[int], *, resamples: int = 1000, seed: int = 0
) -> dict[str, float]:
    """``sum(sums) / sum(counts)`` with a percentile interval from resampling dialogues."""
    total = sum(counts)
    if total == 0:
        return {"value": float("nan"), "low": float("nan"), "high": float("nan"), "n": 0}
    rng = random.Random(seed)
    n = len(sums)
    stats = []
    for _ in range(resamples):
        idx = rng.choices(range(n), k=n)
        c = sum(counts[i] for i in idx)
        if c:
            stats.append(sum(sums[i] for i in idx) / c)
    stats.sort()
    return {
        "value": round(sum(sums) / total, 3),
        "low": round(stats[int(0.025 * (len(stats) - 1))], 3),
        "high": round(stats[int(0.975 * (len(stats) - 1))], 3),
        "n": total,
    }


def corpus_stats(
    conversations: Sequence[Conversation],
    *,
    user: str | None = None,
    manifest: Mapping[str, Any] | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Counts, per-side turn lengths (words) with 95% CIs, speakers and provenance.

    Raises:
        ConfigError: If there is no conversation.
    """
    if not conversations:
        raise ConfigError("no conversations to describe (the selection is empty)")
    per: dict[str, tuple[list[float], list[int]]] = {"user": ([], []), "system": ([], [])}
    turns: list[float] = []
    speakers: Counter[str] = Counter()
    provenance: Counter[tuple[str, str, bool]] = Counter()
    termination: Counter[str] = Counter()
    user_words: list[int] = []
    for c in conversations:
        uid = user_participant(c, user)
        user_words += [len(t.utterance.split()) for t in c.turns if t.speaker == uid]
        kinds = {p.id: f"{p.name} ({p.kind})" for p in c.participants}
        words = {"user": 0, "system": 0}
        count = {"user": 0, "system": 0}
        for t in c.turns:
            side = "user" if t.speaker == uid else "system"
            words[side] += len(t.utterance.split())
            count[side] += 1
            speakers[f"{side}: {kinds.get(t.speaker, t.speaker)}"] += 1
        for side in ("user", "system"):
            per[side][0].append(words[side])
            per[side][1].append(count[side])
        turns.append(len(c.turns))
        p = conversation_provenance(c, manifest)
        provenance[(p.source, str(p.licence), p.real)] += 1
        termination[str(c.termination)] += 1
    return {
        "dialogues": len(conversations),
        "turns": int(sum(turns)),
        "user_turns": sum(per["user"][1]),
        "system_turns": sum(per["system"][1]),
        "turns_per_dialogue": _ratio_ci(turns, [1] * len(turns), seed=seed),
        "user_turn_words": _ratio_ci(per["user"][0], per["user"][1], seed=seed),
        "system_turn_words": _ratio_ci(per["system"][0], per["system"][1], seed=seed),
        "median_user_turn_words": statistics.median(user_words or [0]),
        "speakers": dict(speakers.most_common()),
        "termination": dict(sorted(termination.items())),
        "provenance": [
            {"source": s, "licence": None if lic == "None" else lic, "real": real, "dialogues": n}
            for (s, lic, real), n in provenance.most_common()
        ],
    }


def _size_category(n: int) -> str:
    for bound, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K")):
        if n < bound:
            return name
    return "100K<n<1M"


def dataset_card(
    sources: Sequence[ConversationSource],
    *,
    title: str,
    export: Mapping[str, Any] | None = None,
    user: str | None = None,
) -> str:
    """A ``README.md`` dataset card with a Hugging Face YAML header.

    Args:
        sources: The runs / imported corpora the data comes from.
        title: The card's title (``pretty_name``).
        export: What was exported: ``{"format": ..., "rows": n, "path": ...}``.
        user: The user's participant id, if not the default convention.
    """
    conversations = [c for s in sources for c in s.conversations]
    stats = [corpus_stats(s.conversations, user=user, manifest=s.manifest) for s in sources]
    rows = [row for st in stats for row in st["provenance"]]
    real = [r for r in rows if r["real"]]
    synthetic = [r for r in rows if not r["real"]]
    licences = sorted({str(r["licence"]) for r in real})
    hf = {
        next((v for k, v in _HF_LICENCES.items() if lic.startswith(k)), "other") for lic in licences
    }
    if synthetic:
        hf.add("unknown")
    header: dict[str, Any] = {
        "pretty_name": title,
        "license": hf.pop() if len(hf) == 1 else "other",
        "language": ["en"],
        "tags": ["simulacra", "user-simulation", "dialogue"]
        + (["synthetic"] if synthetic else [])
        + (["real-conversations"] if real else []),
        "size_categories": [_size_category(len(conversations))],
        "task_categories": ["text-generation"],
    }
    if len(licences) > 1 or synthetic:
        header["license_details"] = "; ".join(
            [f"{r['source']}: {r['licence']}" for r in real]
            + [f"{r['source']}: synthetic, licence chosen by the run owner" for r in synthetic]
        )
    out = ["---", yaml.safe_dump(header, sort_keys=False).strip(), "---", "", f"# {title}", ""]
    n_real = sum(r["dialogues"] for r in real)
    n_syn = sum(r["dialogues"] for r in synthetic)
    out += [
        f"{len(conversations)} conversations: **{n_real} real** (between people, from published "
        f"corpora) and **{n_syn} synthetic** (generated by Simulacra: the user's turns were "
        "written by a language model, not a person).",
        "",
    ]
    if synthetic:
        out += [
            "> **Synthetic data.** The simulated users' turns in this dataset were generated by "
            "a language model prompted with a profile and a goal. They are not the words of real "
            "people and must not be presented as such.",
            "",
        ]
    out += [
        "## Sources and licences",
        "",
        "| source | real | licence | conversations |",
        "|---|---|---|---|",
    ]
    for r in rows:
        lic = r["licence"] or "synthetic (chosen by the run owner)"
        out.append(f"| {r['source']} | {'yes' if r['real'] else 'no'} | {lic} | {r['dialogues']} |")
    citations = sorted({conversation_provenance(c).citation or "" for c in conversations} - {""})
    if citations:
        out += ["", "Cite the corpora used:", ""] + [f"- {c}" for c in citations]
    if real:
        out += [
            "",
            "Real corpora keep their licences: anything derived from them carries the attribution "
            "above."
            + (
                " CDLA-Sharing-1.0 data (Topical-Chat) must be shared under the same licence."
                if any("CDLA-Sharing" in lic for lic in licences)
                else ""
            ),
        ]
    for s in sources:
        summary = manifest_summary(s.manifest)
        if (
            not summary
            or "run" not in summary
            or s.manifest is None
            or s.manifest.get("kind") == "import"
        ):
            continue
        out += ["", f"## Generation: run `{summary['run']}`", ""]
        out += [f"- seed: {summary['seed']}", f"- config sha256: {summary['config_sha256']}"]
        for role, name in summary["models"].items():
            sha = summary["model_sha256"].get(role)
            out.append(f"- model `{role}`: {name}" + (f" (sha256 {sha})" if sha else ""))
        out.append(f"- prompt templates: {', '.join(summary['templates']) or 'none recorded'}")
        versions = ", ".join(f"{k} {v}" for k, v in summary["versions"].items())
        out.append(f"- software: {versions or 'not recorded'}")
    if export:
        out += ["", "## This export", ""]
        out += [f"- {k}: {v}" for k, v in export.items()]
        out += [
            "- perspective: the simulated user's — the user's turns are `assistant` messages "
            "(the training targets); the other side's are `user` messages; the first message "
            "is a `system` message with the user's profile, goal and instructions "
            "(see Simulacra's docs/datasets.md).",
        ]
    out += [
        "",
        "## Statistics",
        "",
        "| source | dialogues | turns | user words/turn [95% CI] | system words/turn [95% CI] |",
        "|---|---|---|---|---|",
    ]
    for s, st in zip(sources, stats, strict=True):
        u, y = st["user_turn_words"], st["system_turn_words"]
        out.append(
            f"| {s.path.name} | {st['dialogues']} | {st['turns']} | "
            f"{u['value']:.2f} [{u['low']:.2f}, {u['high']:.2f}] | "
            f"{y['value']:.2f} [{y['low']:.2f}, {y['high']:.2f}] |"
        )
    out += ["", "Intervals: percentile bootstrap over dialogues (1,000 resamples, seed 0).", ""]
    return "\n".join(out)
