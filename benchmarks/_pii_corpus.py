"""A seeded corpus of planted personal data for ``benchmarks/pii_redaction.py`` (and its test).

Every item is one chat message with one planted value; ``pieces`` are the parts that must all
disappear for the item to count as caught (for an address: house number and street, city and
postcode). Values are synthetic: numbers pass the checksums real ones pass (IBAN mod 97, Luhn,
SSN rules), names and streets are made up or common.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from stdnum import iban, luhn

__all__ = ["CATEGORIES", "PlantedItem", "planted_corpus"]


@dataclass(frozen=True)
class PlantedItem:
    category: str
    text: str
    pieces: tuple[str, ...]


FIRST = (  # noqa: SIM905
    "Anna Robert Priya Daniel Sofia Tomasz Chiara Kwame Aisha Lukas Mei Olusegun Ingrid Rafael "
    "Hannah Yusuf Elena Kenji Fatima Mateo Zainab Bjorn Leila Dmitri Grace Nikhil Camille Oren"
).split()
LAST = (  # noqa: SIM905
    "Smith Okafor Kowalski Lindqvist Moreau Tanaka Haddad Novak Ferreira Brennan Achebe Schulz "
    "Varga Delgado Nakamura Oyelaran Petrov Whitfield Castellano Abernathy"
).split()

CARRIERS = (
    "Sure, {}.",
    "You can reach me at {} if anything changes.",
    "ok here it is: {}",
    "Please note {} for the booking.",
    "{} - that's the one I use.",
    "my details are {}, thanks!",
)


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _phone_intl(rng: random.Random) -> str:
    forms = [
        lambda: f"+44 7700 900{_digits(rng, 3)}",
        lambda: f"+447700900{_digits(rng, 3)}",
        lambda: f"+44 20 7946 0{_digits(rng, 3)}",
        lambda: f"+49 30 {rng.randint(200000, 999999)}",
        lambda: f"+49 151 {_digits(rng, 4)} {_digits(rng, 4)}",
        lambda: f"+33 6 {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)}",
        lambda: f"+34 6{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}",
        lambda: f"+39 3{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 4)}",
        lambda: f"+31 6 {_digits(rng, 8)}",
        lambda: f"+1 (415) 555-{_digits(rng, 4)}",
        lambda: f"+1-212-555-{_digits(rng, 4)}",
        lambda: f"+91 98{_digits(rng, 3)} {_digits(rng, 5)}",
        lambda: f"+61 4{_digits(rng, 2)} {_digits(rng, 3)} {_digits(rng, 3)}",
        lambda: f"+55 11 9{_digits(rng, 4)}-{_digits(rng, 4)}",
        lambda: f"+351 912 {_digits(rng, 3)} {_digits(rng, 3)}",
    ]
    return rng.choice(forms)()


def _phone_local(rng: random.Random) -> str:
    area = rng.choice(["212", "415", "312", "617", "206", "555"])
    forms = [
        lambda: f"{area}{rng.randint(200, 999)}{_digits(rng, 4)}",
        lambda: f"({area}) {rng.randint(200, 999)}-{_digits(rng, 4)}",
        lambda: f"{area}-{rng.randint(200, 999)}-{_digits(rng, 4)}",
        lambda: f"{area}.{rng.randint(200, 999)}.{_digits(rng, 4)}",
        lambda: f"07700 900{_digits(rng, 3)}",
        lambda: f"020 7946 0{_digits(rng, 3)}",
        lambda: f"01223 {rng.randint(200000, 999999)}",
    ]
    return rng.choice(forms)()


_BBAN = {
    "DE": lambda rng: _digits(rng, 18),
    "GB": lambda rng: rng.choice(["NWBK", "BARC", "LOYD"]) + _digits(rng, 14),
    "FR": lambda rng: (
        _digits(rng, 10)
        + "".join(rng.choice("ABCDEFGH0123456789") for _ in range(11))
        + _digits(rng, 2)
    ),
    "ES": lambda rng: _digits(rng, 20),
    "NL": lambda rng: rng.choice(["ABNA", "INGB", "RABO"]) + _digits(rng, 10),
    "BE": lambda rng: _digits(rng, 12),
}


def _iban(rng: random.Random) -> str:
    while True:
        country = rng.choice(list(_BBAN))
        bban = _BBAN[country](rng)
        check = iban.calc_check_digits(f"{country}00{bban}")
        number = f"{country}{check}{bban}"
        if iban.is_valid(number):
            break
    if rng.random() < 0.5:
        return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
    return number


def _card(rng: random.Random) -> str:
    if rng.random() < 0.25:
        body = rng.choice(["34", "37"]) + _digits(rng, 12)
        number = body + luhn.calc_check_digit(body)
        sep = rng.choice([" ", "-", ""])
        return f"{number[:4]}{sep}{number[4:10]}{sep}{number[10:]}"
    body = rng.choice(["4", "51", "52", "55"])
    body += _digits(rng, 15 - len(body))
    number = body + luhn.calc_check_digit(body)
    sep = rng.choice([" ", "-", ".", ""])
    return sep.join(number[i : i + 4] for i in range(0, 16, 4))


def _ip(rng: random.Random) -> str:
    if rng.random() < 0.7:
        return ".".join(str(rng.randint(1, 254)) for _ in range(4))
    groups = [f"{rng.randint(0, 0xFFFF):x}" for _ in range(8)]
    if rng.random() < 0.5:
        return "2001:db8::" + ":".join(groups[:2])
    return ":".join(groups)


def _passport(rng: random.Random) -> tuple[str, str]:
    number = rng.choice(
        [
            _digits(rng, 9),
            rng.choice("ABCEFGHJKLMNPRTVX") + _digits(rng, 8),
            "C"
            + _digits(rng, 1)
            + "".join(rng.choice("0123456789CFGHJKLMNPRTVWXYZ") for _ in range(7)),
            _digits(rng, 2) + rng.choice(["AB", "CK", "FR"]) + _digits(rng, 5),
        ]
    )
    cue = rng.choice(
        [
            "my passport number is {}",
            "Passport no. {}",
            "passport: {}",
            "passport # {}",
            "the passport number {} expires in May",
        ]
    )
    return cue.format(number), number


def _national_id(rng: random.Random) -> tuple[str, str]:
    kind = rng.random()
    if kind < 0.5:
        area = rng.choice([n for n in range(1, 900) if n != 666])
        number = f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"
        cue = rng.choice(["my SSN is {}", "social security number {}", "SSN: {}", "{}"])
    elif kind < 0.75:
        number = (
            rng.choice(["AB", "CE", "JG", "PR", "ZX"])
            + f" {_digits(rng, 2)} {_digits(rng, 2)} {_digits(rng, 2)} "
            + rng.choice("ABCD")
        )
        cue = rng.choice(["NI number {}", "my national insurance number is {}"])
    else:
        number = rng.choice(["X", "Y"]) + _digits(rng, 7) + rng.choice("TRWAGMYFPD")
        cue = rng.choice(["my ID number is {}", "ID card: {}", "national ID {}"])
    return cue.format(number), number


def _address(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    n = str(rng.randint(1, 2400))
    forms = [
        (
            f"{n} {rng.choice(['Baker', 'Maple', 'Elm', 'Willow', 'Station'])} "
            f"{rng.choice(['Street', 'Road', 'Avenue', 'Lane'])}, "
            f"{rng.choice(['London', 'Leeds', 'Bristol'])} "
            f"{rng.choice(['NW1', 'LS2', 'BS8', 'SW11'])} {rng.randint(1, 9)}"
            f"{rng.choice(['AB', 'XE', 'TN', 'QD'])}",
            3,
        ),
        (
            f"{n} {rng.choice(['Evergreen', 'Oak', 'Pine', 'Sunset'])} "
            f"{rng.choice(['Terrace', 'Drive', 'Boulevard', 'Court'])}, "
            f"{rng.choice(['Springfield', 'Portland', 'Fair Haven'])}, "
            f"{rng.choice(['IL', 'OR', 'NY', 'TX'])} {_digits(rng, 5)}",
            3,
        ),
        (
            f"{rng.choice(['Haupt', 'Linden', 'Berliner', 'Garten'])}"
            f"{rng.choice(['straße', 'strasse', 'weg', 'allee'])} {rng.randint(1, 120)}, "
            f"{_digits(rng, 5)} {rng.choice(['Berlin', 'München', 'Hamburg'])}",
            3,
        ),
        (
            f"{n} {rng.choice(['High', 'Mill', 'Church'])} Street, "
            f"{rng.choice(['Cambridge', 'Oxford', 'York'])}",
            2,
        ),
        (
            f"{rng.choice(['Rua', 'Calle', 'Via'])} {rng.choice(['das Flores', 'Mayor', 'Roma'])} "
            f"{rng.randint(1, 300)}, {rng.choice(['Lisboa', 'Madrid', 'Milano'])}",
            2,
        ),
    ]
    text, _ = rng.choice(forms)
    parts = [p.strip() for p in text.split(",")]
    pieces = [p for part in parts for p in part.split() if any(ch.isdigit() for ch in p)]
    pieces += [parts[-1].split()[0] if not parts[-1][0].isdigit() else parts[-1].split()[-1]]
    street = parts[0].split()
    pieces += [w for w in street if w[:1].isupper()][:1]
    return text, tuple(dict.fromkeys(pieces))


def _name_cued(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    forms = [
        (f"My wife {first} will join us.", (first,)),
        (f"my brother {first} {last} is coming too", (first, last)),
        (f"I spoke to Mr. {last} yesterday.", (last,)),
        (f"Dr {last} said it was fine.", (last,)),
        (f"Hi {first}, can you check the order?", (first,)),
        (f"Thanks for the help. Cheers, {first}", (first,)),
        (f"See you then!\n- {first} {last}", (first, last)),
        (f"I work with a guy named {first} {last} on this.", (first, last)),
        (f"Our neighbour {first} has the spare key.", (first,)),
        (f"Please ask for Mrs {last} at the desk.", (last,)),
    ]
    return rng.choice(forms)


def _name_intro(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    forms = [
        (f"Hello, my name is {first} {last}.", (first, last)),
        (f"Call me {first}.", (first,)),
        (f"Hi, I'm {first}, I booked last week.", (first,)),
    ]
    return rng.choice(forms)


def _name_bare(rng: random.Random) -> tuple[str, tuple[str, ...]]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    forms = [
        f"Tell {first} {last} I'll be late.",
        f"{first} {last} will pick up the keys.",
        f"Can you send the invoice to {first} {last}?",
        f"I met {first} {last} at the conference.",
        f"The reservation is under {first} {last}.",
    ]
    return rng.choice(forms), (first, last)


def _email(rng: random.Random) -> str:
    return (
        f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{rng.randint(1, 99)}@"
        f"{rng.choice(['example.com', 'mail.co.uk', 'post.de'])}"
    )


def _url(rng: random.Random) -> str:
    return f"https://{rng.choice(['example.org', 'my-site.net'])}/u/{_digits(rng, 6)}?ref=chat"


CATEGORIES = (
    "EMAIL",
    "URL",
    "PHONE_INTL",
    "PHONE_LOCAL",
    "IBAN",
    "CARD",
    "IP",
    "PASSPORT",
    "NATIONAL_ID",
    "ADDRESS",
    "NAME_INTRODUCED",
    "NAME_CUED",
    "NAME_BARE",
)


def planted_corpus(per_category: int = 100, seed: int = 21) -> list[PlantedItem]:
    """``per_category`` items of each of :data:`CATEGORIES`, seeded."""
    rng = random.Random(seed)
    items: list[PlantedItem] = []
    simple = {
        "EMAIL": _email,
        "URL": _url,
        "PHONE_INTL": _phone_intl,
        "PHONE_LOCAL": _phone_local,
        "IBAN": _iban,
        "CARD": _card,
        "IP": _ip,
    }
    for category in CATEGORIES:
        for _ in range(per_category):
            if category in simple:
                value = simple[category](rng)
                text = rng.choice(CARRIERS).format(value)
                pieces: tuple[str, ...] = (value,)
            elif category == "PASSPORT":
                text, value = _passport(rng)
                pieces = (value,)
            elif category == "NATIONAL_ID":
                text, value = _national_id(rng)
                pieces = (value,)
            elif category == "ADDRESS":
                value, pieces = _address(rng)
                text = rng.choice(["I live at {}.", "Deliver it to {} please", "{} is my address"])
                text = text.format(value)
            elif category == "NAME_INTRODUCED":
                text, pieces = _name_intro(rng)
            elif category == "NAME_CUED":
                text, pieces = _name_cued(rng)
            else:
                text, pieces = _name_bare(rng)
            items.append(PlantedItem(category, text, pieces))
    return items
