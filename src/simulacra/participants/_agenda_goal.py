"""Structured task goals in the MultiWOZ shape: per domain, constraints, requests, booking."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.participants._agenda_ontology import (
    BOOK_SLOTS,
    DOMAINS,
    REQUESTABLE,
    did_you_mean,
    normalise_slot,
)

__all__ = ["DONTCARE", "DomainGoal", "TaskGoal"]

DONTCARE = "dontcare"
_DONTCARE_SPELLINGS = {"dontcare", "don't care", "dont care", "do n't care", "any", "dontcare."}


def _value(value: object) -> str:
    text = str(value).strip().lower()
    return DONTCARE if text in _DONTCARE_SPELLINGS else text


def _slots(domain: str, data: object, *, book: bool = False) -> object:
    if not isinstance(data, Mapping):
        return data
    return {normalise_slot(domain, str(k), book=book): _value(v) for k, v in data.items()}


class DomainGoal(BaseModel):
    """What the user wants in one domain.

    Attributes:
        domain: ``attraction``, ``hospital``, ``hotel``, ``police``, ``restaurant``, ``taxi`` or
            ``train``.
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
            out["requests"] = list(dict.fromkeys(normalise_slot(domain, str(r)) for r in requests))
        return out

    @model_validator(mode="after")
    def _known(self) -> DomainGoal:
        if self.domain not in DOMAINS:
            raise ValueError(f"unknown domain {self.domain!r}{did_you_mean(self.domain, DOMAINS)}")
        checks = (
            ("inform", list(self.inform) + list(self.fail_inform), DOMAINS[self.domain]),
            ("book", list(self.book) + list(self.fail_book), BOOK_SLOTS.get(self.domain, ())),
            ("requests", self.requests, REQUESTABLE[self.domain]),
        )
        for field, slots, known in checks:
            for slot in slots:
                if slot not in known:
                    hint = did_you_mean(slot, known)
                    raise ValueError(f"{field}: unknown {self.domain} slot {slot!r}{hint}")
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
    def parse(cls, data: object, *, source: str = "goal") -> TaskGoal:
        """Validate a mapping (e.g. from YAML) as a goal.

        Raises:
            ConfigError: One line naming ``source``, the field and the problem (with a
                "did you mean ...?" for unknown domains and slots).
        """
        if isinstance(data, TaskGoal):
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{source}: {summarise(exc, model=cls)}") from None
