"""Paraphrased user goals: template rules (seeded, meaning-preserving) or a model's rewrite
guarded against lost facts."""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from importlib import resources

import yaml

from simulacra.models import ChatMessage, GenerateConfig, Model

__all__ = ["PARAPHRASE_PROMPT", "llm_paraphrase", "paraphrase_rules", "template_paraphrase"]

PARAPHRASE_PROMPT = (
    "Rewrite the text below in different words, as another person would say it. Keep every "
    "fact exactly: names, numbers, days, places, prices and every requirement. Do not add "
    "anything. Answer with the rewritten text only.\n\nText: {text}"
)
"""The instruction of the model paraphrase (recorded with the shift as ``paraphrase/llm@1``)."""


@functools.cache
def paraphrase_rules() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The packaged rules: ``(pattern, alternatives)`` pairs, in priority order."""
    text = resources.files("simulacra.robustness").joinpath("data/paraphrase_rules.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    return tuple((str(p), tuple(str(a) for a in alts)) for p, alts in data["rules"])


@functools.cache
def _combined() -> re.Pattern[str]:
    parts = [f"(?P<r{i}>{pattern})" for i, (pattern, _) in enumerate(paraphrase_rules())]
    return re.compile("|".join(parts))


def template_paraphrase(text: str, *, seed: str | int) -> str:
    """Rewrite ``text`` with the packaged rules in one pass (a replacement is never rewritten
    again); each match takes an alternative drawn from ``random.Random(seed)``."""
    rng = random.Random(str(seed))
    rules = paraphrase_rules()

    def replace(match: re.Match[str]) -> str:
        index = int(next(k for k, v in match.groupdict().items() if v is not None)[1:])
        return rng.choice(rules[index][1])

    return _combined().sub(replace, text)


_NUMBER = re.compile(r"\d+(?:[.:]\d+)?")


def kept_facts(original: str, rewritten: str, values: Sequence[str] = ()) -> list[str]:
    """What a rewrite lost: numbers of the original, and ``values`` (slot values of a
    structured goal) that the original contains, missing from the rewrite (case-insensitive)."""
    low = rewritten.lower()
    lost = [n for n in _NUMBER.findall(original) if n not in rewritten]
    lost += [v for v in values if v.lower() in original.lower() and v.lower() not in low]
    return list(dict.fromkeys(lost))


async def llm_paraphrase(
    model: Model, text: str, *, values: Sequence[str] = (), seed: int = 0
) -> tuple[str, list[str]]:
    """A model's paraphrase of ``text`` and the facts it lost (empty when it kept them all).

    The caller decides what to do with a lossy rewrite (the robustness shift falls back to the
    template paraphrase and records it).
    """
    output = await model.generate(
        [ChatMessage(role="user", content=PARAPHRASE_PROMPT.format(text=text))],
        config=GenerateConfig(seed=seed, temperature=0.7),
        templates=["paraphrase/llm@1"],
    )
    rewritten = output.text.strip().strip('"').strip()
    return rewritten, kept_facts(text, rewritten, values)
