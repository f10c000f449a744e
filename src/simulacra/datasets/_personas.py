"""Real personas: participants' own questionnaire answers turned into :class:`Persona` s.

- **CaSiNo** (CC BY 4.0; Chawla et al., 2021): per participant, demographics, social value
  orientation and the Ten-Item Personality Inventory (Big Five on a 1–7 scale, with emotional
  stability instead of neuroticism), plus their camping-trip priorities and reasons.
- **PersuasionForGood** (Apache-2.0; Wang et al., 2019): per participant, demographics, Big Five
  (1–5), moral foundations and Schwartz values.

Outcomes (points, satisfaction, donations) are *not* put into personas: they are what a fidelity
study compares against, and must not leak into prompts. Persona ids let a study join them back.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from simulacra.datasets._casino_json import casino_files, casino_records
from simulacra.errors import ConfigError
from simulacra.profiles import Persona

__all__ = ["casino_personas", "persuasionforgood_personas"]

_SCHWARTZ = [
    "conform",
    "tradition",
    "benevolence",
    "universalism",
    "self_direction",
    "stimulation",
    "hedonism",
    "achievement",
    "power",
    "security",
]


def _seven_to_five(x: float) -> float:
    """Map a 1–7 score onto the 1–5 scale."""
    return round(1 + (x - 1) * 4 / 6, 3)


def casino_personas(path: str | Path) -> Iterator[Persona]:
    """Personas of the CaSiNo participants in one split file (e.g. ``casino_valid.json``) or a
    folder of them (``data/split``).

    Raises:
        ConfigError: If a file is missing or not in the CaSiNo format.
    """
    for file in casino_files(path):
        for index, dialogue in enumerate(casino_records(file)):
            try:
                for agent, info in sorted(dialogue["participant_info"].items()):
                    yield _casino_persona(f"casino:{dialogue['dialogue_id']}:{agent}", info)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ConfigError(f"{file}: dialogue {index}: missing or bad field {exc}") from None


def _casino_persona(pid: str, info: dict[str, Any]) -> Persona:
    demo = info["demographics"]
    traits = info["personality"]["big-five"]
    priorities = {level: item for level, item in info["value2issue"].items()}
    reasons = info.get("value2reason", {})
    description = (
        f"You are going camping. {priorities['High']} matters most to you "
        f"({reasons.get('High', '').strip()}), then {priorities['Medium']}, "
        f"then {priorities['Low']}."
    )
    return Persona(
        id=pid,
        name="Camper",
        description=description,
        demographics={
            "age": int(demo["age"]),
            "gender": demo.get("gender"),
            "education": demo.get("education"),
        },
        big_five={
            "openness": _seven_to_five(float(traits["openness-to-experiences"])),
            "conscientiousness": _seven_to_five(float(traits["conscientiousness"])),
            "extraversion": _seven_to_five(float(traits["extraversion"])),
            "agreeableness": _seven_to_five(float(traits["agreeableness"])),
            "neuroticism": _seven_to_five(8 - float(traits["emotional-stability"])),
        },
        attributes={
            "ethnicity": str(demo.get("ethnicity", "")),
            "social_value_orientation": str(info["personality"].get("svo", "")),
        },
    )


def persuasionforgood_personas(path: str | Path) -> Iterator[Persona]:
    """Personas of the PersuasionForGood participants (``full_info.csv`` or its folder).

    Raises:
        ConfigError: If the file is missing or not in the PersuasionForGood format.
    """
    path = Path(path)
    file = path / "full_info.csv" if path.is_dir() else path
    try:
        handle = file.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc})") from None
    with handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                yield _p4g_persona(row)
            except (KeyError, ValueError) as exc:
                raise ConfigError(f"{file}:{line}: missing or bad field {exc}") from None


def _number(value: str) -> float | None:
    return float(value) if value not in ("", "NA") else None


def _p4g_persona(row: dict[str, str]) -> Persona:
    role = "persuader" if row["B4"] == "0" else "persuadee"
    values = {name: _number(row[f"{name}.x"]) for name in _SCHWARTZ}
    top = [k.replace("_", "-") for k, v in sorted(values.items(), key=lambda kv: -(kv[1] or 0))][:3]
    age = _number(row["age.x"])
    big_five = {
        "extraversion": _number(row["extrovert.x"]),
        "agreeableness": _number(row["agreeable.x"]),
        "conscientiousness": _number(row["conscientious.x"]),
        "neuroticism": _number(row["neurotic.x"]),
        "openness": _number(row["open.x"]),
    }
    return Persona(
        id=f"p4g:{row['B3']}:{row['B2']}",
        name="Participant",
        description=f"You took part in an online study as the {role}.",
        demographics={
            "age": int(age) if age is not None else None,
            "gender": row["sex.x"] or None,
            "education": row["edu.x"] or None,
        },
        values=top,
        big_five=big_five if any(v is not None for v in big_five.values()) else None,
        attributes={
            k: row[f"{k}.x"]
            for k in ("race", "marital", "employment", "religion", "ideology")
            if row.get(f"{k}.x")
        },
    )
