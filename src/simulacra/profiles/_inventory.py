"""Public-domain Big Five inventories (package data), answer parsing and scoring.

Pure data and functions: nothing here calls a model. Administering an inventory to a simulated
persona lives in :mod:`simulacra.evaluation._psychometric`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulacra._validation import summarise
from simulacra.errors import ConfigError

__all__ = [
    "INVENTORIES",
    "TRAITS",
    "Inventory",
    "InventoryItem",
    "load_inventory",
    "parse_answer",
    "score_answers",
]

Trait = Literal["openness", "conscientiousness", "extraversion", "agreeableness", "neuroticism"]

TRAITS: tuple[Trait, ...] = (
    "openness",
    "conscientiousness",
    "extraversion",
    "agreeableness",
    "neuroticism",
)
"""The Big Five traits, in the order of :class:`~simulacra.profiles.BigFive`."""

INVENTORIES: dict[str, str] = {"mini-ipip": "mini_ipip.yaml", "ipip-50": "ipip_50.yaml"}
"""Shipped inventories: name → package data file."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InventoryItem(_Strict):
    """One questionnaire item.

    Attributes:
        id: Stable id within the inventory (``e1``, ``n3``...).
        text: The statement, IPIP style ("Am the life of the party.").
        trait: The Big Five trait it measures.
        key: ``+`` if agreeing means more of the trait, ``-`` if it is reverse-keyed.
    """

    id: str
    text: str
    trait: Trait
    key: Literal["+", "-"]


class Scale(_Strict):
    """The answer scale (inclusive)."""

    min: int = 1
    max: int = 5


class Inventory(_Strict):
    """A Big Five inventory: items with their trait and keying, and where they come from.

    Attributes:
        id: Short name (``mini-ipip``).
        version: Version of this file (recorded with every report).
        name: Human-readable name.
        source: Citation and licence of the items.
        notes: How the items map onto :data:`TRAITS`.
        scale: The Likert scale of the answers.
        items: The items, in the order they are administered.
    """

    id: str
    version: int
    name: str
    source: str
    notes: str = ""
    scale: Scale = Field(default_factory=Scale)
    items: list[InventoryItem]

    @model_validator(mode="after")
    def _unique_ids(self) -> Inventory:
        ids = [item.id for item in self.items]
        if len(set(ids)) != len(ids):
            raise ValueError("item ids must be unique")
        return self

    @property
    def ref(self) -> str:
        """``id@version``, recorded with every report."""
        return f"{self.id}@{self.version}"

    def traits(self) -> list[Trait]:
        """The traits this inventory measures, in :data:`TRAITS` order."""
        present = {item.trait for item in self.items}
        return [t for t in TRAITS if t in present]


@cache
def _load_shipped(name: str) -> Inventory:
    text = resources.files("simulacra.profiles").joinpath("data", INVENTORIES[name]).read_text()
    return Inventory.model_validate(yaml.safe_load(text))


def load_inventory(name: str) -> Inventory:
    """A shipped inventory by name (:data:`INVENTORIES`), or an inventory YAML file by path.

    Raises:
        ConfigError: Unknown name, missing file, or a file that is not a valid inventory.
    """
    if name in INVENTORIES:
        return _load_shipped(name)
    from pathlib import Path

    path = Path(name)
    if not path.suffix:
        raise ConfigError(f"unknown inventory {name!r} (known: {', '.join(INVENTORIES)})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError:
        raise ConfigError(f"{path}: malformed YAML") from None
    try:
        return Inventory.model_validate(data or {})
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc)}") from None


# Verbal anchors, most specific (and negated) first; the value is on the 1-5 scale.
_ANCHORS: list[tuple[re.Pattern[str], int]] = [
    (re.compile(p, re.IGNORECASE), v)
    for p, v in [
        (r"\bvery\s+inaccurate\b", 1),
        (r"\bnot\s+at\s+all\b", 1),
        (r"\bstrongly\s+disagree\b", 1),
        (r"\bnot\s+(?:very\s+|really\s+)?accurate\b", 2),
        (r"\b(?:moderately|somewhat|slightly|mostly|fairly|rather)\s+inaccurate\b", 2),
        (r"\bneither\b", 3),
        (r"\bneutral\b", 3),
        (r"\bvery\s+accurate\b", 5),
        (r"\bstrongly\s+agree\b", 5),
        (r"\b(?:moderately|somewhat|slightly|mostly|fairly|rather)\s+accurate\b", 4),
        (r"\binaccurate\b", 2),
        (r"\bdisagree\b", 2),
        (r"\baccurate\b", 4),
        (r"\bagree\b", 4),
    ]
]
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5}
# "from 1 (very inaccurate) to 5 (very accurate)", "1-5", "1 to 5": the scale, not an answer.
_SCALE_MENTION = re.compile(
    r"\b1\s*(?:\([^)]*\)\s*)?(?:to|-|–|through)\s*5\b(?:\s*\([^)]*\))?", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?![\d])")


def parse_answer(text: str, *, low: int = 1, high: int = 5) -> int | None:
    """The Likert value in a free-text answer, or ``None`` when there is none.

    Rules, in order: the first number in ``[low, high]`` (a mention of the scale itself such as
    "1 to 5" is ignored; a decimal is rounded half up; "4/5" reads as 4); else a verbal anchor
    ("very accurate" → 5, "moderately inaccurate" → 2, "neither" → 3, "agree" → 4...; the
    anchors are those of the 1-5 IPIP scale); else a whole answer that is a number word ("four").

    Examples:
        >>> parse_answer("4 - moderately accurate")
        4
        >>> parse_answer("Very inaccurate, I hate parties.")
        1
        >>> parse_answer("I'd rather not say") is None
        True
    """
    cleaned = _SCALE_MENTION.sub(" ", text)
    for match in _NUMBER.finditer(cleaned):
        value = float(match.group(1))
        if low <= value <= high:
            return int(value + 0.5)
    if (low, high) == (1, 5):
        # The most specific anchor wins ("very accurate" before "accurate").
        for pattern, anchor in _ANCHORS:
            if pattern.search(cleaned):
                return anchor
    word = re.sub(r"[^a-z]", "", cleaned.lower())
    value_word = _WORDS.get(word)
    if value_word is not None and low <= value_word <= high:
        return value_word
    return None


def score_answers(
    inventory: Inventory, answers: Mapping[str, int | None]
) -> dict[str, float | None]:
    """Trait scores: the mean of the answered items of each trait, reverse-keyed items scored
    ``min + max - x`` (``6 - x`` on the 1-5 scale). A trait with no answered item is ``None``.

    Args:
        inventory: The inventory the answers belong to.
        answers: Item id → value (``None`` or absent: missing).

    Raises:
        ValueError: A value outside the inventory's scale.
    """
    lo, hi = inventory.scale.min, inventory.scale.max
    sums: dict[str, list[float]] = {t: [] for t in inventory.traits()}
    for item in inventory.items:
        value = answers.get(item.id)
        if value is None:
            continue
        if not lo <= value <= hi:
            raise ValueError(f"item {item.id}: answer {value} outside {lo}..{hi}")
        sums[item.trait].append(float(value if item.key == "+" else lo + hi - value))
    return {t: (sum(v) / len(v) if v else None) for t, v in sums.items()}
