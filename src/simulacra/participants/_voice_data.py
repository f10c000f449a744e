"""Labelled turns for the user-voice scorer (:class:`~simulacra.participants.UserVoiceScorer`).

Every turn of a real corpus, read in its original format through the corpus adapters
(:func:`~simulacra.datasets.import_corpus`), is labelled by who said it: the user participant's
turns (:func:`~simulacra.datasets.user_participant`; ``user`` in every imported corpus) are
``user=True``, the other side's (assistant, agent, wizard, bot) ``user=False``. A run directory or
``conversations.jsonl`` file (:func:`~simulacra.datasets.load_source`) is labelled the same way,
so the scorer can be retrained on one's own logs.

Peer corpora (CaSiNo, Topical-Chat) have humans with the same role on both sides: their labels
say only which worker was called ``user``. PersuasionForGood's persuadee is the ``user`` and the
persuader, who has a task to get done, the other side. Which corpora to train on is the
caller's choice; ``benchmarks/user_voice.py`` documents the shipped one.
"""

from __future__ import annotations

import difflib
import random
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation
from simulacra.datasets import ADAPTERS, import_corpus, load_source, user_participant
from simulacra.datasets._generic import load_mapping
from simulacra.errors import ConfigError
from simulacra.participants._voice import VoiceExample

__all__ = ["RUN_KIND", "conversation_voice_examples", "run_voice_examples", "voice_examples"]

RUN_KIND = "run"
"""The source kind of a run directory or ``conversations.jsonl`` file."""


def conversation_voice_examples(
    conversation: Conversation, corpus: str, *, user: str | None = None
) -> Iterator[VoiceExample]:
    """The labelled turns of one conversation.

    Args:
        conversation: The conversation.
        corpus: The corpus label of its examples.
        user: The user participant's id (default: :func:`user_participant`).

    Yields:
        One example per non-empty turn: ``user=True`` for the user participant's turns.

    Raises:
        ConfigError: If it cannot be told which participant is the user.
    """
    who = user_participant(conversation, user)
    for turn in conversation.turns:
        text = turn.utterance.strip()
        if text:
            yield VoiceExample(
                text=text, user=turn.speaker == who, corpus=corpus, conversation=conversation.id
            )


def run_voice_examples(path: str | Path, *, user: str | None = None) -> list[VoiceExample]:
    """The labelled turns of a run directory or a ``conversations.jsonl`` file.

    The user participant's turns are ``user=True`` and everyone else's ``user=False``; the
    corpus label is ``run:<name of the directory or file>``.

    Args:
        path: A run directory (``run.json`` + ``conversations.jsonl``), a folder holding
            ``conversations.jsonl``, or a JSONL file of conversations.
        user: The user participant's id (default: as :func:`user_participant` finds it).

    Returns:
        The labelled turns, in order.

    Raises:
        ConfigError: One line naming the path when it is missing or holds a bad record.
    """
    source = load_source(path)
    label = f"run:{source.path.name}"
    return [
        example
        for conversation in source.conversations
        for example in conversation_voice_examples(conversation, label, user=user)
    ]


def _corpus_examples(
    kind: str, path: Path, mapping: str | Path | Mapping[str, Any] | None
) -> list[VoiceExample]:
    if kind == RUN_KIND:
        return run_voice_examples(path)
    if kind not in ADAPTERS:
        close = difflib.get_close_matches(kind, [*ADAPTERS, RUN_KIND], n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        kinds = ", ".join([*ADAPTERS, RUN_KIND])
        raise ConfigError(f"{path}: unknown corpus kind {kind!r}{hint}; one of {kinds}")
    if not path.exists():
        raise ConfigError(f"{path}: file not found")
    options: dict[str, Any] = {}
    if kind == "generic":
        if mapping is None:
            raise ConfigError(f"{path}: the generic adapter needs a field mapping (--mapping)")

        options["mapping"] = load_mapping(mapping)
    return [
        example
        for conversation in import_corpus(kind, path, **options)
        for example in conversation_voice_examples(conversation, kind)
    ]


def voice_examples(
    sources: Iterable[tuple[str, str | Path]],
    *,
    limit_per_corpus: int | None = None,
    seed: int = 0,
    mapping: str | Path | Mapping[str, Any] | None = None,
) -> list[VoiceExample]:
    """Labelled turns from corpora (original formats) and run directories.

    Sources of the same kind are pooled into one corpus (its label is the kind, or
    ``run:<name>`` for a run); a corpus with more than ``limit_per_corpus`` turns is subsampled
    with a generator seeded by ``seed`` and the corpus label alone, so a corpus gives the same
    sample whichever other sources are read with it.

    Args:
        sources: ``(kind, path)`` pairs: ``kind`` is a corpus adapter of
            :data:`~simulacra.datasets.ADAPTERS` (``multiwoz21``, ``taskmaster``, ``abcd``,
            ``moviebot``, ``persuasionforgood``, ``casino``, ``topical-chat``, ``generic``) or
            ``run`` (a run directory or ``conversations.jsonl``).
        limit_per_corpus: At most this many turns per corpus (``None``: all).
        seed: Seed of the subsampling.
        mapping: The field mapping of ``generic`` sources (a YAML file or a dict).

    Returns:
        The labelled turns, corpus by corpus in the order first named, each corpus in file
        order.

    Raises:
        ConfigError: One line naming the path: unknown kind, missing file, bad input, or a
            source without turns.
    """
    if limit_per_corpus is not None and limit_per_corpus < 1:
        raise ConfigError(f"limit_per_corpus must be at least 1, got {limit_per_corpus}")
    pooled: dict[str, list[VoiceExample]] = {}
    for kind, raw_path in sources:
        path = Path(raw_path)
        found = _corpus_examples(kind, path, mapping)
        if not found:
            raise ConfigError(f"{path}: no turns found (read as {kind})")
        for example in found:
            pooled.setdefault(example.corpus, []).append(example)
    out: list[VoiceExample] = []
    for label, examples in pooled.items():
        if limit_per_corpus is not None and len(examples) > limit_per_corpus:
            rng = random.Random(f"{seed}:{label}")
            keep = sorted(rng.sample(range(len(examples)), limit_per_corpus))
            examples = [examples[i] for i in keep]
        out.extend(examples)
    return out
