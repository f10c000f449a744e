"""Profiles written by a model (survey §3.2, Appendix B.2): text → validated persona.

Everything here calls a model, so it sits above :mod:`simulacra.models`; the profiles it makes
are plain data (:mod:`simulacra.profiles`). ``simulacra personas generate`` is the command line.
"""

from __future__ import annotations

from simulacra.generation._personas import (
    GENERATION_SCHEMA,
    GenerationResult,
    Rejection,
    deduplicate,
    domain_seeds,
    generate_personas,
    persona_from_json,
    similarity,
)

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
