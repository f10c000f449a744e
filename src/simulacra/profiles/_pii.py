"""Redaction of personal data in imported histories (on by default; needs the ``pii`` extra).

What is found, in this order: e-mail addresses, URLs, IBANs (mod-97 checked), card numbers
(Luhn-checked, any separators), IP addresses, passport and id numbers (after a cue; SSN and UK
NI layouts anywhere), street addresses with the city/postcode beside them, phone numbers
(libphonenumber: international numbers, US and UK national numbers; plus 7-15 digits with
separators; years, dates, times and amounts are left alone) and names: the speaker names of the
log other than the person, names introduced in any message ("my name is X", "call me X", "I'm
X"), names after a title, relation, greeting or sign-off, ``named X``, a user-supplied list, and
(``given_names=True``) full names starting with a common given name. Detectors that use the
libraries are in :mod:`simulacra.profiles._pii_detect`.

This is a filter, not a guarantee: names no cue announces (by default), addresses in other
formats and numbers without a cue word are not found (docs/individuals.md lists the limits and
the measured recall and precision).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from simulacra.profiles._pii_detect import (
    cued_names,
    find_cards,
    find_ibans,
    find_ids,
    find_ips,
    find_phones,
    full_names,
    require_pii_extra,
)

__all__ = ["PII_TYPES", "RedactionReport", "RedactionSite", "Redactor"]

PII_TYPES = ("EMAIL", "URL", "IBAN", "CARD", "IP", "PASSPORT", "ID", "PHONE", "ADDRESS", "NAME")

# Starts only at the start of a token: without the look-behind a long run of word characters
# with no "@" is scanned from every position (quadratic; 100 KB took 30 s).
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"']+", re.IGNORECASE)
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,5}(?:[ .-]\d{2,5}){0,4}(?!\w)"
)
_YEARS = re.compile(r"(?:1[5-9]|20)\d\d(?:\s*[-–/]\s*(?:(?:1[5-9]|20)\d\d|\d\d)|\s+\d{1,3})\b")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}")
_STREET = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|"
    r"Terrace|Square|Sq|Close|Crescent|Highway|Hwy"
)
_CAPW = r"[A-Z][\w'.-]*"
_CITYW = r"[A-Z][\w'-]*"
_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|"
    "NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC"
)
_UK_POSTCODE = r"(?:[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2})"
_ZIP = r"(?:\d{5}(?:-\d{4})?)"
# What may follow a street address: city, state or county, postcode ("..., Springfield, IL
# 62704", "..., London NW1 6XE", "..., 10115 Berlin", "..., Cambridge.")
_TAIL = (
    rf"(?:,?\s+(?:{_CITYW}\s?){{1,3}}(?:,?\s+(?:{_STATES}))?,?\s+(?:{_ZIP}|{_UK_POSTCODE})\b"
    rf"|,?\s+(?:{_STATES}),?\s+{_ZIP}\b"
    rf"|,?\s+{_UK_POSTCODE}\b"
    rf"|,\s*\d{{4,5}}\s+{_CITYW}(?:\s+{_CITYW})?"
    rf"|,\s+{_CITYW}(?:\s+{_CITYW})?(?![\w'-]))?"
)
_ADDRESS = re.compile(
    rf"(?:\b\d{{1,5}}[A-Za-z]?,?\s+(?:{_CAPW}\s+){{1,4}}(?:{_STREET})\b\.?"
    r"|\b(?:Rua|Calle|Via|Rue|Avenida|Strasse|Straße|Carrer)\s+(?:(?:d[aeo]s?|de la|del|du)\s+)?"
    r"(?:[A-Z][\w'-]*\s*){1,4},?\s*\d{1,5}[A-Za-z]?\b"
    r"|\b[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|platz|gasse|allee|damm|ring|laan|straat"
    r"|gracht|plein|vej|gatan|vägen)\s+\d{1,4}[a-z]?\b)"
    + _TAIL
    + rf"|\b(?:{_CAPW}\s){{0,2}}{_CAPW},\s+(?:{_STATES})\s+{_ZIP}\b"
    + r"|(?<![\w-])[A-Z]{1,2}\d[A-Z\d]?\s\d[A-Z]{2}(?![\w-])"
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


def _replace_spans(
    text: str, kind: str, spans: Iterable[tuple[int, int]], counts: Counter[str]
) -> str:
    """``text`` with each of the (non-overlapping, first kept) spans replaced by ``[KIND]``."""
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if start < end and (not chosen or start >= chosen[-1][1]):
            chosen.append((start, end))
    for start, end in reversed(chosen):
        text = f"{text[:start]}[{kind}]{text[end:]}"
    if chosen:
        counts[kind] += len(chosen)
    return text


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
        given_names: Also take every ``Given Surname`` whose first word is a common given name
            for a name, with no cue around it. Catches names mentioned in passing, but also
            every public figure ("Tom Hanks"); off by default.
    """

    def __init__(
        self, *, names: Iterable[str] = (), keep: Iterable[str] = (), given_names: bool = False
    ) -> None:
        require_pii_extra()
        self._given_names = given_names
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
        for name in cued_names(text):
            self.add_name(name)
        if self._given_names:
            for name in full_names(text):
                self.add_name(name)

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
                if kind == "PHONE":
                    digits = re.sub(r"\D", "", found)
                    grouped = found.startswith("+") or re.search(r"[ .()-]", found) is not None
                    if not (7 <= len(digits) <= 15 and grouped) or _DATE.fullmatch(found):
                        return found
                    if _YEARS.fullmatch(found) or _YEARS.match(found):
                        return found
                return _count(found)

            def _count(found: str) -> str:
                counts[kind] += 1
                return f"[{kind}]"

            return pattern.sub(repl, value)

        text = sub("EMAIL", _EMAIL, text)
        text = sub("URL", _URL, text)
        text = _replace_spans(text, "IBAN", find_ibans(text), counts)
        text = _replace_spans(text, "CARD", find_cards(text), counts)
        text = _replace_spans(text, "IP", find_ips(text), counts)
        for kind in ("PASSPORT", "ID"):
            spans = [span for k, span in find_ids(text) if k == kind]
            text = _replace_spans(text, kind, spans, counts)
        text = sub("ADDRESS", _ADDRESS, text)  # before phones: a postcode is not a phone
        text = _replace_spans(text, "PHONE", find_phones(text), counts)
        text = sub("PHONE", _PHONE, text)
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
