"""PersuasionForGood (Wang et al., 2019; Apache-2.0) → conversations.

Reads ``full_dialog.csv`` (one row per utterance: ``Unit``, ``Turn``, ``B4`` role, ``B2``
dialogue id) and, beside it, ``full_info.csv`` (questionnaires). Rows of one speaker in one turn
would be joined into one utterance (the released file has none; the 300 annotated dialogues in
``AnnotatedData/*.xlsx`` are sentence-split, and are not read). Convention: the **persuadee**
(``B4 = 1``) is the ``user`` — the person an AI persuader would talk to — and the persuader the
``system`` side (``user_role="persuader"`` swaps them); both are humans (kind ``human``). The
user's profile is their questionnaire (:func:`persuasionforgood_personas`); their actual
donation goes into ``metadata.outcome.donation`` (never into the profile).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import CorpusInfo, RealTurn, build_conversation
from simulacra.datasets._personas import _p4g_persona
from simulacra.errors import ConfigError
from simulacra.profiles import Persona

__all__ = ["PERSUASIONFORGOOD", "read_persuasionforgood"]

PERSUASIONFORGOOD = CorpusInfo(
    name="persuasionforgood",
    source="PersuasionForGood (Wang et al., 2019; via Sea-Snell/persuasionforgood)",
    licence="Apache-2.0",
    citation=(
        "Wang et al., 2019, Persuasion for Good: Towards a Personalized Persuasive Dialogue "
        "System for Social Good, ACL"
    ),
)

_ROLES = {"persuader": "0", "persuadee": "1"}
_GOALS = {
    "persuadee": "Chat with another participant about the charity Save the Children and decide "
    "whether to donate some of your task payment.",
    "persuader": "Persuade the other participant to donate some of their task payment to the "
    "charity Save the Children.",
}


def _open(file: Path) -> list[dict[str, str]]:
    try:
        with file.open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc.strerror or exc})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{file}: not a CSV file ({exc})") from None


def _personas(file: Path) -> dict[tuple[str, str], tuple[Persona, str]]:
    if not file.is_file():
        return {}
    out = {}
    for line, row in enumerate(_open(file), start=2):
        try:
            out[(row["B2"], row["B4"])] = (_p4g_persona(row), row.get("B6", ""))
        except (KeyError, ValueError) as exc:
            raise ConfigError(f"{file}:{line}: missing or bad field {exc}") from None
    return out


def read_persuasionforgood(
    path: str | Path, *, limit: int | None = None, user_role: str = "persuadee"
) -> Iterator[Conversation]:
    """The dialogues of ``full_dialog.csv`` (or its folder), in file order."""
    if user_role not in _ROLES:
        raise ConfigError(f"user_role: must be persuadee or persuader, got {user_role!r}")
    p = Path(path)
    file = p / "full_dialog.csv" if p.is_dir() else p
    if not file.is_file():
        raise ConfigError(f"{file}: file not found")
    rows = _open(file)
    if rows and not {"Unit", "Turn", "B4", "B2"} <= set(rows[0]):
        missing = sorted({"Unit", "Turn", "B4", "B2"} - set(rows[0]))
        raise ConfigError(f"{file}: missing column(s) {', '.join(missing)} (not full_dialog.csv)")
    personas = _personas(file.with_name("full_info.csv"))
    dialogues: dict[str, list[tuple[str, str, str]]] = {}
    for line, row in enumerate(rows, start=2):
        if row["B4"] not in ("0", "1"):
            raise ConfigError(f"{file}:{line}: B4 (role) must be 0 or 1, got {row['B4']!r}")
        dialogues.setdefault(row["B2"], []).append((row["B4"], row["Turn"], row["Unit"].strip()))
    user_code = _ROLES[user_role]
    other = "persuader" if user_role == "persuadee" else "persuadee"
    for count, (did, units) in enumerate(dialogues.items()):
        if limit is not None and count >= limit:
            return
        turns: list[RealTurn] = []
        key = None
        for role, turn, text in units:
            side = "user" if role == user_code else "system"
            if key == (role, turn) and turns:
                turns[-1] = RealTurn(side, f"{turns[-1].text} {text}".strip())
            else:
                turns.append(RealTurn(side, text))
            key = (role, turn)
        profile, donation = personas.get((did, user_code), (None, ""))
        meta: dict[str, str | float | None] = {"goal": _GOALS[user_role]}
        if donation not in ("", "NA"):
            meta["outcome.donation"] = float(donation)
        yield build_conversation(
            info=PERSUASIONFORGOOD,
            file=file,
            id=did,
            turns=turns,
            user_name=user_role.capitalize(),
            system_name=other.capitalize(),
            system_kind=ParticipantKind.HUMAN,
            user_role=user_role,
            system_role=other,
            scenario_id=f"persuasionforgood:{user_role}",
            metadata=meta,
            user_profile=profile,
        )
