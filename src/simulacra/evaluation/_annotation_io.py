"""Ratings of an annotation study: one JSON line per rating, checked against the study.

A rating line is ``{"study", "task_id", "annotator", "dimension", "score"}`` (Likert; ``score``
an integer on the study's scale) or ``{"study", "task_id", "annotator", "dimension":
"preference", "choice"}`` (pairwise; ``A``, ``B`` or ``tie``), plus ``time``. Files are
append-only: when an annotator rates the same task and dimension again, the last line counts.

Also here: CSV export of the tasks for external tools (one row per task and annotator, with
empty rating columns) and import of the filled CSV, and :func:`human_scores`, the bridge to
judge meta-evaluation (mean rating per item, as :class:`~simulacra.evaluation.RatedItem`).
"""

from __future__ import annotations

import csv
import difflib
import io
import json
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from simulacra._atomic import write_text_atomic
from simulacra._validation import read_jsonl, read_text
from simulacra.errors import ConfigError
from simulacra.evaluation._annotation import CHOICES, Study, write_jsonl_atomic
from simulacra.evaluation._judge import JudgeItem
from simulacra.evaluation._ratings import RatedItem

__all__ = [
    "Rating",
    "append_ratings",
    "export_csv",
    "human_scores",
    "import_csv",
    "rating_table",
    "read_annotations",
    "validate_rating",
]


@dataclass(frozen=True)
class Rating:
    """One annotator's rating of one task on one dimension (``value``: an int or a choice)."""

    task_id: str
    annotator: str
    dimension: str
    value: int | str
    time: float | None = None

    def to_json(self, study: str) -> dict[str, Any]:
        """The rating's JSON line."""
        field = "choice" if isinstance(self.value, str) else "score"
        row: dict[str, Any] = {
            "study": study,
            "task_id": self.task_id,
            "annotator": self.annotator,
            "dimension": self.dimension,
            field: self.value,
        }
        if self.time is not None:
            row["time"] = self.time
        return row


def _hint(value: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(value, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def validate_rating(
    study: Study, task_id: object, annotator: object, dimension: object, value: object
) -> Rating:
    """Check one rating against the study.

    Raises:
        ValueError: Unknown task, annotator or dimension, or a value off the scale / choices.
    """
    if not isinstance(task_id, str) or task_id not in study.tasks:
        raise ValueError(f"unknown task {task_id!r}")
    if not isinstance(annotator, str) or not annotator.strip():
        raise ValueError("annotator is empty")
    roster = study.annotators
    if roster is not None and annotator not in roster:
        raise ValueError(f"unknown annotator {annotator!r}{_hint(annotator, roster)}")
    dims = study.dimensions
    if dimension not in dims:
        raise ValueError(f"unknown dimension {dimension!r}{_hint(str(dimension), dims)}")
    if study.kind == "pairwise":
        if value not in CHOICES:
            raise ValueError(f"choice {value!r} is not one of {', '.join(CHOICES)}")
        return Rating(task_id, annotator, "preference", str(value))
    lo, hi = study.scale
    score: int | None = None
    if isinstance(value, bool):
        score = None
    elif isinstance(value, int):
        score = value
    elif isinstance(value, float) and value.is_integer():
        score = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        score = int(value.strip())
    if score is None or not lo <= score <= hi:
        raise ValueError(f"{dimension} score {value!r} is outside the scale {lo}-{hi}")
    return Rating(task_id, annotator, str(dimension), score)


def read_annotations(path: str | Path, study: Study) -> list[Rating]:
    """Read a ratings file, checking every line against the study; the last rating of an
    annotator for a task and dimension counts.

    Raises:
        ConfigError: One line naming the file and line: a missing file, a line of another
            study, an unknown task/annotator/dimension, a score off the scale.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: ratings file not found")
    latest: dict[tuple[str, str, str], Rating] = {}
    for n, row in read_jsonl(p, what="ratings file", objects=False):
        try:
            if not isinstance(row, dict):
                raise ValueError("expected a JSON object")
            if row.get("study", study.id) != study.id:
                raise ValueError(f"rating of another study ({row.get('study')})")
            value = row["choice"] if "choice" in row else row.get("score")
            dim = row.get("dimension", study.dimensions[0] if len(study.dimensions) == 1 else None)
            rating = validate_rating(study, row.get("task_id"), row.get("annotator"), dim, value)
        except ValueError as exc:
            first = str(exc).splitlines()[0]
            raise ConfigError(f"{p}: line {n}: {first}") from None
        t = row.get("time")
        rating = Rating(
            **{**rating.__dict__, "time": float(t) if isinstance(t, int | float) else None}
        )
        latest[(rating.task_id, rating.annotator, rating.dimension)] = rating
    return list(latest.values())


def append_ratings(path: str | Path, study: Study, ratings: Iterable[Rating]) -> None:
    """Append ratings as lines and fsync (an append of whole lines never corrupts earlier ones)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("a", encoding="utf-8") as f:
        for r in ratings:
            stamped = r if r.time is not None else Rating(**{**r.__dict__, "time": time.time()})
            f.write(json.dumps(stamped.to_json(study.id), ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def _task_columns(study: Study) -> list[str]:
    if study.kind == "pairwise":
        return ["goal", "a", "b"]
    return (
        ["goal", "context", "response"]
        if study.header.get("level") == "turn"
        else [
            "goal",
            "context",
        ]
    )


def export_csv(study: Study, path: str | Path, *, annotators: Sequence[str] = ()) -> int:
    """Write the tasks as CSV for spreadsheets and annotation tools: one row per task (and per
    annotator, when given), transcripts as newline-separated cells, one empty column per rated
    dimension (``choice`` for pairwise). Returns the number of rows.

    Raises:
        ConfigError: An annotator is not in the study's roster.
    """
    for a in annotators:
        if study.annotators is not None and a not in study.annotators:
            raise ConfigError(f"--annotator: unknown annotator {a!r}{_hint(a, study.annotators)}")
    cols = _task_columns(study)
    rating_cols = ["choice"] if study.kind == "pairwise" else study.dimensions
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["task_id", "annotator", *cols, *rating_cols])
    rows = 0
    for tid, task in study.tasks.items():
        cells = []
        for c in cols:
            v = task.get(c)
            cells.append("\n".join(v) if isinstance(v, list) else ("" if v is None else str(v)))
        for a in annotators or [""]:
            writer.writerow([tid, a, *cells, *([""] * len(rating_cols))])
            rows += 1
    write_text_atomic(Path(path), buffer.getvalue(), mkdir=True)
    return rows


def import_csv(study: Study, path: str | Path) -> list[Rating]:
    """Read a filled CSV back (``task_id``, ``annotator`` and one column per dimension, or
    ``choice``); empty rating cells are not ratings.

    Raises:
        ConfigError: One line naming the file and row (data rows count from 1): a missing
            column, an unknown task or annotator, a value off the scale.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: CSV file not found")
    text = read_text(p, what="CSV file")
    if not text.strip():
        raise ConfigError(f"{p}: is empty (expected a header row: task_id, annotator, ...)")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = reader.fieldnames or []
        rating_cols = ["choice"] if study.kind == "pairwise" else study.dimensions
        for needed in ["task_id", "annotator", *rating_cols]:
            if needed not in columns:
                shown = ", ".join(c[:20] for c in columns[:6])[:80]
                raise ConfigError(
                    f"{p}: line 1: column {needed!r} not found in the header ({shown})"
                )
        return _csv_ratings(study, p, reader, rating_cols)
    except csv.Error as exc:
        raise ConfigError(f"{p}: line {reader.line_num + 1}: malformed CSV: {exc}") from None


def _csv_ratings(
    study: Study, p: Path, reader: csv.DictReader[str], rating_cols: list[str]
) -> list[Rating]:
    out: list[Rating] = []
    for n, row in enumerate(reader, start=1):
        for col in rating_cols:
            cell = (row.get(col) or "").strip()
            if not cell:
                continue
            dim = "preference" if col == "choice" else col
            try:
                out.append(
                    validate_rating(
                        study, row["task_id"], (row["annotator"] or "").strip(), dim, cell
                    )
                )
            except ValueError as exc:
                raise ConfigError(f"{p}: row {n}: {exc}") from None
    return out


def rating_table(ratings: Iterable[Rating], dimension: str) -> dict[str, dict[str, int | str]]:
    """Task → annotator → value, for one dimension (the input of the agreement statistics)."""
    table: dict[str, dict[str, int | str]] = defaultdict(dict)
    for r in ratings:
        if r.dimension == dimension:
            table[r.task_id][r.annotator] = r.value
    return dict(table)


def human_scores(
    study: Study, ratings: Iterable[Rating], *, dimension: str | None = None
) -> list[RatedItem]:
    """Mean human score per task, as rated items for :func:`~simulacra.evaluation.meta_evaluate`.

    With the key attached (:func:`~simulacra.evaluation.read_key`) each item also names its
    system (the run) and conversation, so meta-evaluation adds the dialogue and system levels.

    Raises:
        ConfigError: A pairwise study, or an unknown dimension.
    """
    if study.kind != "likert":
        raise ConfigError("human scores come from a Likert study, not a pairwise one")
    dim = dimension or study.dimensions[0]
    if dim not in study.dimensions:
        raise ConfigError(f"--dimension: unknown dimension {dim!r} ({', '.join(study.dimensions)})")
    table = rating_table(ratings, dim)
    level: Literal["turn", "dialogue"] = (
        "turn" if study.header.get("level") == "turn" else "dialogue"
    )
    out: list[RatedItem] = []
    for tid, task in study.tasks.items():
        scores = [float(v) for v in table.get(tid, {}).values() if isinstance(v, int)]
        if not scores:
            continue
        source = study.key.get(tid, {})
        turn = source.get("turn")
        item = JudgeItem(
            id=tid,
            context=tuple(task.get("context") or ()),
            response=task.get("response"),
            conversation_id=source.get("conversation_id"),
            turn_index=turn if isinstance(turn, int) else None,
        )
        system = source.get("run")
        out.append(
            RatedItem(
                item=item,
                human=statistics.fmean(scores),
                level=level,
                system=str(system) if system is not None else None,
                annotators=len(scores),
            )
        )
    return out


def write_human_scores(items: Sequence[RatedItem], path: str | Path) -> None:
    """Write rated items in the generic ratings format (``simulacra eval meta --adapter
    generic``): ``id``, ``context`` (a JSON list), ``response``, ``score``, ``annotators``, and
    ``system`` / ``dialogue`` where known."""
    rows = []
    for r in items:
        row: dict[str, Any] = {
            "id": r.item.id,
            "context": list(r.item.context),
            "response": r.item.response,
            "score": r.human,
            "annotators": r.annotators,
        }
        if r.system is not None:
            row["system"] = r.system
        if r.item.conversation_id is not None:
            row["dialogue"] = r.item.conversation_id
        rows.append(row)
    write_jsonl_atomic(Path(path), rows)
