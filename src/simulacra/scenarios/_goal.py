"""Structured task goals: per domain (service), intents, constraints, requests, booking.

A goal is checked against a schema (:mod:`simulacra.scenarios._schema`): the MultiWOZ
ontology by default; a schema file's services when the validation context holds ``schema``; and
with ``open_goals`` in the context, a domain outside MultiWOZ is accepted as it is (the goals
are their own ontology). MultiWOZ domains are always checked against MultiWOZ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    ValidationError,
    ValidationInfo,
    model_serializer,
    model_validator,
)

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.scenarios._ontology import (
    BOOK_SLOTS,
    DOMAINS,
    REQUESTABLE,
    did_you_mean,
    normalise_slot,
)
from simulacra.scenarios._schema import Schema

__all__ = ["DONTCARE", "DomainGoal", "TaskGoal", "task_from_record"]

DONTCARE = "dontcare"
_DONTCARE_SPELLINGS = {"dontcare", "don't care", "dont care", "do n't care", "any", "dontcare."}


def _value(value: object) -> str:
    text = str(value).strip().lower()
    return DONTCARE if text in _DONTCARE_SPELLINGS else text


def _slot_name(domain: str, slot: str, *, book: bool = False) -> str:
    # MultiWOZ spellings are mapped onto the unified names; other schemas keep their own names
    if domain in DOMAINS:
        return normalise_slot(domain, slot, book=book)
    return slot.strip().lower()


def _slots(domain: str, data: object, *, book: bool = False) -> object:
    if not isinstance(data, Mapping):
        return data
    return {_slot_name(domain, str(k), book=book): _value(v) for k, v in data.items()}


class DomainGoal(BaseModel):
    """What the user wants in one domain.

    Attributes:
        domain: The service: a MultiWOZ domain (``attraction``, ``hospital``, ``hotel``,
            ``police``, ``restaurant``, ``taxi``, ``train``) or one of a schema (lower case).
        intents: What the user wants done in the service (SGD intents such as
            ``reservecar``; empty for MultiWOZ goals).
        inform: Constraints the user holds, ``{slot: value}`` (``dontcare`` allowed).
        book: Booking constraints (``book people``, ``book day``, ``book stay``,
            ``book time``); non-empty means the user wants a booking and its reference number.
        requests: Slots the user wants to be told (``phone``, ``address``, ...).
        fail_inform: Constraints the user tries first, before ``inform`` (MultiWOZ
            ``fail_info``: the corpus user was told that no venue matches them).
        fail_book: Booking values tried first (MultiWOZ ``fail_book``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    domain: str
    intents: list[str] = Field(default_factory=list)
    inform: dict[str, str] = Field(default_factory=dict)
    book: dict[str, str] = Field(default_factory=dict)
    requests: list[str] = Field(default_factory=list)
    fail_inform: dict[str, str] = Field(default_factory=dict)
    fail_book: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalise(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        domain = str(out.get("domain", "")).strip().lower()
        out["domain"] = domain
        for key in ("inform", "fail_inform"):
            out[key] = _slots(domain, out.get(key) or {})
        for key in ("book", "fail_book"):
            out[key] = _slots(domain, out.get(key) or {}, book=True)
        requests = out.get("requests") or []
        if isinstance(requests, list | tuple):
            out["requests"] = list(dict.fromkeys(_slot_name(domain, str(r)) for r in requests))
        intents = out.get("intents")
        if isinstance(intents, str):
            intents = [intents]
        if isinstance(intents, list | tuple):
            out["intents"] = [str(i).strip() for i in intents]
        return out

    @model_serializer(mode="wrap")
    def _without_empty_intents(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # goals without intents (MultiWOZ) dump exactly as before intents existed
        data: dict[str, Any] = handler(self)
        if not data.get("intents"):
            data.pop("intents", None)
        return data

    @model_validator(mode="after")
    def _known(self, info: ValidationInfo) -> DomainGoal:
        context = info.context if isinstance(info.context, Mapping) else {}
        schema = context.get("schema")
        service = schema.service(self.domain) if isinstance(schema, Schema) else None
        if service is not None:
            checks: tuple[tuple[str, list[str], Any], ...] = (
                ("inform", [*self.inform, *self.fail_inform], service.informable),
                ("book", [*self.book, *self.fail_book], service.book | service.informable),
                ("requests", self.requests, service.requestable),
                ("intents", [i.lower() for i in self.intents], service.intents or ()),
            )
        elif self.domain in DOMAINS:
            checks = (
                ("inform", [*self.inform, *self.fail_inform], DOMAINS[self.domain]),
                ("book", [*self.book, *self.fail_book], BOOK_SLOTS.get(self.domain, ())),
                ("requests", self.requests, REQUESTABLE[self.domain]),
            )
        elif context.get("open_goals"):
            return self  # the goals are their own ontology
        else:
            known = list(DOMAINS) + (list(schema.services) if isinstance(schema, Schema) else [])
            where = f" in schema {schema.name!r}" if isinstance(schema, Schema) else ""
            raise ValueError(
                f"unknown domain {self.domain!r}{where}{did_you_mean(self.domain, known)}"
            )
        for field, slots, known in checks:
            for slot in slots:
                if slot not in known:
                    hint = did_you_mean(slot, known)
                    what = "intent" if field == "intents" else "slot"
                    raise ValueError(f"{field}: unknown {self.domain} {what} {slot!r}{hint}")
        return self

    @property
    def wants_booking(self) -> bool:
        """Whether the user wants a booking (and its reference number)."""
        return bool(self.book)

    def first_value(self, slot: str) -> str | None:
        """The value the user states first for a constraint or booking slot (the ``fail_``
        value where there is one)."""
        for values in (self.fail_inform, self.fail_book, self.inform, self.book):
            if slot in values:
                return values[slot]
        return None


class TaskGoal(BaseModel):
    """A user's task goal over one or more domains, in the order the user pursues them.

    Attributes:
        id: Stable id (e.g. the MultiWOZ dialogue id).
        description: The goal in natural language (what a crowd worker was shown), for a
            prompted user or a report.
        domains: Per-domain goals, in order.
        source: Where it comes from, with its licence (provenance).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    description: str = ""
    domains: list[DomainGoal] = Field(min_length=1)
    source: str | None = None

    @model_validator(mode="after")
    def _unique_domains(self) -> TaskGoal:
        names = [d.domain for d in self.domains]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"domains: {', '.join(dupes)} listed twice")
        return self

    def domain(self, name: str) -> DomainGoal | None:
        """The goal of one domain, if the task has it."""
        return next((d for d in self.domains if d.domain == name), None)

    @property
    def domain_names(self) -> list[str]:
        """The domains, in order."""
        return [d.domain for d in self.domains]

    @classmethod
    def parse(
        cls,
        data: object,
        *,
        source: str = "goal",
        schema: Schema | None = None,
        open_goals: bool = False,
    ) -> TaskGoal:
        """Validate a mapping (e.g. from YAML) as a goal.

        Args:
            data: The goal (a :class:`TaskGoal` is checked again only with ``schema``).
            source: Named in errors.
            schema: Check services and slots against this schema (MultiWOZ otherwise).
            open_goals: Accept a domain that no schema knows (the goal is its own ontology).

        Raises:
            ConfigError: One line naming ``source``, the field and the problem (with a
                "did you mean ...?" for unknown domains and slots).
        """
        if isinstance(data, TaskGoal):
            if schema is None:
                return data
            data = data.model_dump()
        context = {"schema": schema, "open_goals": open_goals}
        try:
            return cls.model_validate(data, context=context)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {summarise(exc, model=cls)}") from None


def task_from_record(
    data: object,
    *,
    id: str,
    description: str = "",
    source: str | None = None,
    where: str = "task",
    schema: Schema | None = None,
) -> TaskGoal:
    """A structured goal from a corpus record: a :class:`TaskGoal` mapping (``domains: [...]``),
    one SGD-style frame ``{service, intent | intents, inform | slots, requests}`` or a list of
    frames (one per service, in order). Any service is accepted (checked against ``schema``
    when given).

    Raises:
        ConfigError: One line naming ``where`` and the field.
    """
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise ConfigError(f"{where}: not a JSON object or list") from None
    if isinstance(data, Mapping) and "domains" in data:
        record = {"id": id, "description": description, "source": source, **data}
        return TaskGoal.parse(record, source=where, schema=schema, open_goals=schema is None)
    frames = data if isinstance(data, list) else [data]
    domains = []
    for i, frame in enumerate(frames):
        if not isinstance(frame, Mapping):
            raise ConfigError(f"{where}: frame {i} is not an object")
        service = frame.get("service") or frame.get("domain") or frame.get("service_name")
        if not service:
            raise ConfigError(f"{where}: frame {i}: no 'service' (or 'domain')")
        intents = frame.get("intents", frame.get("intent")) or []
        domains.append(
            {
                "domain": str(service),
                "intents": [intents] if isinstance(intents, str) else list(intents),
                "inform": frame.get("inform", frame.get("slots")) or {},
                "book": frame.get("book") or {},
                "requests": frame.get("requests") or [],
            }
        )
    record = {"id": id, "description": description, "source": source, "domains": domains}
    return TaskGoal.parse(record, source=where, schema=schema, open_goals=schema is None)
