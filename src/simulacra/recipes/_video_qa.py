"""Recipe: a video question-answering arena (survey Appendix G.5, after VideoAutoArena).

VideoAutoArena ranks video models by letting simulated users with personas ask adaptive
questions about a video and judging the answers pairwise. Here the video is *text-grounded*: it
is known by its captions (WebVTT or SRT, read by :func:`read_captions`). Simulated users of
different expertise get the video's title, a short summary and one thing to find out, and follow
up on the answers; several answering systems see different amounts of the captions (all of
them, the first half, nothing). A judge that sees the captions as ground truth compares the
conversations of every two systems with the same user, in both orders, through
:func:`~simulacra.evaluation.arena`, which ranks the systems by Bradley–Terry and Elo with
bootstrap intervals. A system's view of the captions is the variable under test, so a working
judge must rank ``full`` above ``first_half`` above ``none``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra._validation import duplicates, load_yaml_model
from simulacra.conversation import Conversation, ParticipantKind
from simulacra.errors import ConfigError
from simulacra.evaluation import arena
from simulacra.models import GenerateConfig, Model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    ModelTarget,
    PromptedUser,
    ValidityOptions,
    gate_user,
    is_simulator_invalid,
    mark_simulator_validity,
)
from simulacra.profiles import Persona

__all__ = [
    "Cue",
    "VideoQASpec",
    "VideoSystem",
    "captions_text",
    "load_video_qa",
    "parse_srt",
    "parse_vtt",
    "read_captions",
    "run_video_qa",
    "video_qa_table",
]

# ---------------------------------------------------------------------------------- captions

_TIME = re.compile(r"^(?:(\d+):)?(\d{1,2}):(\d{2})[.,](\d{3})$")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class Cue:
    """One caption: when it is shown (seconds) and what it says (tags removed)."""

    index: int
    start: float
    end: float
    text: str

    @property
    def stamp(self) -> str:
        """``m:ss`` of the start, as the prompts show it."""
        return f"{int(self.start) // 60}:{int(self.start) % 60:02d}"


def _seconds(value: str, where: str) -> float:
    m = _TIME.match(value.strip())
    if not m:
        raise ConfigError(f"{where}: bad timestamp {value.strip()!r} (expected [hh:]mm:ss.ttt)")
    h, mi, s, ms = (int(g) if g else 0 for g in m.groups())
    if mi > 59 or s > 59:
        raise ConfigError(f"{where}: bad timestamp {value.strip()!r} (minutes/seconds over 59)")
    return h * 3600 + mi * 60 + s + ms / 1000


def _blocks(text: str) -> list[tuple[int, list[str]]]:
    """Blank-line separated blocks with the (1-based) line number each starts on."""
    blocks: list[tuple[int, list[str]]] = []
    current: list[str] = []
    start = 0
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            if not current:
                start = number
            current.append(line.rstrip())
        elif current:
            blocks.append((start, current))
            current = []
    if current:
        blocks.append((start, current))
    return blocks


def _cue(index: int, line: int, timing: str, body: Sequence[str], source: str) -> Cue:
    where = f"{source}: cue {index} (line {line})"
    if "-->" not in timing:
        raise ConfigError(f"{where}: no timing line ('start --> end')")
    first, _, rest = timing.partition("-->")
    start = _seconds(first, where)
    end = _seconds(rest.split()[0] if rest.split() else "", where)
    if end <= start:
        raise ConfigError(f"{where}: ends ({rest.split()[0]}) before it starts ({first.strip()})")
    words = " ".join(_TAG.sub("", b).strip() for b in body).split()
    if not words:
        raise ConfigError(f"{where}: no text")
    return Cue(index, start, end, " ".join(words))


def parse_vtt(text: str, source: str = "<vtt>") -> list[Cue]:
    """Cues of a WebVTT file: the ``WEBVTT`` header, then cues (optional identifier line,
    ``start --> end [settings]``, text lines); ``NOTE``/``STYLE``/``REGION`` blocks skipped."""
    text = text.lstrip("\ufeff")
    if not text.startswith("WEBVTT"):
        raise ConfigError(f"{source}: line 1: a WebVTT file starts with 'WEBVTT'")
    cues: list[Cue] = []
    for line, block in _blocks(text)[1:]:
        if block[0].split(" ")[0] in ("NOTE", "STYLE", "REGION"):
            continue
        has_id = "-->" not in block[0] and len(block) > 1 and "-->" in block[1]
        timing, body = (block[1], block[2:]) if has_id else (block[0], block[1:])
        cues.append(_cue(len(cues) + 1, line + has_id, timing, body, source))
    if not cues:
        raise ConfigError(f"{source}: no cues")
    return cues


def parse_srt(text: str, source: str = "<srt>") -> list[Cue]:
    """Cues of a SubRip file: blocks of a cue number, ``start --> end``, text lines."""
    cues: list[Cue] = []
    for line, block in _blocks(text.lstrip("\ufeff")):
        index = len(cues) + 1
        if not block[0].strip().isdigit():
            raise ConfigError(
                f"{source}: cue {index} (line {line}): expected the cue number, got {block[0]!r}"
            )
        timing = block[1] if len(block) > 1 else ""
        cues.append(_cue(index, line + 1, timing, block[2:], source))
    if not cues:
        raise ConfigError(f"{source}: no cues")
    return cues


def read_captions(path: str | Path) -> list[Cue]:
    """Read a ``.vtt`` or ``.srt`` file (one-line :class:`ConfigError` naming file and cue)."""
    path = Path(path)
    parser = {".vtt": parse_vtt, ".srt": parse_srt}.get(path.suffix.lower())
    if parser is None:
        raise ConfigError(f"{path}: captions must be a .vtt or .srt file")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({type(exc).__name__})") from None
    return parser(text, str(path))


def captions_text(cues: Sequence[Cue]) -> str:
    """The cues as ``[m:ss] text`` lines (what systems and the judge are shown)."""
    return "\n".join(f"[{c.stamp}] {c.text}" for c in cues)


# ------------------------------------------------------------------------------ the arena file

Sees = Literal["full", "first_half", "none"]


class VideoSystem(BaseModel):
    """One answering system: its name, how much of the captions it sees, its model."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    sees: Sees = "full"
    model: str | dict[str, Any] | None = None
    prompt: str | None = None


class VideoQASpec(BaseModel):
    """The recipe's input file besides the captions (see ``examples/recipes/video/``)."""

    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    questions: list[str] = Field(min_length=1)
    systems: list[VideoSystem] = Field(min_length=2)


def load_video_qa(path: str | Path) -> VideoQASpec:
    """Read and validate the systems/questions file (one-line :class:`ConfigError`)."""
    path = Path(path)
    spec = load_yaml_model(path, VideoQASpec)
    names = [s.name for s in spec.systems]
    dupes = duplicates(names)
    if dupes:
        raise ConfigError(f"{path}: systems: duplicate name(s) {', '.join(dupes)}")
    return spec


def visible_cues(cues: Sequence[Cue], sees: Sees) -> list[Cue]:
    """The cues a system sees: all, those starting in the first half of the video, or none."""
    if sees == "full":
        return list(cues)
    if sees == "first_half":
        half = max(c.end for c in cues) / 2
        return [c for c in cues if c.start < half]
    return []


def system_prompt(spec: VideoQASpec, system: VideoSystem, cues: Sequence[Cue]) -> str:
    """What an answering system is told: the title and the captions it may see."""
    seen = visible_cues(cues, system.sees)
    head = system.prompt or "You answer questions about a video. Answer briefly and exactly."
    if not seen:
        return f"{head}\nThe video is titled '{spec.title}'. You have not seen it."
    part = "" if system.sees == "full" else " (only the first half of the video)"
    return f"{head}\nThe video '{spec.title}'. Its captions{part}:\n{captions_text(seen)}"


# ------------------------------------------------------------------------------------ users

_PERSONAS = (
    ("novice", "Sam", 0.1, "Has never repaired anything on a bike and is unsure of the words."),
    ("hobbyist", "Priya", 0.5, "Rides to work daily and has done small repairs before."),
    ("expert", "Marco", 0.9, "A former bike mechanic who wants exact numbers and details."),
)


def user_persona(i: int) -> Persona:
    """User ``i`` of the small population: novice, hobbyist, expert, in turn."""
    key, name, expertise, description = _PERSONAS[i % len(_PERSONAS)]
    return Persona.model_validate(
        {
            "id": f"viewer-{i}-{key}",
            "name": name,
            "description": description,
            "behaviour": {"expertise": expertise, "verbosity": 0.3},
        }
    )


def user_goal(spec: VideoQASpec, question: str) -> str:
    """The user's goal: the video's gist (not its details) and one thing to find out."""
    return (
        f"You are asking an assistant about the video '{spec.title}'. What it is about: "
        f"{spec.summary} Find out: {question} Ask one short question at a time. After each "
        "answer, follow up on what is missing, vague or doubtful, until you know it exactly."
    )


# ------------------------------------------------------------------------------------- run


def criterion(spec: VideoQASpec, cues: Sequence[Cue]) -> str:
    """The judge's criterion, with the full captions as the ground truth."""
    return (
        f"a user asked two assistants about the video '{spec.title}'. Which assistant's answers "
        "were more correct according to the video's captions below (the ground truth), and "
        "more helpful? Wrong or invented details count against an answer.\n"
        f"Captions:\n{captions_text(cues)}"
    )


async def run_video_qa(
    cues: Sequence[Cue],
    spec: VideoQASpec,
    *,
    user_model: Model,
    target_model: Model,
    judge: Model,
    system_models: Mapping[str, Model] | None = None,
    users: int = 3,
    turns: int = 2,
    resamples: int = 1000,
    seed: int = 0,
) -> tuple[list[Conversation], dict[str, Any]]:
    """Every user talks to every system (``turns`` questions each), then the arena ranks them.

    User ``i`` is persona ``i mod 3`` with question ``i mod len(questions)``; the same user
    (same persona, goal and seed) meets every system, so the arena pairs their conversations.
    """
    if users < 1 or turns < 1:
        raise ConfigError(f"users and turns must be at least 1, got {users} and {turns}")
    models = dict(system_models or {})
    by_system: dict[str, list[Conversation]] = {s.name: [] for s in spec.systems}
    for i in range(users):
        q = i % len(spec.questions)
        persona, goal = user_persona(i), user_goal(spec, spec.questions[q])
        for system in spec.systems:
            # One sampling seed per user, the same for every system: otherwise each call draws
            # from the model's running RNG and the "same" user opens differently per system.
            user = gate_user(
                PromptedUser(
                    user_model, goal=goal, profile=persona, config=GenerateConfig(seed=seed + i)
                ),
                ValidityOptions(),
                goal=goal,
                profile=persona,
            )
            target = ModelTarget(
                models.get(system.name, target_model),
                system_prompt=system_prompt(spec, system, cues),
                name="Assistant",
            )
            c = await run_conversation(
                [user, target],
                stop=StopConditions(max_turns=2 * turns),
                conversation_id=f"{system.name}-{persona.id}",
                scenario_id=f"q{q + 1}",
                metadata={
                    "system": system.name,
                    "sees": system.sees,
                    "question": q + 1,
                    "user": i,
                },
            )
            by_system[system.name].append(mark_simulator_validity(c))
    # A user who failed the validity gate with any system is the simulator's fault: that user
    # leaves every system's side of the arena (the battles stay paired).
    invalid_users = {
        c.metadata["user"] for cs in by_system.values() for c in cs if is_simulator_invalid(c)
    }
    judged = {
        name: [c for c in cs if c.metadata["user"] not in invalid_users]
        for name, cs in by_system.items()
    }
    try:
        if len(invalid_users) == users:
            raise ConfigError(
                f"every simulated user ({users}) failed the validity gate, so no pair was "
                "judged (simulator_invalid in the transcripts)"
            )
        result = (
            await arena(
                judged, judge, criterion=criterion(spec, cues), resamples=resamples, seed=seed
            )
        ).to_dict()
    except ConfigError as exc:  # the judge answered nothing: the conversations are still data
        k = len(spec.systems)
        result = {
            "judge": judge.name,
            "n_keys": users,
            "n_battles": 0,
            "unanswered": (users - len(invalid_users)) * k * (k - 1) // 2,
            "ties": 0,
            "bradley_terry": None,
            "elo": None,
            "ranking_error": str(exc),
        }
    report: dict[str, Any] = {
        "recipe": "video-qa",
        "video": spec.title,
        "cues": len(cues),
        "duration_s": max(c.end for c in cues),
        "users": users,
        "turns": turns,
        "simulator_invalid_users": sorted(invalid_users),
        "systems": [
            {
                "name": s.name,
                "sees": s.sees,
                "cues_seen": len(visible_cues(cues, s.sees)),
                **_answers(by_system[s.name]),
            }
            for s in spec.systems
        ],
        **{k: v for k, v in result.items() if k != "systems"},  # no run dirs here
    }
    conversations = [c for cs in by_system.values() for c in cs]
    return conversations, report


def _answers(conversations: Sequence[Conversation]) -> dict[str, Any]:
    """Per system: its conversations, those that ended in an error, mean answer words."""
    answers = [
        t.utterance
        for c in conversations
        for t in c.turns
        if any(p.id == t.speaker and p.kind is ParticipantKind.AI_SYSTEM for p in c.participants)
    ]
    return {
        "conversations": len(conversations),
        "errors": sum(c.error is not None for c in conversations),
        "answers": len(answers),
        "mean_answer_words": round(sum(len(a.split()) for a in answers) / len(answers), 1)
        if answers
        else None,
    }


def video_qa_table(report: Mapping[str, Any]) -> str:
    """The ranking as a Markdown table: Bradley–Terry and Elo with 95% intervals, W-L-T."""
    if not report.get("bradley_terry"):
        return f"no ranking: {report.get('ranking_error', 'no battles')}"
    sees = {s["name"]: s["sees"] for s in report["systems"]}
    elo = {r["system"]: r["rating"] for r in report["elo"]["ratings"]}
    rows = [
        "| rank | system | sees | Bradley–Terry [95% CI] | Elo [95% CI] | W-L-T |",
        "|---|---|---|---|---|---|",
    ]
    for rank, r in enumerate(report["bradley_terry"]["ratings"], 1):
        bt, e = r["rating"], elo[r["system"]]
        rows.append(
            f"| {rank} | {r['system']} | {sees.get(r['system'], '')} | "
            f"{bt['value']:.0f} [{bt['low']:.0f}, {bt['high']:.0f}] | "
            f"{e['value']:.0f} [{e['low']:.0f}, {e['high']:.0f}] | "
            f"{r['wins']}-{r['losses']}-{r['ties']} |"
        )
    return "\n".join(rows)
