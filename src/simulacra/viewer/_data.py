"""What the viewer and the report read from a run directory, shaped for display.

A run directory holds ``run.json`` and ``conversations.jsonl`` and, once evaluated,
``judgments.jsonl`` (judge verdicts) and report JSON files (``simulacra eval -o``,
``simulacra fidelity -o``, drift, diversity, bias, arena...). Everything optional is read when
present and skipped when absent or unreadable: a report that fails to parse becomes a note,
never a crash of the viewer.

Nothing here touches a path that a client names: runs are loaded once, from the directories
given on the command line, and addressed afterwards by their index.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulacra._secrets import redact_json
from simulacra._validation import read_jsonl
from simulacra.conversation import Conversation, ParticipantKind
from simulacra.errors import ConfigError
from simulacra.log import read_conversations, read_run

__all__ = [
    "ConversationFilter",
    "LoadedRun",
    "conversation_detail",
    "conversation_row",
    "filter_conversations",
    "load_run",
    "load_runs",
    "pair_conversations",
    "profile_fields",
]

JUDGMENTS_FILE = "judgments.jsonl"
_SKIP_JSON = {"run.json"}
_MAX_REPORT_BYTES = 20_000_000


@dataclass
class LoadedRun:
    """One run directory, read into memory.

    Attributes:
        index: Position on the command line; the only way a client addresses the run.
        directory: Where it was read from.
        manifest: ``run.json``.
        conversations: The conversation records, in file order.
        judgments: Judge verdicts (``judgments.jsonl``), as dictionaries.
        reports: Report JSON files found beside the run, by file name.
        notes: Files that were present but could not be read, with why.
    """

    index: int
    directory: Path
    manifest: dict[str, Any]
    conversations: list[Conversation]
    judgments: list[dict[str, Any]] = field(default_factory=list)
    reports: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.by_id = {c.id: c for c in self.conversations}
        self.scores = _conversation_scores(self.judgments)

    @property
    def name(self) -> str:
        """The run's name from its config, else the directory name."""
        return str(self.manifest.get("name") or self.directory.name)

    def goal(self, c: Conversation) -> str | None:
        """The goal or task of a conversation: from its metadata, else its scenario's config."""
        for key in ("goal", "task", "motion", "title"):
            value = c.metadata.get(key)
            if isinstance(value, str) and value:
                return value
        config = self.manifest.get("config")
        scenarios = config.get("scenarios") if isinstance(config, dict) else None
        for s in scenarios or []:
            if isinstance(s, dict) and s.get("id") == c.scenario_id and s.get("goal"):
                return str(s["goal"])
        return None


def _conversation_scores(judgments: Sequence[Mapping[str, Any]]) -> dict[str, float]:
    """Mean overall judge score per conversation (mean of each verdict's dimension means)."""
    sums: dict[str, list[float]] = {}
    for v in judgments:
        scores = v.get("scores")
        cid = v.get("conversation_id")
        if not isinstance(scores, dict) or not scores or not isinstance(cid, str):
            continue
        values = [float(x) for x in scores.values() if isinstance(x, int | float)]
        if values:
            sums.setdefault(cid, []).append(sum(values) / len(values))
    return {cid: sum(vs) / len(vs) for cid, vs in sums.items()}


def _read_judgments(directory: Path, notes: list[str]) -> list[dict[str, Any]]:
    path = directory / JUDGMENTS_FILE
    if not path.is_file():
        return []

    def skip(number: int, message: str) -> None:
        notes.append(f"{JUDGMENTS_FILE}:{number}: not a JSON object, skipped")

    return [row for _, row in read_jsonl(path, on_invalid=skip)]


def _read_reports(directory: Path, notes: list[str]) -> dict[str, dict[str, Any]]:
    reports: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        if path.name in _SKIP_JSON or path.name.startswith("."):
            continue
        if not path.is_file():  # a FIFO or device would block start-up
            notes.append(f"{path.name}: not a regular file, skipped")
            continue
        if path.stat().st_size > _MAX_REPORT_BYTES:
            notes.append(f"{path.name}: larger than 20 MB, not read")
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            notes.append(f"{path.name}: not valid JSON, skipped")
            continue
        if isinstance(data, dict):
            reports[path.name] = data
    return reports


def load_run(directory: str | Path, index: int = 0) -> LoadedRun:
    """Read one run directory with whatever evaluation output sits beside it.

    Raises:
        ConfigError: Not a run directory, or a corrupted conversation record.
    """
    d = Path(directory)
    if not d.is_dir():
        raise ConfigError(f"run directory not found: {d}")
    manifest = redact_json(read_run(d))  # runs written before secrets were masked
    conversations = list(read_conversations(d))
    notes: list[str] = []
    judgments = _read_judgments(d, notes)
    reports = _read_reports(d, notes)
    return LoadedRun(index, d.resolve(), manifest, conversations, judgments, reports, notes)


def load_runs(directories: Iterable[str | Path]) -> list[LoadedRun]:
    """Read several run directories, indexed in the order given."""
    return [load_run(d, i) for i, d in enumerate(directories)]


def _flatten(prefix: str, value: object, out: dict[str, str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out)
    elif isinstance(value, list):
        if value and all(not isinstance(v, dict | list) for v in value):
            out[prefix] = ", ".join(str(v) for v in value)
    elif value is not None and value != "":
        out[prefix] = str(value)


def _simulated(c: Conversation) -> list[Any]:
    return [p for p in c.participants if p.kind == ParticipantKind.SIMULATED_HUMAN] or [
        p for p in c.participants if p.profile is not None
    ]


def profile_fields(c: Conversation) -> dict[str, str]:
    """The simulated participant's profile flattened to ``key -> value`` strings
    (``kind``, ``attributes.occupation``, ``demographics.age``...), plus ``profile_id``.

    These are what the attribute filter matches on.
    """
    out: dict[str, str] = {}
    pid = c.metadata.get("profile_id")
    if pid is not None:
        out["profile_id"] = str(pid)
    for p in _simulated(c)[:1]:
        if p.profile is not None:
            data = p.profile.model_dump(mode="json", exclude_none=True)
            data.pop("template", None)
            _flatten("", data, out)
    return out


def conversation_row(run: LoadedRun, c: Conversation) -> dict[str, Any]:
    """A conversation as one row of a list: ids, profile, outcome, judge score."""
    fields = profile_fields(c)
    duration = (c.ended_at - c.started_at) if c.ended_at and c.started_at else None
    preview = next((t.utterance for t in c.turns if t.utterance.strip()), "")
    return {
        "id": c.id,
        "scenario_id": c.scenario_id,
        "profile": fields.get("profile_id") or fields.get("name"),
        "profile_name": fields.get("name"),
        "epoch": c.metadata.get("epoch"),
        "turns": len(c.turns),
        "termination": c.termination.value if c.termination else None,
        "ended_by": c.ended_by,
        "error": c.error,
        "score": run.scores.get(c.id),
        "duration_s": round(duration, 3) if duration is not None else None,
        "preview": preview[:140],
    }


@dataclass(frozen=True)
class ConversationFilter:
    """Which conversations to list.

    Attributes:
        attributes: ``(key, value)`` pairs that a profile field must equal (all must hold).
        outcome: A termination reason or an ``ended_by`` value.
        min_score: Lowest mean judge score (conversations without one are dropped).
        max_score: Highest mean judge score.
        scenario: A scenario id.
        text: A case-insensitive substring of any utterance.
    """

    attributes: tuple[tuple[str, str], ...] = ()
    outcome: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    scenario: str | None = None
    text: str | None = None

    def matches(self, run: LoadedRun, c: Conversation) -> bool:
        """Whether ``c`` passes every condition that is set."""
        if self.attributes:
            fields = profile_fields(c)
            if any(fields.get(k) != v for k, v in self.attributes):
                return False
        if self.outcome and self.outcome not in (
            c.termination.value if c.termination else None,
            c.ended_by,
        ):
            return False
        if self.scenario and c.scenario_id != self.scenario:
            return False
        score = run.scores.get(c.id)
        if self.min_score is not None and (score is None or score < self.min_score):
            return False
        if self.max_score is not None and (score is None or score > self.max_score):
            return False
        if self.text:
            needle = self.text.lower()
            if not any(needle in t.utterance.lower() for t in c.turns):
                return False
        return True


def filter_conversations(run: LoadedRun, flt: ConversationFilter) -> list[Conversation]:
    """The conversations of ``run`` that pass ``flt``, in file order."""
    return [c for c in run.conversations if flt.matches(run, c)]


def facets(run: LoadedRun, *, limit: int = 40) -> dict[str, list[str]]:
    """Filterable profile fields with their values (fields with 2..limit distinct values, plus
    any field when the run has one conversation)."""
    values: dict[str, Counter[str]] = {}
    for c in run.conversations:
        for k, v in profile_fields(c).items():
            values.setdefault(k, Counter())[v] += 1
    out = {}
    for k, counter in sorted(values.items()):
        if len(counter) <= limit and (len(counter) > 1 or len(run.conversations) == 1):
            out[k] = sorted(counter)
    return out


def _retrieved(metadata: Mapping[str, object]) -> list[dict[str, Any]]:
    """Passages a retrieval/memory stage recorded on a turn (``<stage>.context``, ``" || "``
    separated, with ``<stage>.ids``)."""
    out = []
    for key, value in metadata.items():
        if not key.endswith(".context") or not isinstance(value, str) or not value:
            continue
        stage = key[: -len(".context")]
        ids = str(metadata.get(f"{stage}.ids") or "").split(",")
        for i, text in enumerate(value.split(" || ")):
            out.append({"stage": stage, "id": ids[i] if i < len(ids) else "", "text": text})
    return out


_CALL_FIELDS = (
    "call_id",
    "role",
    "model",
    "latency_s",
    "usage",
    "cached",
    "attempts",
    "finish_reason",
    "templates",
    "config",
    "error",
    "messages",
    "output",
)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def conversation_detail(run: LoadedRun, c: Conversation) -> dict[str, Any]:
    """Everything about one conversation that the conversation page shows."""
    calls = {str(mc.get("call_id")): mc for mc in c.model_calls}
    verdicts: dict[int | None, list[dict[str, Any]]] = {}
    for v in run.judgments:
        if v.get("conversation_id") == c.id:
            ti = v.get("turn_index")
            verdicts.setdefault(ti if isinstance(ti, int) else None, []).append(v)
    names = {p.id: p.name for p in c.participants}
    kinds = {p.id: p.kind.value for p in c.participants}
    turns = []
    for i, t in enumerate(c.turns):
        refs = [calls.get(r.call_id, {"call_id": r.call_id, "role": r.role}) for r in t.model_calls]
        details = [{k: mc[k] for k in _CALL_FIELDS if k in mc} for mc in refs]
        latency = sum(_number(d.get("latency_s")) for d in details)
        tokens = Counter[str]()
        for d in details:
            usage = d.get("usage")
            if isinstance(usage, dict):
                tokens.update({k: int(v) for k, v in usage.items() if isinstance(v, int)})
        turns.append(
            {
                "index": i,
                "speaker": t.speaker,
                "name": names.get(t.speaker, t.speaker),
                "kind": kinds.get(t.speaker, "unknown"),
                "utterance": t.utterance,
                "reasoning": t.reasoning,
                "time": t.time,
                "retrieved": _retrieved(t.metadata),
                "metadata": {k: v for k, v in t.metadata.items() if not k.endswith(".context")},
                "model_calls": details,
                "latency_s": round(latency, 3) if details else None,
                "tokens": dict(tokens),
                "verdicts": verdicts.get(i, []),
            }
        )
    return {
        "run": run.index,
        "run_name": run.name,
        **conversation_row(run, c),
        "goal": run.goal(c),
        "participants": [
            {
                "id": p.id,
                "name": p.name,
                "kind": p.kind.value,
                "profile": p.profile.model_dump(mode="json", exclude_none=True)
                if p.profile
                else None,
            }
            for p in c.participants
        ],
        "profile_fields": profile_fields(c),
        "metadata": c.metadata,
        "events": c.events,
        "usage": c.usage,
        "turn_list": turns,
        "conversation_verdicts": verdicts.get(None, []),
    }


def _pair_key(c: Conversation) -> tuple[str, str, str]:
    return (
        str(c.scenario_id),
        str(c.metadata.get("profile_id", "")),
        str(c.metadata.get("epoch", "")),
    )


def pair_conversations(
    a: LoadedRun, b: LoadedRun
) -> list[tuple[Conversation | None, Conversation | None]]:
    """Pair the conversations of two runs by scenario id, profile id and epoch (falling back
    to scenario id alone, in order); unmatched ones are paired with ``None``."""
    left: dict[tuple[str, str, str], list[Conversation]] = {}
    for c in a.conversations:
        left.setdefault(_pair_key(c), []).append(c)
    pairs: list[tuple[Conversation | None, Conversation | None]] = []
    unmatched_b = []
    for c in b.conversations:
        bucket = left.get(_pair_key(c))
        if bucket:
            pairs.append((bucket.pop(0), c))
        else:
            unmatched_b.append(c)
    rest_a = [c for bucket in left.values() for c in bucket]
    for c in unmatched_b:
        match = next((x for x in rest_a if x.scenario_id == c.scenario_id), None)
        if match is not None:
            rest_a.remove(match)
        pairs.append((match, c))
    pairs.extend((c, None) for c in rest_a)
    return pairs
