"""Populations of personas: sampling from marginals or joint tables (seeded, stratified,
quasi-random), and statistics of coverage and diversity against the target distribution."""

from __future__ import annotations

import difflib
import math
import random
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.profiles._kinds import Persona
from simulacra.profiles._persona import Behaviour, BigFive, Demographics, Hexaco

__all__ = [
    "AttributeSpec",
    "PopulationSpec",
    "persona_paths",
    "population_stats",
    "sample_population",
]

_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Luca",
    "Mira",
    "Nadia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Xavi",
    "Yara",
    "Zane",
    "Aiko",
    "Bruno",
    "Carmen",
    "Dmitri",
    "Esi",
    "Felix",
    "Gita",
    "Hugo",
    "Ivy",
]


def persona_paths() -> dict[str, str]:
    """Every attribute path a population spec may set, with its kind (``number`` / ``text``)."""
    paths: dict[str, str] = {"interests": "list", "values": "list"}
    for prefix, model in (
        ("demographics", Demographics),
        ("big_five", BigFive),
        ("hexaco", Hexaco),
        ("behaviour", Behaviour),
    ):
        for name, field in model.model_fields.items():
            text = "str" in str(field.annotation) or "Literal" in str(field.annotation)
            paths[f"{prefix}.{name}"] = "text" if text else "number"
    return paths


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttributeSpec(_Strict):
    """The marginal distribution of one attribute: exactly one of ``categorical`` (value →
    weight), ``uniform`` ([low, high]) or ``normal`` ({mean, sd}); ``clip`` bounds numbers;
    ``integer`` rounds them."""

    categorical: dict[str, float] | None = None
    uniform: tuple[float, float] | None = None
    normal: dict[str, float] | None = None
    clip: tuple[float, float] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _exactly_one(self) -> AttributeSpec:
        given = [k for k in ("categorical", "uniform", "normal") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of categorical, uniform, normal")
        if self.categorical is not None and (
            not self.categorical
            or any(w < 0 for w in self.categorical.values())
            or not 0 < sum(self.categorical.values()) < math.inf
        ):
            raise ValueError("categorical weights must be finite, non-negative and not all zero")
        numbers = [*(self.uniform or ()), *(self.normal or {}).values(), *(self.clip or ())]
        if not all(math.isfinite(x) and abs(x) <= 1e12 for x in numbers):
            raise ValueError("numbers must be finite and at most 1e12 in size")
        if self.normal is not None and (
            set(self.normal) != {"mean", "sd"} or self.normal["sd"] <= 0
        ):
            raise ValueError("normal needs 'mean' and a positive 'sd'")
        if self.uniform is not None and self.uniform[0] > self.uniform[1]:
            raise ValueError("uniform needs [low, high] with low <= high")
        return self

    @property
    def is_numeric(self) -> bool:
        return self.categorical is None

    def from_unit(self, u: float) -> float:
        """Map a number in (0, 1) to this distribution (inverse CDF), clipped and rounded."""
        if self.uniform is not None:
            low, high = self.uniform
            x = low + u * (high - low)
        else:
            assert self.normal is not None
            x = statistics.NormalDist(self.normal["mean"], self.normal["sd"]).inv_cdf(u)
        if self.clip is not None:
            x = min(max(x, self.clip[0]), self.clip[1])
        return float(round(x)) if self.integer else x

    def cdf(self, x: float) -> float:
        """The target CDF (before clipping) of a numeric attribute."""
        if self.uniform is not None:
            low, high = self.uniform
            return 0.0 if x < low else 1.0 if x >= high else (x - low) / (high - low or 1)
        assert self.normal is not None
        return statistics.NormalDist(self.normal["mean"], self.normal["sd"]).cdf(x)


class PopulationSpec(_Strict):
    """How to build N personas.

    Attributes:
        n: Population size.
        seed: Sampling seed (same seed, same population).
        id_prefix: Persona ids are ``<id_prefix>-00001``...
        base: Fields shared by every persona (e.g. a description).
        attributes: Marginal distribution per attribute path (see :func:`persona_paths`).
        joint: Rows of a joint table: each maps attribute paths to values, plus ``weight``.
        stratify: A categorical attribute whose categories get exactly proportional counts.
        quasi_random: Draw numeric attributes from a randomly shifted Halton sequence (even
            coverage of trait space) instead of independent uniforms.
    """

    n: int = Field(default=100, ge=1, le=1_000_000)
    seed: int = 0
    id_prefix: str = "persona"
    base: dict[str, Any] = Field(default_factory=dict)
    attributes: dict[str, AttributeSpec] = Field(default_factory=dict)
    joint: list[dict[str, Any]] = Field(default_factory=list)
    stratify: str | None = None
    quasi_random: bool = True

    @model_validator(mode="after")
    def _known_paths(self) -> PopulationSpec:
        known = persona_paths()
        paths = list(self.attributes) + [k for row in self.joint for k in row if k != "weight"]
        for path in paths:
            if path not in known:
                close = difflib.get_close_matches(path, list(known), n=1, cutoff=0.6)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ValueError(f"unknown attribute {path!r}{hint}")
        for i, row in enumerate(self.joint):
            weight = row.get("weight", 1.0)
            if isinstance(weight, bool) or not isinstance(weight, int | float):
                raise ValueError(f"joint.{i}.weight: expected a number, got {weight!r:.40}")
            if not 0 <= weight < math.inf:
                raise ValueError(f"joint.{i}.weight: must be finite and non-negative")
        if self.joint and not 0 < sum(float(r.get("weight", 1.0)) for r in self.joint) < math.inf:
            raise ValueError("joint: the weights must not all be zero and sum to a finite number")
        if self.stratify is not None:
            spec = self.attributes.get(self.stratify)
            if spec is None or spec.categorical is None:
                raise ValueError(f"stratify: {self.stratify!r} must be a categorical attribute")
        return self


_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79)


def _halton(index: int, base: int) -> float:
    f, r = 1.0, 0.0
    while index > 0:
        f /= base
        r += f * (index % base)
        index //= base
    return r


def _allocate(weights: dict[str, float], n: int) -> list[str]:
    """Largest-remainder allocation of ``n`` slots proportional to ``weights``."""
    total = sum(weights.values())
    exact = {k: w / total * n for k, w in weights.items()}  # w / total first: no overflow
    counts = {k: int(v) for k, v in exact.items()}
    rest = sorted(exact, key=lambda k: exact[k] - counts[k], reverse=True)
    for k in rest[: n - sum(counts.values())]:
        counts[k] += 1
    return [k for k, c in counts.items() for _ in range(c)]


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    if path in ("interests", "values"):
        data[path] = (
            value if isinstance(value, list) else [v.strip() for v in str(value).split(",")]
        )
        return
    head, _, tail = path.partition(".")
    data.setdefault(head, {})[tail] = value


def sample_population(spec: PopulationSpec, *, source: str = "population") -> list[Any]:
    """Sample ``spec.n`` validated personas (deterministic for a seed).

    Raises:
        ConfigError: A sampled persona is not valid (say a non-integer age): one line naming
            ``source`` (the spec's file) and the attribute, or ``base``, that gave the value.
    """
    rng = random.Random(spec.seed)
    numeric = [p for p, a in spec.attributes.items() if a.is_numeric]
    shift = [rng.random() for _ in numeric]
    strata: list[str] = []
    if spec.stratify is not None:
        weights = spec.attributes[spec.stratify].categorical
        assert weights is not None
        strata = _allocate(weights, spec.n)
        rng.shuffle(strata)
    joint_weights = [float(row.get("weight", 1.0)) for row in spec.joint]
    personas = []
    for i in range(spec.n):
        data: dict[str, Any] = {
            **{k: (dict(v) if isinstance(v, dict) else v) for k, v in spec.base.items()},
            "id": f"{spec.id_prefix}-{i + 1:05d}",
            "name": spec.base.get("name", _NAMES[i % len(_NAMES)]),
        }
        if spec.joint:
            row = rng.choices(spec.joint, weights=joint_weights)[0]
            for path, value in row.items():
                if path != "weight":
                    _set(data, path, value)
        for path, attr in spec.attributes.items():
            if path == spec.stratify:
                _set(data, path, strata[i])
            elif attr.categorical is not None:
                keys = list(attr.categorical)
                _set(data, path, rng.choices(keys, weights=list(attr.categorical.values()))[0])
        for d, path in enumerate(numeric):
            if spec.quasi_random and d < len(_PRIMES):
                u = (_halton(i + 1, _PRIMES[d]) + shift[d]) % 1.0
            else:
                u = rng.random()
            u = min(max(u, 1e-9), 1 - 1e-9)
            _set(data, path, spec.attributes[path].from_unit(u))
        data["kind"] = "persona"
        try:
            personas.append(Persona.model_validate(data))
        except ValidationError as exc:
            raise ConfigError(_bad_persona(exc, spec, source, i)) from None
    return personas


def _bad_persona(exc: ValidationError, spec: PopulationSpec, source: str, i: int) -> str:
    """Where in the spec an invalid sampled persona came from, and why."""
    loc = ".".join(str(p) for p in exc.errors()[0]["loc"])
    message = summarise(exc, model=Persona).partition(": ")[2]
    attribute = next((a for a in spec.attributes if loc == a or loc.startswith(a + ".")), None)
    if attribute is not None:
        return f"{source}: attributes.{attribute}: a sampled value is not valid ({message})"
    if loc.partition(".")[0] in spec.base:
        return f"{source}: base.{loc}: {message}"
    joint = any(loc == k or loc.startswith(k + ".") for row in spec.joint for k in row)
    field = "joint" if joint else "top level"
    return f"{source}: {field}: persona {i + 1} is not valid ({loc or 'persona'}: {message})"


def _get(persona: Any, path: str) -> Any:
    if path in ("interests", "values"):
        return ",".join(sorted(getattr(persona, path))) or None
    head, _, tail = path.partition(".")
    section = getattr(persona, head)
    return None if section is None else getattr(section, tail)


def _entropy(counts: Counter[Any]) -> float:
    total = sum(counts.values())
    return -sum(c / total * math.log2(c / total) for c in counts.values() if c)


def population_stats(
    personas: Sequence[Any], spec: PopulationSpec | None = None, *, pairs: int = 5000
) -> dict[str, Any]:
    """Coverage and diversity of a population, and its distance from the target distribution.

    Per attribute: categorical → counts, entropy (bits, and normalised), total-variation distance
    from the target weights; numeric → mean, sd, range, occupied deciles of the target range,
    Kolmogorov–Smirnov distance from the target CDF. Overall: mean pairwise Gower distance over
    sampled pairs, and the number of exact duplicates.
    """
    paths = (
        list(spec.attributes)
        if spec
        else [p for p in persona_paths() if any(_get(x, p) is not None for x in personas)]
    )
    out: dict[str, Any] = {"n": len(personas), "attributes": {}}
    ranges: dict[str, tuple[float, float]] = {}
    for path in paths:
        values = [v for v in (_get(p, path) for p in personas) if v is not None]
        target = spec.attributes.get(path) if spec else None
        if not values:
            continue
        if isinstance(values[0], int | float) and not isinstance(values[0], bool):
            nums = [float(v) for v in values]
            low, high = min(nums), max(nums)
            if target is not None and target.uniform is not None:
                low, high = target.uniform
            elif target is not None and target.clip is not None:
                low, high = target.clip
            ranges[path] = (low, high)
            width = (high - low) or 1.0
            deciles = {min(9, int((x - low) / width * 10)) for x in nums}
            row: dict[str, Any] = {
                "kind": "numeric",
                "mean": round(statistics.fmean(nums), 3),
                "sd": round(statistics.pstdev(nums), 3),
                "min": round(min(nums), 3),
                "max": round(max(nums), 3),
                "decile_coverage": len(deciles) / 10,
            }
            if target is not None and target.is_numeric and target.clip is None:
                xs = sorted(nums)
                ks = max(
                    max(abs((i + 1) / len(xs) - target.cdf(x)), abs(i / len(xs) - target.cdf(x)))
                    for i, x in enumerate(xs)
                )
                row["ks_distance"] = round(ks, 4)
        else:
            counts = Counter(str(v) for v in values)
            row = {
                "kind": "categorical",
                "counts": dict(counts.most_common()),
                "entropy_bits": round(_entropy(counts), 4),
                "normalised_entropy": round(_entropy(counts) / math.log2(len(counts)), 4)
                if len(counts) > 1
                else 0.0,
            }
            if target is not None and target.categorical is not None:
                total_w = sum(target.categorical.values())
                keys = set(target.categorical) | set(counts)
                tv = 0.5 * sum(
                    abs(counts.get(k, 0) / len(values) - target.categorical.get(k, 0) / total_w)
                    for k in keys
                )
                row["tv_distance"] = round(tv, 4)
        out["attributes"][path] = row
    rng = random.Random(0)
    rows = [tuple(_get(p, path) for path in paths) for p in personas]
    out["duplicates"] = len(rows) - len(set(rows))
    if len(personas) > 1 and paths:
        dists = []
        for _ in range(min(pairs, len(personas) * (len(personas) - 1) // 2)):
            a, b = rng.sample(range(len(personas)), 2)
            parts = []
            for j, path in enumerate(paths):
                x, y = rows[a][j], rows[b][j]
                if x is None or y is None:
                    continue
                if path in ranges:
                    low, high = ranges[path]
                    parts.append(abs(float(x) - float(y)) / ((high - low) or 1.0))
                else:
                    parts.append(0.0 if x == y else 1.0)
            if parts:
                dists.append(sum(parts) / len(parts))
        out["mean_pairwise_gower"] = round(statistics.fmean(dists), 4) if dists else None
    return out
