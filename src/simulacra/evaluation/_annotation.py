"""Offline human evaluation (survey §6, App. E.2): runs become blinded annotation tasks.

Two kinds of study:

- ``likert``: rate items on a rubric's dimensions and scale (the same rubric files the judges
  use), at the rubric's level — one system turn in its context (``turn``) or a whole
  conversation (``dialogue``);
- ``pairwise``: which of two conversations is better (or ``tie``), the two drawn from two runs
  and paired by scenario.

Blinding: what annotators see (the *tasks file*) names no run, system, model or conversation id.
Speakers are relabelled by role (``User``, ``System``; numbered when there are several), so a
person-played seat cannot be told from a simulated one by its label; the order of tasks is
shuffled and, in pairwise studies, which conversation is shown as A is drawn at random — all
from one seed, so a study is reproducible. The *key file* (task → run, conversation, and for
pairwise which run is A) is written separately and is needed only to unblind.

The tasks file is JSON lines: a ``study`` header (kind, rubric, scale, dimensions or question,
the annotator roster if one was given) and one ``task`` line per item.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from simulacra._atomic import atomic_file
from simulacra.conversation import Conversation, ParticipantKind, TerminationReason
from simulacra.errors import ConfigError
from simulacra.evaluation._annotation_check import check_header, check_task, read_jsonl
from simulacra.evaluation._rubric import Rubric
from simulacra.log import read_conversations, read_run

__all__ = [
    "DEFAULT_QUESTION",
    "Study",
    "blind_transcript",
    "blind_turns",
    "likert_study",
    "pairwise_study",
    "read_key",
    "read_study",
    "write_jsonl_atomic",
]

FORMAT = 1
DEFAULT_QUESTION = "Which conversation is better overall for the user?"
CHOICES = ("A", "B", "tie")
_AI = (ParticipantKind.AI_SYSTEM, ParticipantKind.AGENT)


@dataclass
class Study:
    """An annotation study: the header, the tasks annotators see, and (when loaded) the key.

    Attributes:
        header: Kind, level, rubric ref, scale, dimensions or question, roster, seed.
        tasks: Task id → task (``context`` lines, ``response`` or ``a``/``b``, ``goal``).
        key: Task id → where it came from (only after :func:`read_key`; never shown).
        path: The tasks file it was read from.
    """

    header: dict[str, Any]
    tasks: dict[str, dict[str, Any]]
    key: dict[str, dict[str, Any]] = field(default_factory=dict)
    path: Path | None = None

    @property
    def id(self) -> str:
        """The study id (a hash of its tasks)."""
        return str(self.header["study"])

    @property
    def kind(self) -> Literal["likert", "pairwise"]:
        """``likert`` or ``pairwise``."""
        return "pairwise" if self.header["kind"] == "pairwise" else "likert"

    @property
    def dimensions(self) -> list[str]:
        """The rated dimensions (``preference`` for a pairwise study)."""
        if self.kind == "pairwise":
            return ["preference"]
        return [str(d["name"]) for d in self.header["dimensions"]]

    @property
    def scale(self) -> tuple[int, int]:
        """The Likert scale ``(min, max)``."""
        s = self.header.get("scale") or {"min": 1, "max": 5}
        return int(s["min"]), int(s["max"])

    @property
    def annotators(self) -> list[str] | None:
        """The roster (``None``: anyone may annotate)."""
        roster = self.header.get("annotators")
        return [str(a) for a in roster] if roster else None

    def write(self, tasks_path: Path, key_path: Path) -> None:
        """Write the tasks file and, separately, the key file (each atomically)."""
        write_jsonl_atomic(tasks_path, [self.header, *self.tasks.values()])
        key_header = {"type": "key", "study": self.id, "format": FORMAT}
        write_jsonl_atomic(key_path, [key_header, *self.key.values()])


def write_jsonl_atomic(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    """Write JSON lines to a temp file beside ``path``, fsync, then rename over it."""
    with atomic_file(path, durable=True, mkdir=True) as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def blind_turns(conversation: Conversation) -> list[tuple[str, str]]:
    """``(label, utterance)`` per turn, with speakers relabelled by role: ``System`` for AI systems
    and agents, ``User`` for everyone else (numbered in participant order when a role has
    several), so names never reveal which system or which kind of user took part. A system's
    display name inside utterances is replaced by its label too."""
    ai = [p.id for p in conversation.participants if p.kind in _AI]
    users = [p.id for p in conversation.participants if p.kind not in _AI]
    labels: dict[str, str] = {}
    for ids, word in ((ai, "System"), (users, "User")):
        for k, pid in enumerate(ids, start=1):
            labels[pid] = word if len(ids) == 1 else f"{word} {k}"
    # A system that names itself ("I'm AlphaBot") would unblind the item: its display name is
    # replaced by its label in every utterance (names of 3+ characters, whole words).
    names = [
        (re.compile(rf"(?<!\w){re.escape(p.name)}(?!\w)"), labels[p.id])
        for p in conversation.participants
        if p.id in ai and len(p.name) >= 3
    ]
    turns = []
    for t in conversation.turns:
        text = t.utterance
        for pattern, label in names:
            text = pattern.sub(label, text)
        turns.append((labels.get(t.speaker, "Speaker"), text))
    return turns


def blind_transcript(conversation: Conversation) -> list[str]:
    """``"Label: utterance"`` lines of :func:`blind_turns`."""
    return [f"{label}: {text}" for label, text in blind_turns(conversation)]


@dataclass(frozen=True)
class _Run:
    label: str
    path: str
    goals: dict[str, str]
    conversations: list[Conversation]


def _load_run(path: Path, labels: set[str]) -> _Run:
    manifest = read_run(path)
    scenarios = (manifest.get("config") or {}).get("scenarios") or []
    goals = {str(s["id"]): str(s["goal"]) for s in scenarios if "id" in s and "goal" in s}
    label = path.resolve().name
    while label in labels:
        label += "'"
    labels.add(label)
    kept = [
        c
        for c in read_conversations(path)
        if c.termination is not TerminationReason.INFRASTRUCTURE_ERROR and c.turns
    ]
    return _Run(label, str(path), goals, kept)


def _study_id(header: dict[str, Any], tasks: list[dict[str, Any]]) -> str:
    blob = json.dumps([header, tasks], sort_keys=True, ensure_ascii=False).encode()
    return hashlib.sha256(blob).hexdigest()[:12]


def _finish(
    header: dict[str, Any], drafts: list[tuple[dict[str, Any], dict[str, Any]]], rng: random.Random
) -> Study:
    rng.shuffle(drafts)
    width = max(3, len(str(len(drafts))))
    tasks: dict[str, dict[str, Any]] = {}
    key: dict[str, dict[str, Any]] = {}
    for n, (task, source) in enumerate(drafts, start=1):
        tid = f"t{n:0{width}d}"
        tasks[tid] = {"type": "task", "task_id": tid, **task}
        key[tid] = {"task_id": tid, **source}
    header["n_tasks"] = len(tasks)
    header["study"] = _study_id(header, list(tasks.values()))
    for row in (*tasks.values(), *key.values()):
        row["study"] = header["study"]
    return Study(header=header, tasks=tasks, key=key)


def _sample(items: list[Any], limit: int | None, rng: random.Random) -> list[Any]:
    if limit is None or limit >= len(items):
        return items
    return rng.sample(items, limit)


def likert_study(
    runs: Sequence[str | Path],
    rubric: Rubric,
    *,
    seed: int = 0,
    limit: int | None = None,
    context_turns: int = 6,
    annotators: Sequence[str] | None = None,
) -> Study:
    """Likert tasks on a rubric's dimensions over the conversations of one or more runs.

    At ``turn`` level every system turn after the first message is an item (with up to
    ``context_turns`` turns before it); at ``dialogue`` level every conversation is.

    Raises:
        ConfigError: A run cannot be read, or there is nothing to annotate.
    """
    rng = random.Random(seed)
    labels: set[str] = set()
    drafts: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for path in runs:
        run = _load_run(Path(path), labels)
        for c in run.conversations:
            lines = blind_transcript(c)
            goal = run.goals.get(str(c.scenario_id))
            source = {"run": run.label, "run_path": run.path, "conversation_id": c.id}
            if rubric.level == "dialogue":
                drafts.append(({"context": lines, "response": None, "goal": goal}, source))
                continue
            ai = {p.id for p in c.participants if p.kind in _AI}
            for i, t in enumerate(c.turns):
                if i == 0 or t.speaker not in ai:
                    continue
                task = {
                    "context": lines[max(0, i - context_turns) : i],
                    "response": lines[i].split(": ", 1)[1],
                    "goal": goal,
                }
                drafts.append((task, {**source, "turn": i}))
    if not drafts:
        raise ConfigError(f"nothing to annotate in {', '.join(map(str, runs))}")
    drafts = _sample(drafts, limit, rng)
    header = {
        "type": "study",
        "format": FORMAT,
        "kind": "likert",
        "level": rubric.level,
        "rubric": rubric.ref,
        "instructions": rubric.instructions.strip(),
        "scale": {"min": rubric.scale.min, "max": rubric.scale.max},
        "dimensions": [
            {
                "name": d.name,
                "description": d.description,
                "anchors": {str(k): v for k, v in d.anchors.items()},
            }
            for d in rubric.dimensions
        ],
        "annotators": list(annotators) if annotators else None,
        "seed": seed,
    }
    return _finish(header, drafts, rng)


def _by_scenario(run: _Run) -> dict[str, list[Conversation]]:
    groups: dict[str, list[Conversation]] = defaultdict(list)
    for c in run.conversations:
        groups[str(c.scenario_id)].append(c)
    for convs in groups.values():
        convs.sort(key=lambda c: (c.metadata.get("epoch") or 0, str(c.metadata.get("profile_id"))))
    return groups


def pairwise_study(
    run_a: str | Path,
    run_b: str | Path,
    *,
    seed: int = 0,
    limit: int | None = None,
    question: str = DEFAULT_QUESTION,
    annotators: Sequence[str] | None = None,
) -> Study:
    """A/B preference tasks between the conversations of two runs, paired by scenario.

    Within a scenario, conversations are paired in order of epoch and profile; unpaired ones
    are left out. Each pair's sides are drawn at random (seeded).

    Raises:
        ConfigError: A run cannot be read, or the runs share no scenario.
    """
    rng = random.Random(seed)
    labels: set[str] = set()
    first, second = _load_run(Path(run_a), labels), _load_run(Path(run_b), labels)
    left, right = _by_scenario(first), _by_scenario(second)
    drafts: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for scenario in sorted(set(left) & set(right)):
        for x, y in zip(left[scenario], right[scenario], strict=False):
            swap = rng.random() < 0.5
            shown = [(second, y), (first, x)] if swap else [(first, x), (second, y)]
            goal = first.goals.get(scenario) or second.goals.get(scenario)
            task = {
                "goal": goal,
                "a": blind_transcript(shown[0][1]),
                "b": blind_transcript(shown[1][1]),
            }
            source = {
                "scenario_id": scenario,
                **{
                    side: {"run": run.label, "run_path": run.path, "conversation_id": c.id}
                    for side, (run, c) in zip("AB", shown, strict=True)
                },
            }
            drafts.append((task, source))
    if not drafts:
        raise ConfigError(f"{run_a} and {run_b} share no scenario: nothing to compare")
    drafts = _sample(drafts, limit, rng)
    header = {
        "type": "study",
        "format": FORMAT,
        "kind": "pairwise",
        "question": question,
        "choices": list(CHOICES),
        "annotators": list(annotators) if annotators else None,
        "seed": seed,
    }
    return _finish(header, drafts, rng)


def _jsonl(path: Path, what: str) -> list[tuple[int, dict[str, Any]]]:
    return read_jsonl(path, what)


def read_study(path: str | Path) -> Study:
    """Read a tasks file.

    Raises:
        ConfigError: Missing file, no ``study`` header, or a task without a ``task_id``.
    """
    p = Path(path)
    rows = _jsonl(p, "tasks file")
    if not rows or rows[0][1].get("type") != "study":
        raise ConfigError(
            f"{p}: line 1: expected the study header (a tasks file from 'simulacra annotate tasks')"
        )
    header = rows[0][1]
    check_header(p, header)
    tasks: dict[str, dict[str, Any]] = {}
    for n, row in rows[1:]:
        tid = row.get("task_id")
        if not isinstance(tid, str) or tid in tasks:
            raise ConfigError(f"{p}: line {n}: task_id: missing or duplicate")
        check_task(p, n, row)
        tasks[tid] = row
    return Study(header=header, tasks=tasks, path=p)


def read_key(study: Study, path: str | Path) -> Study:
    """Attach the key file of ``study`` (needed to unblind).

    Raises:
        ConfigError: The key belongs to another study or does not cover its tasks.
    """
    p = Path(path)
    rows = _jsonl(p, "key file")
    if not rows or rows[0][1].get("type") != "key" or rows[0][1].get("study") != study.id:
        raise ConfigError(f"{p}: line 1: not the key of study {study.id}")
    key = {str(row.get("task_id")): row for _, row in rows[1:]}
    missing = [t for t in study.tasks if t not in key]
    if missing:
        raise ConfigError(f"{p}: no key for task {missing[0]} (of {len(missing)} missing)")
    study.key = key
    return study
