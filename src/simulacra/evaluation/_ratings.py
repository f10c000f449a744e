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

import csv
import json
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


def read_ratings(
    path: str | Path,
    *,
    mapping: Mapping[str, str] | None = None,
    level: Literal["turn", "dialogue"] = "turn",
) -> list[RatedItem]:
    """Read a generic ratings file (``.csv`` or ``.jsonl``).

    Args:
        path: The file.
        mapping: Field → column. Fields: ``score`` (required), ``response`` (required at turn
            level), ``context`` (a string, ``" ||| "``-separated turns, or a JSON list),
            ``id``, ``system``, ``dialogue``. Default: each field's own name.
        level: What one row is.

    Raises:
        ConfigError: If the file is missing or unreadable, a mapped column is missing, or a score
            is not a number.
    """
    p = Path(path)
    cols = {"score": "score", "response": "response", "context": "context", "id": "id"}
    cols.update(mapping or {})
    if not p.is_file():
        raise ConfigError(f"ratings file not found: {p}")
    try:
        if p.suffix == ".jsonl":
            rows = [
                json.loads(line)
                for line in p.read_text(encoding="utf-8").splitlines()
                if line.strip()
            ]
        else:
            rows = _csv_rows(p)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{p}: unreadable ratings file ({exc})") from None
    if not rows:
        raise ConfigError(f"{p}: no rows")
    required = ["score", "response"] if level == "turn" else ["score", "context"]
    optional_given = [f for f in ("system", "dialogue") if f in cols]
    for fieldname in [*required, *optional_given]:
        if cols[fieldname] not in rows[0]:
            raise ConfigError(
                f"{p}: column {cols[fieldname]!r} (mapped to {fieldname}) not found; columns: "
                + ", ".join(map(str, rows[0]))
            )
    out: list[RatedItem] = []
    for n, row in enumerate(rows, start=1):
        try:
            score = float(row[cols["score"]])
        except (TypeError, ValueError):
            raise ConfigError(
                f"{p}: row {n}: score {row[cols['score']]!r} is not a number"
            ) from None
        raw = row.get(cols["context"], "")
        context = raw if isinstance(raw, list) else [c for c in str(raw or "").split(" ||| ") if c]
        item = JudgeItem(
            id=str(row.get(cols["id"], n)),
            context=tuple(str(c) for c in context),
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
