"""Detectors of the PII redactor that use well-kept libraries and checksums (the ``pii`` extra).

- phone numbers: ``phonenumbers`` (Google's libphonenumber): international numbers in any
  layout, and national numbers of :data:`PHONE_REGIONS`;
- IBANs and card numbers: ``python-stdnum`` checksums (ISO 13616 mod 97, Luhn), with spaces,
  dashes or dots between the groups;
- IP addresses (IPv4, IPv6) through :mod:`ipaddress`;
- passport and national id numbers: after a cue (``passport number``, ``ID number``, ``social
  security number``...), plus US SSNs (``stdnum.us.ssn``) and UK National Insurance numbers by
  their layout;
- names no phrase introduces: a title (``Mr``, ``Dr``), a relation (``my wife X``), a greeting
  or sign-off (``Hi X,``, ``Thanks, X``), ``named X``, and full names whose first word is a
  common given name (``profiles/data/given_names.yaml``).

Each ``find_*`` returns ``(start, end)`` spans of the text to replace.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import cache
from importlib import resources

import yaml

from simulacra.errors import MissingExtraError

__all__ = [
    "PHONE_REGIONS",
    "cued_names",
    "find_cards",
    "find_ibans",
    "find_ids",
    "find_ips",
    "find_phones",
    "full_names",
    "require_pii_extra",
]

PHONE_REGIONS = ("US", "GB")
"""Regions whose national numbers (no ``+``) are found: US/Canada 7 or 10 digits, UK numbers
starting with ``0``. International numbers (``+49 30 901820``) are found from any country."""

Span = tuple[int, int]


def require_pii_extra() -> None:
    """Raise :class:`MissingExtraError` unless ``phonenumbers`` and ``stdnum`` import."""
    try:
        import phonenumbers  # noqa: F401
        import stdnum  # noqa: F401
    except ImportError:
        raise MissingExtraError("pii", "PII redaction") from None


_YEAR_AND = re.compile(r"(?:1[5-9]|20)\d\d\s+\d{1,3}")
_YEAR_RANGE = re.compile(r"(?:1[5-9]|20)\d\d\s*[-–/]\s*(?:(?:1[5-9]|20)\d\d|\d\d)")


def find_phones(text: str) -> Iterator[Span]:
    """Phone numbers (``+447700900123``, ``+49 30 901820``, ``5551234567``, ``(212) 555-0147``,
    ``020 7946 0018``); year ranges (``1977-1983``) are not numbers."""
    if sum(ch.isdigit() for ch in text) < 7:
        return
    import phonenumbers
    from phonenumbers import Leniency

    seen: set[Span] = set()
    for region in PHONE_REGIONS:
        for match in phonenumbers.PhoneNumberMatcher(text, region, leniency=Leniency.POSSIBLE):
            raw = match.raw_string
            if _YEAR_RANGE.fullmatch(raw.strip()) or _YEAR_AND.fullmatch(raw.strip()):
                continue
            international = raw.lstrip("(").startswith("+")
            national_gb = raw.lstrip("(").startswith("0") and sum(c.isdigit() for c in raw) >= 10
            if region == "GB" and not international and not national_gb:
                continue
            span = (match.start, match.end)
            before, after = text[max(match.start - 1, 0) : match.start], text[match.end :]
            if before in {",", "$", "£", "€", "."} or re.match(r"[,.]\d", after):
                continue  # part of an amount ("$50,000 1,100")
            if span not in seen:
                seen.add(span)
                yield span


_IBAN_START = re.compile(r"\b[A-Z]{2}\d{2}")
_IBAN = re.compile(r"[A-Z]{2}\d{2}(?:[ -]?[A-Z0-9]{1,4}){3,8}\b")


def find_ibans(text: str) -> Iterator[Span]:
    """IBANs passing the ISO 13616 checksum, grouped or not (``DE89 3704 0044 0532 0130 00``)."""
    from stdnum import iban

    done = 0
    for start in _IBAN_START.finditer(text):
        match = _IBAN.match(text, start.start())
        if start.start() < done or match is None:
            continue
        candidate = match.group(0)
        # the pattern may run into a following word: try shorter prefixes, group by group
        cuts = [m.start() for m in re.finditer(r"[ -]", candidate)] + [len(candidate)]
        for cut in reversed(cuts):
            if iban.is_valid(candidate[:cut]):
                done = match.start() + cut
                yield match.start(), done
                break


_CARD = re.compile(r"(?<![\w.,-])\d(?:[ .-]?\d){12,18}(?![\w-]|[.,]\d)")
_CARD_LAYOUT = re.compile(r"\d{4}([ .-])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?|\d{4}([ .-])\d{6}\2\d{5}")


def find_cards(text: str) -> Iterator[Span]:
    """Card numbers: 13–19 digits passing the Luhn check, with or without spaces, dashes or
    dots between groups; also the 4×4 and 4-6-5 layouts whatever their check digit."""
    from stdnum import luhn

    for match in _CARD.finditer(text):
        found = match.group(0)
        digits = re.sub(r"\D", "", found)
        if luhn.is_valid(digits) or _CARD_LAYOUT.fullmatch(found):
            yield match.span()


_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def find_ips(text: str) -> Iterator[Span]:
    """IPv4 and IPv6 addresses (checked by :mod:`ipaddress`)."""
    for pattern in (_IPV4, _IPV6):
        for match in pattern.finditer(text):
            found = match.group(0)
            if pattern is _IPV6 and (found.count(":") < 2 or not re.search(r"[0-9A-Fa-f]", found)):
                continue
            try:
                ipaddress.ip_address(found)
            except ValueError:
                continue
            yield match.span()


_ID_CUE = re.compile(
    r"\b(?P<kind>passport|social security|national insurance|national id(?:entity)?|identity "
    r"card|id card|id|driver'?s licen[cs]e|driving licen[cs]e|licen[cs]e|tax id|personalausweis|"
    r"dni|nie|nif|codice fiscale|aadhaar|pan|ssn|ni|sin|nhs)"
    r"(?:\s+(?:card\s+)?(?:number|no\.?|num|nr\.?|#))?"
    r"(?:\s+(?:is|was|:))?\s*[:#]?\s*"
    r"(?P<value>(?-i:[A-Z0-9]+(?:[ -][A-Z0-9]+){0,4}))\b",
    re.IGNORECASE,
)
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")
_NINO = re.compile(r"\b[A-CEGHJ-PR-TW-Z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b")


def find_ids(text: str) -> Iterator[tuple[str, Span]]:
    """``("PASSPORT" | "ID", span)``: a number after a passport or id cue (it must hold a
    digit), US SSNs and UK National Insurance numbers by their layout."""
    from stdnum.us import ssn

    for match in _ID_CUE.finditer(text):
        value = match.group("value")
        tokens = value.split()
        # keep the tokens that look like parts of the number
        keep = 0
        for i, token in enumerate(tokens):
            upper = token.isupper() and token.isalpha()
            if any(ch.isdigit() for ch in token) or (upper and (i == 0 or keep == i)):
                keep = i + 1
            else:
                break
        value = " ".join(tokens[:keep])
        if not any(ch.isdigit() for ch in value) or len(re.sub(r"\W", "", value)) < 5:
            continue
        kind = "PASSPORT" if match.group("kind").lower() == "passport" else "ID"
        start = match.start("value")
        yield kind, (start, start + len(value))
    for match in _SSN.finditer(text):
        if ssn.is_valid(match.group(0)):
            yield "ID", match.span()
    for match in _NINO.finditer(text):
        yield "ID", match.span()


_CAP = r"[A-Z][a-z'’-]+"
_TITLES = "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Sir|Madam|Herr|Frau|Señor|Señora"
_TITLE = re.compile(rf"\b(?:{_TITLES})\.?\s+({_CAP}(?:\s+{_CAP})?)")
_RELATIONS = (
    "wife|husband|son|daughter|friend|boss|colleague|partner|brother|sister|mother|father|mum|"
    "mom|dad|neighbou?r|doctor|manager|girlfriend|boyfriend|fianc[ée]e?|cousin|uncle|aunt|"
    "grandma|grandpa|grandmother|grandfather|nephew|niece|roommate|flatmate|landlord|landlady|"
    "teacher|assistant|kid|child|baby|coworker|co-worker|therapist|lawyer|dentist"
)
_RELATION = re.compile(
    rf"\b(?i:my|our|his|her|their)\s+(?i:(?:best|old|little|big|younger|older)\s+)?"
    rf"(?i:{_RELATIONS})s?,?\s+({_CAP}(?:\s+{_CAP})?)"
)
_NAMED = re.compile(
    rf"\b(?i:guy|man|woman|girl|boy|lady|person|someone|somebody|friend|kid|child|son|daughter|"
    rf"colleague|coworker|doctor|teacher|nurse|agent|he|she|he's|she's|he is|she is)\s+"
    rf"(?i:named|called|by the name of)\s+({_CAP}(?:\s+{_CAP})?)"
)
_GREETING = re.compile(rf"(?:^|[.!?]\s+)(?i:hi|hello|hey|dear|thanks|thank you)\s+({_CAP})\b[,!.]")
_SIGN_OFF = re.compile(
    rf"(?i:thanks|thank you|cheers|regards|best|love|sincerely|yours|see you)[,!.]?\s+[-—–]?\s*"
    rf"({_CAP}(?:\s+{_CAP})?)\s*[.!]?\s*$"
)
_DASH_SIGN = re.compile(rf"(?:^|\s)[-—–]\s?({_CAP}(?:\s+{_CAP})?)\s*$")


def cued_names(text: str) -> Iterator[str]:
    """Names after a title, a relation, ``named``, a greeting or a sign-off."""
    for pattern in (_TITLE, _RELATION, _NAMED, _GREETING, _SIGN_OFF, _DASH_SIGN):
        for match in pattern.finditer(text):
            yield match.group(1)


@cache
def _given_names() -> frozenset[str]:
    raw = resources.files("simulacra.profiles").joinpath("data/given_names.yaml").read_text("utf-8")
    data = yaml.safe_load(raw)
    return frozenset(str(data["names"]).split())


# Words after a given name that make it a place or a business, not a person.
_NOT_SURNAMES = frozenset(
    """
    Street Road Avenue Lane Drive Court Square Place Hotel House Lodge College Cafe Café Restaurant
    Museum Church Hall Guesthouse Guest Gallery Park Centre Center Theatre Theater Pool Bed Inn
    Bar Pub Grill Kitchen Arms Station Bridge Hospital School University Library Gardens Garden
    Airport Stadium Island Bay Beach Tower Building Chapel Cathedral Market Mall Shop Store
    Company Inc Ltd Foundation Award Awards Prize Trophy Cup Show Movie Film Series Day Street's
    """.split()  # noqa: SIM905
)
_FULL_NAME = re.compile(rf"\b([A-Z][a-z]+)(?=\s+((?:[A-Z]['’]|Mc|Mac|O['’])?{_CAP})\b)")


def full_names(text: str) -> Iterator[str]:
    """``Given Surname`` where the first word is a common given name and the second a
    capitalised word that is not a place or business word (``Alexander Hotel`` is kept)."""
    given = _given_names()
    for match in _FULL_NAME.finditer(text):
        first, second = match.group(1), match.group(2)
        if first in given and second not in _NOT_SURNAMES and second not in given:
            yield f"{first} {second}"
