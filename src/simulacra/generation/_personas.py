"""LLM-generated personas, Persona-Hub style (survey §3.2, Appendix B.2): text → persona.

Each seed text (a short description of a person, or "a person who would use <domain>") is
turned into a :class:`~simulacra.profiles.Persona` by a model whose output is constrained to a
small JSON schema derived from the persona model. Output that does not validate is retried, then
rejected with its reason; exact and near duplicates are dropped.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulacra._validation import summarise
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.profiles import Behaviour, BigFive, Demographics, Persona

__all__ = [
    "GENERATION_SCHEMA",
    "GenerationResult",
    "Rejection",
    "deduplicate",
    "domain_seeds",
    "generate_personas",
    "persona_from_json",
    "similarity",
]

_BEHAVIOUR_FIELDS = ("verbosity", "politeness", "patience", "expertise")
_DEMOGRAPHIC_FIELDS = ("age", "gender", "location", "occupation", "education")


def _properties(model: type[BaseModel], fields: Sequence[str]) -> dict[str, Any]:
    schema = model.model_json_schema()["properties"]
    out: dict[str, Any] = {}
    for name in fields:
        prop = dict(schema[name])
        # "anyOf: [number, null]" → the non-null branch (keeps the grammar small).
        branches = [b for b in prop.pop("anyOf", []) if b.get("type") != "null"]
        if branches:
            prop.update(branches[0])
        prop.pop("default", None)
        prop.pop("title", None)
        prop.pop("description", None)
        out[name] = prop
    return out


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


GENERATION_SCHEMA: dict[str, Any] = _object(
    {
        "name": {"type": "string"},
        "description": {"type": "string"},
        "demographics": _object(_properties(Demographics, _DEMOGRAPHIC_FIELDS)),
        "interests": {"type": "array", "items": {"type": "string"}, "maxItems": 4},
        "values": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "big_five": _object(_properties(BigFive, list(BigFive.model_fields))),
        "behaviour": _object(_properties(Behaviour, _BEHAVIOUR_FIELDS)),
    }
)
"""The JSON schema of the model's output: a subset of :class:`~simulacra.profiles.Persona` (the
fields' types and ranges come from the pydantic models) small enough for a 1.5B model."""

SYSTEM = (
    "You write realistic, specific personas of people for user simulation. Given a short text "
    "about a person, answer with a JSON object describing that person: name, a one-sentence "
    "description, demographics, up to 4 interests, up to 3 values, Big Five trait scores from "
    "1.0 (very low) to 5.0 (very high), and how they write in a chat (verbosity, politeness, "
    "patience, expertise, each from 0.0 to 1.0). Make the person fit the text; vary the scores."
)


class Rejection(BaseModel):
    """A seed whose output never validated.

    Attributes:
        seed: The seed text.
        reason: The last validation error, one line.
        attempts: Attempts made.
    """

    model_config = ConfigDict(extra="forbid")

    seed: str
    reason: str
    attempts: int


class GenerationResult(BaseModel):
    """What a generation run produced.

    Attributes:
        personas: Valid, de-duplicated personas (ids ``gen-00001``...).
        rejected: Seeds whose output never validated.
        duplicates: Valid personas dropped as exact or near duplicates.
        attempts: Model calls made.
    """

    model_config = ConfigDict(extra="forbid")

    personas: list[Persona] = Field(default_factory=list)
    rejected: list[Rejection] = Field(default_factory=list)
    duplicates: int = 0
    attempts: int = 0


def domain_seeds(domain: str, n: int) -> list[str]:
    """``n`` seed texts for people who would use ``domain`` (numbered, so prompts differ)."""
    return [f"Person #{i + 1} among the varied people who would use {domain}." for i in range(n)]


def persona_from_json(text: str) -> Persona:
    """Parse and validate a model's JSON output as a persona.

    Raises:
        ValueError: Not JSON, or not a valid persona (one-line reason).
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg} at char {exc.pos})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    data.pop("kind", None)
    data.pop("id", None)
    try:
        return Persona.model_validate(data)
    except ValidationError as exc:
        raise ValueError(summarise(exc)) from None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", "", text.lower())).strip()


def _shingles(text: str, k: int = 3) -> set[str]:
    t = _norm(text)
    return {t[i : i + k] for i in range(max(1, len(t) - k + 1))} if t else set()


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character 3-gram sets of two normalised texts (0..1)."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _key(p: Persona) -> str:
    return json.dumps(
        {k: v for k, v in p.model_dump(mode="json").items() if k != "id"}, sort_keys=True
    ).lower()


def deduplicate(
    personas: Sequence[Persona], *, threshold: float = 0.8
) -> tuple[list[Persona], int]:
    """Drop exact duplicates (same fields after lower-casing) and near duplicates (description
    plus name, character 3-gram Jaccard ≥ ``threshold``). Keeps the first of each group.

    Returns:
        The kept personas and the number dropped.
    """
    kept: list[Persona] = []
    keys: set[str] = set()
    texts: list[str] = []
    for p in personas:
        key = _key(p)
        text = f"{p.name} {p.description or ''}"
        if key in keys or any(similarity(text, t) >= threshold for t in texts):
            continue
        keys.add(key)
        texts.append(text)
        kept.append(p)
    return kept, len(personas) - len(kept)


async def _one(
    seed: str, model: Model, config: GenerateConfig, retries: int
) -> tuple[Persona | Rejection, int]:
    reason = ""
    for attempt in range(1, retries + 2):
        messages = [
            ChatMessage(role="system", content=SYSTEM),
            ChatMessage(role="user", content=f"Text: {seed}\nPersona as JSON:"),
        ]
        call = (
            config
            if attempt == 1
            else config.merged(GenerateConfig(seed=(config.seed or 0) + attempt))
        )
        try:
            output = await model.generate(messages, config=call)
        except Exception as exc:  # a failed call is a rejection, not a crash
            reason = f"model error: {type(exc).__name__}: {exc}".splitlines()[0]
            continue
        try:
            return persona_from_json(output.text), attempt
        except ValueError as exc:
            reason = str(exc)
    return Rejection(seed=seed, reason=reason, attempts=retries + 1), retries + 1


async def generate_personas(
    seeds: Sequence[str],
    model: Model,
    *,
    retries: int = 2,
    threshold: float = 0.8,
    concurrency: int = 4,
    config: GenerateConfig | None = None,
    on_done: Callable[[Persona | Rejection], None] | None = None,
) -> GenerationResult:
    """Turn seed texts into personas with a JSON-schema-constrained model.

    Args:
        seeds: One text per persona to generate.
        model: The generator (role ``persona_gen``).
        retries: Extra attempts per seed after invalid output (each with a new sampling seed).
        threshold: Near-duplicate threshold of :func:`deduplicate`.
        concurrency: Seeds in flight at once.
        config: Per-call options (default: ``max_tokens=400``, ``temperature=0.8``); the JSON
            schema is always set.
        on_done: Called with each persona or rejection (progress).

    Returns:
        The de-duplicated personas (ids ``gen-00001``...), rejections and counts.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be >= 1")
    base = GenerateConfig(max_tokens=400, temperature=0.8).merged(config)
    base = base.merged(GenerateConfig(json_schema=GENERATION_SCHEMA))
    gate = asyncio.Semaphore(concurrency)

    async def run(seed: str) -> tuple[Persona | Rejection, int]:
        async with gate:
            result = await _one(seed, model, base, retries)
        if on_done is not None:
            on_done(result[0])
        return result

    results = await asyncio.gather(*(run(s) for s in seeds))
    valid = [r for r, _ in results if isinstance(r, Persona)]
    kept, dropped = deduplicate(valid, threshold=threshold)
    personas = [p.model_copy(update={"id": f"gen-{i:05d}"}) for i, p in enumerate(kept, start=1)]
    return GenerationResult(
        personas=personas,
        rejected=[r for r, _ in results if isinstance(r, Rejection)],
        duplicates=dropped,
        attempts=sum(n for _, n in results),
    )
