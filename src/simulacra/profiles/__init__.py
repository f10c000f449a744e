"""Who is simulated (survey §3): the context Ψ_p of a simulated participant.

Five kinds, as data:

- :class:`GeneralUser` — Ψ^default, no distinguishing attributes (§3.1);
- :class:`Persona` — a set of attributes ψ_1..ψ_m (§3.2);
- :class:`RolePlay` — an identity handle h plus an optional character card (§3.3);
- :class:`Individual` — grounded in one person's own history H_p (§3.4);
- :class:`Hybrid` — several of these composed with an explicit precedence (§3.5).

Each profile names the versioned prompt template that renders it (``template``), so prompts can
change without changing data. :data:`Profile` is the discriminated union (field ``kind``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from simulacra.profiles._consolidate import ConsolidationOp, consolidate
from simulacra.profiles._drift_schedule import DriftSchedule, GradualChange, load_drift_schedule
from simulacra.profiles._extract import MemoryCandidate, extract_candidates
from simulacra.profiles._generate import GenerationResult, generate_personas
from simulacra.profiles._history import FieldMapping, parse_field_mapping, read_history
from simulacra.profiles._hybrid import Hybrid, HybridPart
from simulacra.profiles._import import HistoryImport, import_history
from simulacra.profiles._individual import Individual, Memory
from simulacra.profiles._inventory import Inventory, load_inventory, parse_answer, score_answers
from simulacra.profiles._kinds import AttributeValue, GeneralUser, Persona
from simulacra.profiles._persona import (
    Behaviour,
    BigFive,
    Demographics,
    Hexaco,
    describe_behaviour,
)
from simulacra.profiles._pii import RedactionReport, Redactor
from simulacra.profiles._population import (
    AttributeSpec,
    PopulationSpec,
    persona_paths,
    population_stats,
    sample_population,
)
from simulacra.profiles._psychometric import (
    PsychometricReport,
    administer,
    administer_population,
    psychometric_report,
)
from simulacra.profiles._roleplay import CharacterCard, ExampleLine, KnowledgeBoundary, RolePlay

__all__ = [
    "AttributeSpec",
    "AttributeValue",
    "Behaviour",
    "BigFive",
    "CharacterCard",
    "ConsolidationOp",
    "Demographics",
    "DriftSchedule",
    "ExampleLine",
    "FieldMapping",
    "GeneralUser",
    "GenerationResult",
    "GradualChange",
    "Hexaco",
    "HistoryImport",
    "Hybrid",
    "HybridPart",
    "Individual",
    "Inventory",
    "KnowledgeBoundary",
    "Memory",
    "MemoryCandidate",
    "Persona",
    "PopulationSpec",
    "Profile",
    "PsychometricReport",
    "RedactionReport",
    "Redactor",
    "RolePlay",
    "administer",
    "administer_population",
    "consolidate",
    "describe_behaviour",
    "extract_candidates",
    "generate_personas",
    "import_history",
    "load_drift_schedule",
    "load_inventory",
    "parse_answer",
    "parse_field_mapping",
    "persona_paths",
    "population_stats",
    "psychometric_report",
    "read_history",
    "sample_population",
    "score_answers",
]

Profile = Annotated[
    GeneralUser | Persona | RolePlay | Individual | Hybrid,
    Field(discriminator="kind"),
]
