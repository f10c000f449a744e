"""Mechanical behaviour knobs: typos and dropping out, applied with a seeded RNG so they take
effect even on models that ignore the instruction, and reproducibly."""

from __future__ import annotations

import random

__all__ = ["add_typos", "knob_rng"]

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
