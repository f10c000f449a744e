"""Redaction of personal data in imported histories (pattern-based, on by default).

What is found, in this order: e-mail addresses, URLs, credit-card-like numbers (four groups of
four digits, the 4-6-5 layout, or 13-19 digits in a row that pass the Luhn check), phone numbers
(7-15 digits with separators or a leading ``+``; dates are left alone), street addresses (a
house number before a capitalised street name ending in Street/Road/Avenue/..., or
Rua/Calle/Via/Rue ... followed by a number) and names: the speaker
names of the log other than the person, names introduced in any message ("my name is X", "call
me X", "I'm X" when X is capitalised and not a common non-name word) and a user-supplied list.

This is a filter, not a guarantee: names mentioned without an introduction, addresses in other
formats, national id numbers and anything written in an unusual way are not found.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["PII_TYPES", "RedactionReport", "RedactionSite", "Redactor"]

PII_TYPES = ("EMAIL", "URL", "CARD", "PHONE", "ADDRESS", "NAME")

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_CARD = re.compile(
    r"(?<![\w-])(?:\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?|\d{4}[ -]\d{6}[ -]\d{5}|\d{13,19})"
    r"(?![\w-])"
)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){0,4}(?!\w)"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Square|Sq|Close|Crescent|Highway|Hwy"
)
_ADDRESS = re.compile(
    rf"\b\d{{1,5}}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){{1,4}}(?:{_STREET})\b\.?"
    r"|\b(?:Rua|Calle|Via|Rue|Avenida|Strasse|Straße|Carrer)\s+(?:(?:d[aeo]s?|de la|del|du)\s+)?"
    r"(?:[A-Z][\w'-]*\s*){1,4},?\s*\d{1,5}[A-Za-z]?\b"
)
_INTRO_ALWAYS = re.compile(
    r"\b(?i:my name is|my name's|call me|i am called|i'm called)\s+"
    r"([A-Z][\w'-]+(?:\s+[A-Z][\w'-]+)?)"
)
_INTRO_MAYBE = re.compile(r"\b(?:I'm|I am|this is|it's)\s+([A-Z][a-z'-]+(?:\s+[A-Z][a-z'-]+)?)")
# Capitalised words that follow "I'm" without being names.
_NOT_NAMES = frozenset(
    """
    a an the i not so sure fine good great ok okay sorry glad happy here there back home done
    just still really very also afraid english british american canadian australian irish
    scottish welsh french german spanish portuguese italian dutch polish russian chinese
    japanese korean indian brazilian mexican african european asian christian muslim jewish
    catholic vegan vegetarian monday tuesday wednesday thursday friday saturday sunday january
    february march april may june july august september october november december
    """.split()  # noqa: SIM905
)
# Speaker labels that are roles, not names.
_ROLES = frozenset(
    "user assistant system bot agent customer human ai model you me moderator narrator".split()  # noqa: SIM905
)


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


class RedactionSite(BaseModel):
    """Where redactions were made (never what was redacted)."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """``file:line``."""
    counts: dict[str, int]
    """Redactions per type on that line."""


class RedactionReport(BaseModel):
    """What redaction did to an import: counts per type and per ``file:line``.

    Original values never appear here; placeholders are ``[EMAIL]``, ``[URL]``, ``[CARD]``,
    ``[PHONE]``, ``[ADDRESS]`` and ``[NAME_1]``, ``[NAME_2]`` ... (one number per distinct name,
    the same across all files of the import).
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    counts: dict[str, int] = Field(default_factory=dict)
    sites: list[RedactionSite] = Field(default_factory=list)
    distinct_names: int = 0

    @property
    def total(self) -> int:
        """All redactions."""
        return sum(self.counts.values())


class Redactor:
    """Replaces personal data with typed placeholders, consistently across calls.

    Call :meth:`learn` on every text first (it collects introduced names), then :meth:`redact`.

    Args:
        names: Names to redact in any case (each word of a multi-word name is redacted too).
        keep: Names never to redact, nor any name that starts with one of them (the simulated
            person's own name: "my name is Alice Jones" is kept when ``keep`` has "Alice").
    """

    def __init__(self, *, names: Iterable[str] = (), keep: Iterable[str] = ()) -> None:
        self._keep = {k.casefold() for k in keep if k.strip()}
        self._names: dict[str, str] = {}  # casefolded surface form -> canonical name
        self._numbers: dict[str, int] = {}  # canonical name -> placeholder number
        self._pattern: re.Pattern[str] | None = None
        self._counts: Counter[str] = Counter()
        self._sites: list[RedactionSite] = []
        for name in names:
            self.add_name(name)

    def add_name(self, name: str) -> None:
        """Redact this name (and each of its capitalised words of 3+ letters) from now on."""
        name = " ".join(name.split())
        if not name or name.split(" ")[0].casefold() in self._keep or name.casefold() in _ROLES:
            return
        forms = [name] + [w for w in name.split(" ") if len(w) >= 3 and name.count(" ")]
        for form in forms:
            key = form.casefold()
            if key not in self._keep and key not in _NOT_NAMES:
                self._names.setdefault(key, name)
        self._pattern = None

    def add_speaker(self, speaker: str) -> None:
        """A speaker label of the log: redacted as a name unless it is a role (``assistant``)."""
        if speaker.strip().casefold() not in _ROLES:
            self.add_name(speaker)

    def learn(self, text: str) -> None:
        """Collect names introduced in ``text`` ("my name is X", "I'm X", ...)."""
        for match in _INTRO_ALWAYS.finditer(text):
            self.add_name(match.group(1))
        for match in _INTRO_MAYBE.finditer(text):
            words = match.group(1).split()
            while words and words[-1].casefold() in _NOT_NAMES:
                words.pop()
            if words and words[0].casefold() not in _NOT_NAMES:
                self.add_name(" ".join(words))

    def _name_placeholder(self, surface: str) -> str:
        canonical = self._names[surface.casefold()]
        number = self._numbers.setdefault(canonical, len(self._numbers) + 1)
        return f"[NAME_{number}]"

    def redact(self, text: str, *, source: str) -> str:
        """``text`` with personal data replaced; counts go to the report under ``source``."""
        counts: Counter[str] = Counter()

        def sub(kind: str, pattern: re.Pattern[str], value: str) -> str:
            def repl(match: re.Match[str]) -> str:
                found = match.group(0)
                if kind == "URL":
                    stripped = found.rstrip(".,;:!?)")
                    counts[kind] += 1
                    return "[URL]" + found[len(stripped) :]
                if kind == "CARD" and found.isdigit() and not _luhn(found):
                    return found
                if kind == "PHONE":
                    digits = re.sub(r"\D", "", found)
                    grouped = found.startswith("+") or re.search(r"[ .()-]", found) is not None
                    if not (7 <= len(digits) <= 15 and grouped) or _DATE.fullmatch(found):
                        return found
                return _count(found)

            def _count(found: str) -> str:
                counts[kind] += 1
                return f"[{kind}]"

            return pattern.sub(repl, value)

        text = sub("EMAIL", _EMAIL, text)
        text = sub("URL", _URL, text)
        text = sub("CARD", _CARD, text)
        text = sub("PHONE", _PHONE, text)
        text = sub("ADDRESS", _ADDRESS, text)
        if self._names:
            if self._pattern is None:
                alternatives = sorted(self._names, key=len, reverse=True)
                self._pattern = re.compile(
                    r"(?<![\w\[])(?:" + "|".join(re.escape(a) for a in alternatives) + r")(?!\w)",
                    re.IGNORECASE,
                )

            def name_repl(match: re.Match[str]) -> str:
                counts["NAME"] += 1
                return self._name_placeholder(match.group(0))

            text = self._pattern.sub(name_repl, text)
        if counts:
            self._counts.update(counts)
            self._sites.append(RedactionSite(source=source, counts=dict(sorted(counts.items()))))
        return text

    def report(self) -> RedactionReport:
        """Counts so far (per type, per site) — never the redacted values."""
        return RedactionReport(
            enabled=True,
            counts={k: self._counts[k] for k in PII_TYPES if self._counts[k]},
            sites=list(self._sites),
            distinct_names=len(self._numbers),
        )
