"""``simulacra gate``: retrieval gates (``gate train``, RAGate-style) and the user-voice scorer
(``gate voice-train``, ``gate voice-score``)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import click

from simulacra._validation import read_jsonl
from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError
from simulacra.memory import GateExample, multiwoz_gate_examples, train_gate


def _read_labels(path: Path) -> list[GateExample]:
    if not path.is_file():
        raise ConfigError(f"{path}: labelled file not found")
    out: list[GateExample] = []
    for n, row in read_jsonl(path, what="labelled file"):
        try:
            out.append(GateExample(text=str(row["text"]), retrieve=bool(row["retrieve"])))
        except KeyError:
            raise ConfigError(
                f'{path}:{n}: expected {{"text": ..., "retrieve": true|false}}'
            ) from None
    return out


@click.group("gate")
def gate_command() -> None:
    """Retrieval gates for retrieval-augmented users, and the user-voice scorer."""


@gate_command.command("train")
@click.option("--labels", type=click.Path(path_type=Path), help='JSONL of {"text", "retrieve"}.')
@click.option(
    "--multiwoz",
    type=click.Path(path_type=Path),
    help="Label MultiWOZ system turns instead (retrieve = the turn requests something).",
)
@click.option("--limit", type=int, help="At most this many MultiWOZ dialogues.")
@click.option("--features", type=click.Choice(["tfidf", "embedding"]), default="tfidf")
@click.option("-o", "--out", type=OutputPath(), required=True, help="Gate file.")
def gate_train(
    labels: Path | None, multiwoz: Path | None, limit: int | None, features: str, out: Path
) -> None:
    """Fit logistic regression on labelled messages; print held-out accuracy (20%)."""
    if (labels is None) == (multiwoz is None):
        raise ConfigError("gate train: give exactly one of --labels or --multiwoz")
    examples = (
        _read_labels(labels) if labels else multiwoz_gate_examples(multiwoz or "", limit=limit)
    )
    rng = random.Random(0)
    rng.shuffle(examples)
    cut = max(1, len(examples) // 5)
    held, train = examples[:cut], examples[cut:]
    gate = train_gate(train, features="embedding" if features == "embedding" else "tfidf")
    acc = sum(gate.decide(e.text) == e.retrieve for e in held) / len(held)
    majority = max(sum(e.retrieve for e in held), sum(not e.retrieve for e in held)) / len(held)
    final = train_gate(examples, features=gate.features)
    final.save(out)
    click.echo(
        f"{len(examples)} examples; held-out accuracy {acc:.3f} (majority {majority:.3f}); "
        f"wrote {out}"
    )


def _voice_sources(corpora: tuple[str, ...], runs: tuple[Path, ...]) -> list[tuple[str, Path]]:
    sources: list[tuple[str, Path]] = []
    for spec in corpora:
        kind, sep, path = spec.partition(":")
        if not sep or not kind or not path:
            raise ConfigError(
                f"--corpus {spec!r}: expected KIND:PATH (e.g. multiwoz21:val.json.zip)"
            )
        sources.append((kind, Path(path)))
    sources.extend(("run", run) for run in runs)
    if not sources:
        raise ConfigError("gate voice-train: give at least one --corpus KIND:PATH or --run DIR")
    return sources


@gate_command.command("voice-train")
@click.option(
    "--corpus",
    "corpora",
    multiple=True,
    metavar="KIND:PATH",
    help="A real corpus in its original format (kinds as 'simulacra data import'); repeatable.",
)
@click.option(
    "--run",
    "runs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A run directory or conversations.jsonl: user turns vs the others'; repeatable.",
)
@click.option("--mapping", type=click.Path(path_type=Path), help="Mapping of generic corpora.")
@click.option("--limit", type=int, help="At most this many turns per corpus (seeded sample).")
@click.option("--seed", type=int, default=0, show_default=True, help="Sampling and split seed.")
@click.option("--c", "c", type=float, default=1.0, show_default=True, help="Inverse L2 strength.")
@click.option("-o", "--out", type=OutputPath(), required=True, help="Scorer file.")
def gate_voice_train(
    corpora: tuple[str, ...],
    runs: tuple[Path, ...],
    mapping: Path | None,
    limit: int | None,
    seed: int,
    c: float,
    out: Path,
) -> None:
    """Fit a user-voice scorer (user turns vs assistant/agent turns); print held-out accuracy.

    The held-out accuracy is measured on a seeded 20% of the conversations (of the turns, with
    fewer than 5 conversations) by a scorer fit on the other 80%; the file written is then fit
    on everything. Load it with UserVoiceScorer.load(OUT).
    """
    from simulacra.participants import train_user_voice
    from simulacra.participants._voice_data import voice_examples

    sources = _voice_sources(corpora, runs)
    examples = voice_examples(sources, limit_per_corpus=limit, seed=seed, mapping=mapping)
    groups = sorted({e.conversation or "" for e in examples})
    by_conversation = len(groups) >= 5 and "" not in groups
    rng = random.Random(seed)
    if by_conversation:
        rng.shuffle(groups)
        held_groups = set(groups[: max(1, len(groups) // 5)])
        held = [e for e in examples if e.conversation in held_groups]
        train = [e for e in examples if e.conversation not in held_groups]
    else:
        order = list(range(len(examples)))
        rng.shuffle(order)
        cut = max(1, len(order) // 5)
        held = [examples[i] for i in sorted(order[:cut])]
        train = [examples[i] for i in sorted(order[cut:])]
    scorer = train_user_voice(train, C=c)
    hits = [scorer.is_user(e.text) == e.user for e in held]
    accuracy = sum(hits) / len(held)
    majority_label = sum(e.user for e in train) * 2 >= len(train)
    majority = sum(e.user == majority_label for e in held) / len(held)
    per_corpus: dict[str, float] = {}
    for name in dict.fromkeys(e.corpus for e in held):
        mine = [h for h, e in zip(hits, held, strict=True) if e.corpus == name]
        per_corpus[name] = round(sum(mine) / len(mine), 4)
    final = train_user_voice(examples, C=c)
    unit = "conversation" if by_conversation else "turn"
    final.card.update(
        {
            "name": "user-voice scorer (simulacra gate voice-train)",
            "sources": [f"{kind}:{path}" for kind, path in sources],
            "sampling": f"at most {limit} turns per corpus, seed {seed}" if limit else "all",
            "held_out": {
                "split": f"seeded ({seed}) 80/20 by {unit}",
                "n": len(held),
                "accuracy": round(accuracy, 4),
                "majority_accuracy": round(majority, 4),
                "per_corpus": per_corpus,
            },
        }
    )
    final.save(out)
    user = sum(e.user for e in examples)
    click.echo(
        f"{len(examples)} turns ({user} user, {len(examples) - user} other) from "
        f"{len(sources)} source(s); held-out accuracy {accuracy:.3f} on {len(held)} turns "
        f"(majority {majority:.3f}); wrote {out}"
    )
    if len(per_corpus) > 1:
        for name, value in per_corpus.items():
            click.echo(f"  {name}: held-out accuracy {value:.3f}")


@gate_command.command("voice-score")
@click.option(
    "--model",
    type=click.Path(path_type=Path),
    help="A scorer file from 'gate voice-train' (default: the shipped scorer).",
)
@click.argument("texts", nargs=-1)
def gate_voice_score(model: Path | None, texts: tuple[str, ...]) -> None:
    """Print P(user) for each TEXT (or each line of stdin): score, verdict, text."""
    from simulacra.participants import UserVoiceScorer

    scorer = UserVoiceScorer.load(model) if model else UserVoiceScorer.default()
    lines = list(texts) or [line for line in sys.stdin if line.strip()]
    for text in lines:
        text = text.rstrip("\n")
        value = scorer.score(text)
        verdict = "user" if value >= scorer.threshold else "assistant"
        click.echo(f"{value:.3f}\t{verdict}\t{text}")
