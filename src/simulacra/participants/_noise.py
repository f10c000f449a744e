"""Mechanical behaviour knobs: typos and dropping out, applied with a seeded RNG so they take
effect even on models that ignore the instruction, and reproducibly."""

from __future__ import annotations

import random
import re

from simulacra.profiles._persona import terse_word_budget

__all__ = ["add_typos", "knob_rng", "shorten", "word_budget"]

_NEIGHBOURS = "qwertyuiopasdfghjklzxcvbnm"


def knob_rng(seed: int | None, conversation_id: str, turn_index: int) -> random.Random:
    """A RNG for one turn: the same seed, conversation and turn give the same draws."""
    return random.Random(f"{seed}:{conversation_id}:{turn_index}")


def add_typos(text: str, rate: float, rng: random.Random) -> str:
    """Corrupt about ``rate`` of the words (length >= 3) with a swap, drop, double or slip."""
    words = text.split(" ")
    for i, word in enumerate(words):
        if len(word) < 3 or not word.isalpha() or rng.random() >= rate:
            continue
        j = rng.randrange(1, len(word) - 1)
        kind = rng.randrange(4)
        if kind == 0:
            word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
        elif kind == 1:
            word = word[:j] + word[j + 1 :]
        elif kind == 2:
            word = word[:j] + word[j] + word[j:]
        else:
            word = word[:j] + rng.choice(_NEIGHBOURS) + word[j + 1 :]
        words[i] = word
    return " ".join(words)


def word_budget(verbosity: float | None) -> int | None:
    """The most words a terse user writes (``verbosity`` below 1/3), or ``None``: no limit."""
    if verbosity is None or verbosity >= 0.34:
        return None
    return terse_word_budget(verbosity)


def shorten(text: str, max_words: int) -> str:
    """Keep a message within ``max_words``: its first sentence if that fits, else its first
    ``max_words`` words. Small models ignore "write very short messages"; this makes the
    verbosity knob take effect at the low end, as typos and dropout do."""
    if len(text.split()) <= max_words:
        return text
    first = re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]
    if len(first.split()) <= max_words:
        return first
    return " ".join(first.split()[:max_words]).rstrip(",;:")
