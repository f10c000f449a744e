"""PII redaction of what issue #21 found passing through: phone numbers in any layout, IBANs,
cards with dots, passport and id numbers, IP addresses, ZIP/city beside an address, names after
a cue; and what it must leave alone (years, times, prices, public corpora)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from simulacra.datasets._multiwoz_adapter import read_multiwoz
from simulacra.profiles._pii import Redactor

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT.parent / "shared" / "data"


def _redact(text: str, **kwargs: bool) -> str:
    r = Redactor(**kwargs)
    r.learn(text)
    return r.redact(text, source="t")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("call +447700900123 today", "call [PHONE] today"),
        ("Berlin office: +49 30 901820.", "Berlin office: [PHONE]."),
        ("my cell is 5551234567", "my cell is [PHONE]"),
        ("(212) 555-0147 or 020 7946 0018", "[PHONE] or [PHONE]"),
        ("IBAN DE89370400440532013000 please", "IBAN [IBAN] please"),
        ("to GB82 WEST 1234 5698 7654 32 thanks", "to [IBAN] thanks"),
        ("card 4111.1111.1111.1111 ok", "card [CARD] ok"),
        ("card 4111-1111-1111-1111 ok", "card [CARD] ok"),
        ("my passport number is 533380006.", "my passport number is [PASSPORT]."),
        ("Passport no. C01X00T47", "Passport no. [PASSPORT]"),
        ("SSN 536-22-8736", "SSN [ID]"),
        ("NI number AB 12 34 56 C", "NI number [ID]"),
        ("ssh to 192.168.10.24 or 2001:db8::8a2e:370:7334", "ssh to [IP] or [IP]"),
        ("I live at 12 Baker Street, London NW1 6XE.", "I live at [ADDRESS]."),
        ("742 Evergreen Terrace, Springfield, IL 62704", "[ADDRESS]"),
        ("Hauptstraße 5, 10115 Berlin", "[ADDRESS]"),
        ("My wife Anna and Dr Okafor", "My wife [NAME_1] and Dr [NAME_2]"),
        ("Hi Priya, see you. Thanks, Kwame", "Hi [NAME_1], see you. Thanks, [NAME_2]"),
        ("a guy named Tomasz Lindqvist", "a guy named [NAME_1]"),
    ],
)
def test_issue_examples_are_redacted(text: str, expected: str) -> None:
    assert _redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Olympic events from 1912-1952 and movies from 2016-2020.",
        "As of July 2015 600 billion parts were made.",
        "A table for 3 at 12:30 on 2024-03-12, reference 00000123.",
        "Those $50,000 1,100 pound flags!",
        "Version 1.2.3 of the app, train TR1234, 5 stars.",
        "I'm looking for a restaurant called The Missing Sock.",
        "Tom Hanks is my favourite actor.",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert _redact(text) == text


def test_given_names_option_finds_full_names_without_a_cue() -> None:
    text = "Tell Robert Smith I'll be late."
    assert _redact(text) == text  # the default misses it (documented)
    assert _redact(text, given_names=True) == "Tell [NAME_1] I'll be late."
    assert _redact("Dinner at the Alexander Hotel", given_names=True) == (
        "Dinner at the Alexander Hotel"
    )


def test_planted_corpus_recall_per_documented_category() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from _pii_corpus import planted_corpus
        from pii_redaction import DOCUMENTED, recall
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    result = recall(planted_corpus(40, seed=5), given_names=False)
    for category in DOCUMENTED:
        assert result[category]["recall"] >= 0.95, (category, result[category])


def test_real_multiwoz_user_turns_are_left_untouched() -> None:
    turns = [
        t.utterance
        for c in read_multiwoz(DATA / "multiwoz21" / "test.json.zip", limit=300)
        for t in c.turns
        if t.speaker == "user"
    ]
    assert len(turns) > 1500
    changed = [t for t in turns if _redact(t) != t]
    assert len(changed) / len(turns) <= 0.02, changed[:5]
