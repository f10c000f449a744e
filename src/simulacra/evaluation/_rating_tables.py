"""Per-annotator rating tables of real corpora, for inter-annotator agreement (item → annotator →
score), read from the files in their original formats.

- :func:`engagement_table`: PredictiveEngagement (Ghazarian et al., 2020), the Amazon Mechanical
  Turk sheet ``DailyDialog_groungtruth_annotated.csv``: one row per HIT (an anonymised
  ``WorkerId`` and ten query/response pairs with ``Answer.pairK`` engagement scores 1-5); 300
  DailyDialog ground-truth responses, each scored by 3 workers.
  :func:`engagement_study` turns the same sheet into an annotation study and its ratings.
- :func:`ab_redial_table`: ABA-ReDial (Siro et al., 2022): one row per annotator of a dialogue
  (``annotated_dialogues.csv``) or of three system turns (``annotated_turns.csv``). The files
  carry no annotator ids: the annotators of an item are numbered in file order (``r1``, ``r2``,
  ...), which is all α and Fleiss' κ need (they do not assume the same people on every item),
  but not enough for Cohen's κ between two people.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from simulacra.errors import ConfigError
from simulacra.evaluation._annotation import FORMAT, Study, _study_id
from simulacra.evaluation._annotation_io import Rating, validate_rating
from simulacra.evaluation._rubric import load_rubric

__all__ = ["AB_REDIAL_ASPECTS", "ab_redial_table", "engagement_study", "engagement_table"]

AB_REDIAL_ASPECTS = {
    "turn": ("overall", "relevance", "interestingness"),
    "dialogue": (
        "dialogue-overall",
        "understanding",
        "task-completion",
        "interest-arousal",
        "efficiency",
    ),
}


def _rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise ConfigError(f"ratings file not found: {path}")
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _score(path: Path, n: int, column: str, cell: str) -> int:
    try:
        value = float(cell)
    except ValueError:
        raise ConfigError(f"{path}: row {n}: {column} {cell!r} is not a number") from None
    if not value.is_integer():
        raise ConfigError(f"{path}: row {n}: {column} {cell!r} is not a whole scale point")
    return int(value)


def engagement_table(root: str | Path) -> dict[str, dict[str, int]]:
    """PredictiveEngagement's DailyDialog AMT sheet: response → worker → engagement (1-5).

    Raises:
        ConfigError: The file is missing or a score is not a number.
    """
    path = Path(root) / "data" / "DailyDialog_groungtruth_annotated.csv"
    table: dict[str, dict[str, int]] = defaultdict(dict)
    ids: dict[tuple[str, str], str] = {}
    for n, row in enumerate(_rows(path), start=1):
        worker = row["WorkerId"]
        for k in range(1, 11):
            cell = (row.get(f"Answer.pair{k}") or "").strip()
            if not cell:
                continue
            pair = (row[f"Input.query{k}"], row[f"Input.response{k}"])
            item = ids.setdefault(pair, f"dd-gt:{len(ids)}")
            table[item][worker] = _score(path, n, f"Answer.pair{k}", cell)
    return dict(table)


def ab_redial_table(
    root: str | Path, *, level: Literal["turn", "dialogue"] = "dialogue", aspect: str | None = None
) -> dict[str, dict[str, int]]:
    """ABA-ReDial: item → ``r<k>`` (the k-th annotator of the item in file order) → score.

    Args:
        root: The folder with ``Data/``.
        level: ``turn`` (3 system turns per row) or ``dialogue``.
        aspect: One of :data:`AB_REDIAL_ASPECTS` for the level (default: overall satisfaction).

    Raises:
        ConfigError: Missing file, unknown aspect, or a score that is not a scale point.
    """
    aspects = AB_REDIAL_ASPECTS[level]
    chosen = aspect or aspects[0]
    if chosen not in aspects:
        raise ConfigError(f"--aspect: {chosen!r} is not a {level} aspect ({', '.join(aspects)})")
    data = Path(root) / "Data"
    table: dict[str, dict[str, int]] = defaultdict(dict)
    if level == "dialogue":
        path = data / "annotated_dialogues.csv"
        for n, row in enumerate(_rows(path), start=1):
            cell = (row.get(chosen) or "").strip()
            if cell:
                item = row["ConvId"]
                table[item][f"r{len(table[item]) + 1}"] = _score(path, n, chosen, cell)
        return dict(table)
    path = data / "annotated_turns.csv"
    for n, row in enumerate(_rows(path), start=1):
        for k in (1, 2, 3):
            cell = (row.get(f"{chosen}{k}") or "").strip()
            response = row.get(f"utterance{4 * (k - 1) + 2}") or ""
            if cell and response.strip():
                item = f"{row['ConvId']}:{k}:{response}"
                table[item][f"r{len(table[item]) + 1}"] = _score(path, n, f"{chosen}{k}", cell)
    return dict(table)


def engagement_study(root: str | Path) -> tuple[Study, list[Rating]]:
    """PredictiveEngagement's AMT sheet as an annotation study and its ratings (annotator ids:
    the sheet's ``WorkerId`` s), so the whole ``simulacra annotate`` pipeline — agreement,
    human scores, judge meta-evaluation — runs on real human ratings.

    Tasks are rated on the packaged ``engagement`` rubric (turn level, 1-5): context
    ``A: <query>``, response the DailyDialog ground-truth reply.

    Raises:
        ConfigError: The file is missing or a score is not a scale point.
    """

    path = Path(root) / "data" / "DailyDialog_groungtruth_annotated.csv"
    rubric = load_rubric("engagement")
    items: dict[tuple[str, str], str] = {}
    scored: list[tuple[str, str, int]] = []
    for n, row in enumerate(_rows(path), start=1):
        for k in range(1, 11):
            cell = (row.get(f"Answer.pair{k}") or "").strip()
            if cell:
                pair = (row[f"Input.query{k}"], row[f"Input.response{k}"])
                tid = items.setdefault(pair, f"pe{len(items) + 1:03d}")
                scored.append((tid, row["WorkerId"], _score(path, n, f"Answer.pair{k}", cell)))
    tasks: dict[str, dict[str, Any]] = {
        tid: {"type": "task", "task_id": tid, "context": [f"A: {q}"], "response": r, "goal": None}
        for (q, r), tid in items.items()
    }
    header: dict[str, Any] = {
        "type": "study",
        "format": FORMAT,
        "kind": "likert",
        "level": "turn",
        "rubric": rubric.ref,
        "instructions": rubric.instructions.strip(),
        "scale": {"min": rubric.scale.min, "max": rubric.scale.max},
        "dimensions": [{"name": "engagement", "description": rubric.dimensions[0].description}],
        "annotators": None,
        "seed": None,
        "source": "PredictiveEngagement DailyDialog_groungtruth_annotated.csv (AMT)",
        "n_tasks": len(tasks),
    }
    header["study"] = _study_id(header, list(tasks.values()))
    for task in tasks.values():
        task["study"] = header["study"]
    study = Study(header=header, tasks=tasks)
    ratings = [validate_rating(study, t, a, "engagement", s) for t, a, s in scored]
    return study, ratings
