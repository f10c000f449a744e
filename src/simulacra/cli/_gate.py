"""``simulacra gate train``: fit a retrieval gate (RAGate-style) from labelled messages."""

from __future__ import annotations

import json
import random
from pathlib import Path

import click

from simulacra.errors import ConfigError
from simulacra.memory import GateExample, multiwoz_gate_examples, train_gate


def _read_labels(path: Path) -> list[GateExample]:
    if not path.is_file():
        raise ConfigError(f"{path}: labelled file not found")
    out: list[GateExample] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            out.append(GateExample(text=str(row["text"]), retrieve=bool(row["retrieve"])))
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f'{path}:{n}: expected {{"text": ..., "retrieve": true|false}}'
            ) from None
    return out


@click.group("gate")
def gate_command() -> None:
    """Retrieval gates for retrieval-augmented users."""


@gate_command.command("train")
@click.option("--labels", type=click.Path(path_type=Path), help='JSONL of {"text", "retrieve"}.')
@click.option(
    "--multiwoz",
    type=click.Path(path_type=Path),
    help="Label MultiWOZ system turns instead (retrieve = the turn requests something).",
)
@click.option("--limit", type=int, help="At most this many MultiWOZ dialogues.")
@click.option("--features", type=click.Choice(["tfidf", "embedding"]), default="tfidf")
@click.option("-o", "--out", type=click.Path(path_type=Path), required=True, help="Gate file.")
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
