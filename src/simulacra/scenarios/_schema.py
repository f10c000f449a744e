"""Ontologies for structured goals and the agenda-based user: MultiWOZ is one schema among
others.

A :class:`Schema` lists services (MultiWOZ calls them domains), each with the slots a user may
constrain (informable), the slots a user may ask for (requestable), booking slots, intents with
their required and optional slots, and possible values. It comes from:

- :data:`MULTIWOZ_SCHEMA`, the MultiWOZ 2.1 ontology (the default);
- :func:`load_schema`, a schema file in the Schema-Guided Dialogue (SGD) shape — a JSON (or
  YAML) list of ``{service_name, description, slots: [{name, possible_values}], intents: [{name,
  required_slots, optional_slots, result_slots}]}``;
- :func:`schema_from_goals`, the goals themselves (every slot a goal uses is known).

Service, slot and intent names are compared lower-cased (``RentalCars_1`` → ``rentalcars_1``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from simulacra._validation import read_yaml
from simulacra.errors import ConfigError
from simulacra.scenarios._ontology import BOOK_SLOTS, DOMAINS, REQUESTABLE

if TYPE_CHECKING:
    from simulacra.scenarios._goal import TaskGoal

__all__ = [
    "MULTIWOZ_SCHEMA",
    "Schema",
    "ServiceSchema",
    "load_schema",
    "schema_from_goals",
    "slot_words",
]


@dataclass(frozen=True)
class ServiceSchema:
    """One service (domain) of a schema.

    Attributes:
        name: The service name (lower case).
        informable: Slots a user may hold a value for (constraints).
        requestable: Slots a user may ask the system for.
        book: Booking slots (a booking goal ends with a reference).
        intents: Intent name → its required slots.
        values: Slot → possible values (categorical slots), where the schema lists them.
        description: What the service does.
    """

    name: str
    informable: frozenset[str]
    requestable: frozenset[str]
    book: frozenset[str] = frozenset()
    intents: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    values: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True)
class Schema:
    """Services by name, and where the schema came from."""

    name: str
    services: Mapping[str, ServiceSchema]

    def service(self, name: str) -> ServiceSchema | None:
        """The service of that (case-insensitive) name, if the schema has it."""
        return self.services.get(name.strip().lower())

    @property
    def is_multiwoz(self) -> bool:
        """Whether this is the built-in MultiWOZ ontology."""
        return self is MULTIWOZ_SCHEMA


MULTIWOZ_SCHEMA = Schema(
    "multiwoz21",
    {
        d: ServiceSchema(
            name=d,
            informable=DOMAINS[d],
            requestable=REQUESTABLE[d],
            book=BOOK_SLOTS.get(d, frozenset()),
        )
        for d in DOMAINS
    },
)
"""The MultiWOZ 2.1 ontology (ConvLab-3 unified slot names)."""


def slot_words(slot: str) -> str:
    """A slot name as words (``pickup_location`` → ``pickup location``)."""
    return " ".join(slot.replace("_", " ").replace("-", " ").split()).lower()


def _names(value: object, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [str(k).strip().lower() for k in value]
    if isinstance(value, list | tuple):
        return [str(v).strip().lower() for v in value]
    raise ConfigError(f"{where}: expected a list of slot names, got {type(value).__name__}")


def _service(raw: object, where: str) -> ServiceSchema:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a service object (service_name, slots, intents)")
    name = raw.get("service_name") or raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: missing field 'service_name'")
    where = f"{where} ({name})"
    slots = raw.get("slots") or []
    if not isinstance(slots, list):
        raise ConfigError(f"{where}: slots: expected a list")
    values: dict[str, tuple[str, ...]] = {}
    all_slots: list[str] = []
    for i, slot in enumerate(slots):
        sname = slot.get("name") if isinstance(slot, Mapping) else slot
        if not isinstance(sname, str) or not sname.strip():
            raise ConfigError(f"{where}: slots.{i}: missing field 'name'")
        key = sname.strip().lower()
        all_slots.append(key)
        possible = slot.get("possible_values") if isinstance(slot, Mapping) else None
        if possible:
            values[key] = tuple(str(v).lower() for v in possible)
    intents: dict[str, tuple[str, ...]] = {}
    informable: list[str] = []
    requestable: list[str] = []
    for i, intent in enumerate(raw.get("intents") or []):
        if not isinstance(intent, Mapping) or not isinstance(intent.get("name"), str):
            raise ConfigError(f"{where}: intents.{i}: missing field 'name'")
        iw = f"{where}: intents.{i}"
        required = _names(intent.get("required_slots"), f"{iw}.required_slots")
        optional = _names(intent.get("optional_slots"), f"{iw}.optional_slots")
        intents[str(intent["name"]).strip().lower()] = tuple(required)
        informable += required + optional
        requestable += _names(intent.get("result_slots"), f"{iw}.result_slots")
    for s in informable + requestable:
        if all_slots and s not in all_slots:
            raise ConfigError(f"{where}: intent slot {s!r} is not among the service's slots")
    known = all_slots or informable + requestable
    return ServiceSchema(
        name=name.strip().lower(),
        informable=frozenset(informable or known),
        requestable=frozenset(requestable or known) | frozenset(informable),
        book=frozenset(_names(raw.get("book_slots"), f"{where}.book_slots")),
        intents=intents,
        values=values,
        description=str(raw.get("description") or ""),
    )


def load_schema(path: str | Path) -> Schema:
    """A schema file in the SGD shape (``.json`` or ``.yaml``; a list of services, or
    ``{services: [...]}``).

    Raises:
        ConfigError: One line naming the file, the service and the field.
    """
    file = Path(path)
    if not file.is_file():
        raise ConfigError(f"{file}: schema file not found")
    if file.suffix.lower() in (".yaml", ".yml"):
        data: Any = read_yaml(file)
    else:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"{file}: not a JSON schema ({str(exc).splitlines()[0]})") from None
    if isinstance(data, Mapping) and "services" in data:
        data = data["services"]
    if not isinstance(data, list) or not data:
        raise ConfigError(f"{file}: expected a non-empty list of services (SGD schema shape)")
    services: dict[str, ServiceSchema] = {}
    for i, raw in enumerate(data):
        service = _service(raw, f"{file}: services.{i}")
        if service.name in services:
            raise ConfigError(f"{file}: services.{i}: service {service.name!r} listed twice")
        services[service.name] = service
    return Schema(file.stem, services)


def schema_from_goals(goals: Iterable[TaskGoal], *, name: str = "goals") -> Schema:
    """The ontology the goals themselves imply: per service, every slot a goal informs, books
    or requests (MultiWOZ services keep their full MultiWOZ ontology)."""
    found: dict[str, tuple[set[str], set[str], set[str], set[str]]] = {}
    for goal in goals:
        for d in goal.domains:
            inform, request, book, intents = found.setdefault(
                d.domain, (set(), set(), set(), set())
            )
            inform.update(d.inform, d.fail_inform)
            request.update(d.requests)
            book.update(d.book, d.fail_book)
            intents.update(i.lower() for i in d.intents)
    services: dict[str, ServiceSchema] = {}
    for service, (inform, request, book, intents) in found.items():
        builtin = MULTIWOZ_SCHEMA.service(service)
        services[service] = builtin or ServiceSchema(
            name=service,
            informable=frozenset(inform),
            requestable=frozenset(request | inform),
            book=frozenset(book),
            intents={i: () for i in sorted(intents)},
        )
    return Schema(name, services)
