"""Human ratings to meta-evaluate judges against: a generic reader and two adapters.

- :func:`read_ratings`: a CSV or JSONL file with a column mapping (``id``, ``score``,
  ``response``, ``context``, optional ``system`` and ``dialogue``);
- :func:`read_predictive_engagement`: Ghazarian et al. (2020). ``subset="dailydialog"``: 600
  query/response pairs (``Eng_Scores_queries_gen_gtruth_replies.csv``: 1,800 rows, one per
  annotator, ``human_score`` 1–5 averaged over the 3 annotators of each pair);
  ``"convai"``: 297 ConvAI pairs (``humanAMT_engscores_utt.csv``, binary ``label``);
- :func:`read_ab_redial`: ABA-ReDial (Siro et al., 2022). ``level="turn"``: each annotated
  system turn (two utterances of context), ``overallK`` averaged over the annotators;
  ``level="dialogue"``: each dialogue, ``dialogue-overall`` averaged over the annotators.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import json
import math
import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from simulacra.errors import ConfigError
from simulacra.evaluation._judge import JudgeItem

__all__ = ["RatedItem", "read_ab_redial", "read_predictive_engagement", "read_ratings"]


@dataclass(frozen=True)
class RatedItem:
    """A judged thing with its human rating.

    Attributes:
        item: What a judge sees.
        human: The human score (mean over annotators where there are several).
        level: ``turn`` or ``dialogue``.
        system: Which system produced it (for system-level correlation), if known.
        annotators: How many ratings were averaged.
    """

    item: JudgeItem
    human: float
    level: Literal["turn", "dialogue"]
    system: str | None = None
    annotators: int = 1


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


_FIELDS = ("score", "response", "context", "id", "system", "dialogue")


def _context(raw: object, where: str) -> tuple[str, ...]:
    """A context cell as turns: a JSON list (also inside a CSV cell), ``" ||| "``-separated
    turns, or one line."""
    if isinstance(raw, str) and raw.strip().startswith("[") and raw.strip().endswith("]"):
        with contextlib.suppress(ValueError):  # else plain text that happens to be bracketed
            raw = json.loads(raw)
    if isinstance(raw, list):
        if not all(isinstance(c, str) for c in raw):
            raise ConfigError(f"{where}: context is a JSON list but not a list of strings")
        return tuple(c for c in raw if c.strip())
    if raw is not None and not isinstance(raw, str):
        raise ConfigError(f"{where}: context must be a string or a list of strings")
    return tuple(c for c in (raw or "").split(" ||| ") if c.strip())


def read_ratings(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    level: Literal["turn", "dialogue"] = "turn",
) -> list[RatedItem]:
    """Read a generic ratings file (``.csv`` or ``.jsonl``).

    Every row is checked: each required or mapped column must be present; score, response (turn
    level), context (dialogue level), system and dialogue must not be null or empty; the score
    must be a finite number. Errors name the file and the line (CSV: the file's line, so the
    header is line 1).

    Args:
        path: The file.
        mapping: Field → column. Fields: ``score`` (required), ``response`` (required at turn
            level), ``context`` (a string, ``" ||| "``-separated turns, or a JSON list, also
            inside a CSV cell), ``id``, ``system``, ``dialogue``. Default: each field's own name.
            A column named in the mapping must be present in every row.
        level: What one row is.

    Raises:
        ConfigError: If the file is missing or unreadable, a field of the mapping is unknown, a
            row lacks a required column or has a null/empty value there, or a score is not a
            number (the message names the file and the line).
    """
    p = Path(path)
    given = dict(mapping or {})
    unknown = [f for f in given if f not in _FIELDS]
    if unknown:
        close = difflib.get_close_matches(unknown[0], _FIELDS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"--map: unknown field {unknown[0]!r}{hint}; fields: {', '.join(_FIELDS)}"
        )
    cols = {"score": "score", "response": "response", "context": "context", "id": "id"}
    cols.update(given)
    if not p.is_file():
        raise ConfigError(f"ratings file not found: {p}")
    jsonl = p.suffix == ".jsonl"
    rows: list[dict[str, object]] = []
    numbers: list[int] = []
    try:
        if jsonl:
            for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    raise ConfigError(f"{p}: line {n}: not JSON ({exc})") from None
                if not isinstance(row, dict):
                    raise ConfigError(f"{p}: line {n}: expected a JSON object")
                rows.append(row)
                numbers.append(n)
        else:
            with p.open(encoding="utf-8", newline="") as f:
                reader = csv.DictReader(f)
                for row in reader:
                    rows.append(dict(row))
                    numbers.append(reader.line_num)
    except (ValueError, UnicodeDecodeError, csv.Error) as exc:
        raise ConfigError(f"{p}: unreadable ratings file ({exc})") from None
    if not rows:
        raise ConfigError(f"{p}: no rows")
    # present in every row: the required fields and every mapped one; not null or empty: the
    # required fields, system and dialogue (an empty context or id is allowed)
    filled = ["score", "response"] if level == "turn" else ["score", "context"]
    filled += [f for f in ("system", "dialogue") if f in given]
    required = [*filled, *(f for f in given if f not in filled)]
    if not jsonl:  # a column missing from the CSV header: one message, with the columns
        for fieldname in required:
            if cols[fieldname] not in rows[0]:
                raise ConfigError(
                    f"{p}: column {cols[fieldname]!r} (mapped to {fieldname}) not found; "
                    "columns: " + ", ".join(map(str, rows[0]))
                )
    out: list[RatedItem] = []
    for n, row in zip(numbers, rows, strict=True):
        where = f"{p}: line {n}"
        for fieldname in required:
            if cols[fieldname] not in row:
                raise ConfigError(
                    f"{where}: column {cols[fieldname]!r} (mapped to {fieldname}) not found; "
                    "keys: " + ", ".join(map(str, row))
                )
            value = row[cols[fieldname]]
            empty = value is None or (isinstance(value, str) and not value.strip())
            if fieldname in filled and empty:
                what = "null" if value is None and jsonl else "empty"
                raise ConfigError(f"{where}: {fieldname} ({cols[fieldname]!r}) is {what}")
        raw_score = row[cols["score"]]
        try:
            if isinstance(raw_score, bool):
                raise TypeError
            score = float(raw_score)  # type: ignore[arg-type]
            if not math.isfinite(score):
                raise ValueError
        except (TypeError, ValueError):
            raise ConfigError(f"{where}: score {raw_score!r} is not a number") from None
        context = _context(row.get(cols["context"]), where)
        if level == "dialogue" and not context:
            raise ConfigError(f"{where}: context ({cols['context']!r}) has no turns")
        ident = row.get(cols["id"])
        item = JudgeItem(
            id=str(n if ident is None or ident == "" else ident),
            context=context,
            response=str(row[cols["response"]]) if level == "turn" else None,
            conversation_id=str(row[cols["dialogue"]]) if "dialogue" in cols else None,
        )
        system = str(row[cols["system"]]) if "system" in cols else None
        out.append(RatedItem(item=item, human=score, level=level, system=system))
    return out


def _require(path: Path) -> Path:
    if not path.is_file():
        raise ConfigError(f"ratings file not found: {path}")
    return path


def read_predictive_engagement(
    root: str | Path, *, subset: Literal["dailydialog", "convai"] = "dailydialog"
) -> list[RatedItem]:
    """Read the PredictiveEngagement human ratings (folder with ``data/``).

    Raises:
        ConfigError: If the expected file is missing.
    """
    data = Path(root) / "data"
    if subset == "convai":
        rows = _csv_rows(_require(data / "humanAMT_engscores_utt.csv"))
        return [
            RatedItem(
                item=JudgeItem(
                    id=f"convai:{r['id']}", context=(f"A: {r['query']}",), response=r["reply"]
                ),
                human=float(r["label"]),
                level="turn",
            )
            for r in rows
        ]
    rows = _csv_rows(_require(data / "Eng_Scores_queries_gen_gtruth_replies.csv"))
    # One row per annotator: 3 rows for each (query, response), averaged here.
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for r in rows:
        groups[(r["query"], r["response"])].append(float(r["human_score"]))
    return [
        RatedItem(
            item=JudgeItem(id=f"dd:{i}", context=(f"A: {query}",), response=response),
            human=statistics.fmean(scores),
            level="turn",
            annotators=len(scores),
        )
        for i, ((query, response), scores) in enumerate(groups.items())
    ]


def _speaker_line(cell: str) -> str:
    speaker, _, text = cell.partition("\t")
    return f"{speaker.strip().title()}: {text.strip()}" if text else cell.strip()


def read_ab_redial(
    root: str | Path, *, level: Literal["turn", "dialogue"] = "turn"
) -> list[RatedItem]:
    """Read the ABA-ReDial satisfaction ratings (folder with ``Data/``), averaged per item.

    Rows with an empty rating are skipped; an item's ``annotators`` counts the ratings.

    Raises:
        ConfigError: If the expected file is missing.
    """
    data = Path(root) / "Data"
    groups: dict[tuple[str, ...], list[float]] = defaultdict(list)
    items: dict[tuple[str, ...], JudgeItem] = {}
    if level == "turn":
        for r in _csv_rows(_require(data / "annotated_turns.csv")):
            for k in (1, 2, 3):
                score = r.get(f"overall{k}", "").strip()
                base = 4 * (k - 1)
                cells = [r.get(f"utterance{base + j}", "") or "" for j in range(4)]
                if not score or not cells[2].strip():
                    continue
                key: tuple[str, ...] = (r["ConvId"], str(k), cells[2])
                groups[key].append(float(score))
                items.setdefault(
                    key,
                    JudgeItem(
                        id=f"{r['ConvId']}:{k}",
                        context=tuple(_speaker_line(c) for c in cells[:2] if c.strip()),
                        response=cells[2].partition("\t")[2].strip() or cells[2],
                        conversation_id=r["ConvId"],
                        turn_index=k,
                    ),
                )
    else:
        for r in _csv_rows(_require(data / "annotated_dialogues.csv")):
            score = r.get("dialogue-overall", "").strip()
            if not score:
                continue
            lines = tuple(
                _speaker_line(r[f"utterance{i}"])
                for i in range(22)
                if (r.get(f"utterance{i}") or "").strip()
            )
            key = (r["ConvId"],)
            groups[key].append(float(score))
            items.setdefault(
                key, JudgeItem(id=r["ConvId"], context=lines, conversation_id=r["ConvId"])
            )
    seen: set[str] = set()
    out: list[RatedItem] = []
    for key, scores in groups.items():
        item = items[key]
        if item.id in seen:  # the same ConvId with different text: keep both, distinct ids
            item = JudgeItem(**{**item.__dict__, "id": f"{item.id}#{len(seen)}"})
        seen.add(item.id)
        out.append(
            RatedItem(
                item=item, human=statistics.fmean(scores), level=level, annotators=len(scores)
            )
        )
    return out
