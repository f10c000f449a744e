"""``teacher_student``: question-answering self-play over a document (survey §4.3, C.3; SimQuAC,
Socratic questioner).

A student who has seen only the document's title (and first paragraph) asks one question per
turn; a teacher who has the whole document answers from it. Each answer is attributed to the
passage it overlaps most (content words shared), recorded on the turn and as a ``grounding``
event. The conversation ends after ``questions`` questions and their answers.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from simulacra.conversation import Conversation, ParticipantKind, Turn, View
from simulacra.memory import Passage
from simulacra.models import GenerateConfig
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.paradigms._agents import ModelAgent
from simulacra.paradigms._registry import ParadigmContext, ParadigmOptions, register_paradigm
from simulacra.prompts import get_template

__all__ = ["TeacherStudentOptions", "attribute", "split_passages"]

_SUFFIXES = (".txt", ".md", ".markdown")
_STOPWORD_TEXT = (
    "the a an and or but of to in on at for from by with as is are was were be been being it its "
    "this that these those there their they them he she his her you your we our i not no does did "
    "do has have had what which who whom when where why how can could would should will may "
    "about into than then so if also only"
)
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


def split_passages(text: str, *, max_words: int = 120) -> list[Passage]:
    """Split a document into passages: paragraphs (blank-line separated), a heading joined to the
    paragraph under it, long paragraphs cut every ``max_words`` words."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    merged: list[str] = []
    pending = ""
    for block in blocks:
        if block.startswith("#") and "\n" not in block:
            pending = f"{pending}\n{block}".strip()
            continue
        merged.append(f"{pending}\n{block}".strip() if pending else block)
        pending = ""
    if pending:
        merged.append(pending)
    out: list[Passage] = []
    for block in merged:
        words = block.split()
        if len(words) <= max_words:
            out.append(Passage(id=f"p{len(out) + 1}", text=block))
            continue
        for start in range(0, len(words), max_words):
            chunk = " ".join(words[start : start + max_words])
            out.append(Passage(id=f"p{len(out) + 1}", text=chunk))
    return out


def _content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2} - _STOPWORDS


def attribute(answer: str, passages: list[Passage]) -> tuple[str | None, float]:
    """The passage that best supports ``answer`` by lexical overlap: the share of the answer's
    content words found in the passage. ``(None, 0.0)`` when no passage shares a word."""
    words = _content_words(answer)
    if not words:
        return None, 0.0
    best, score = None, 0.0
    for passage in passages:
        overlap = len(words & _content_words(passage.text)) / len(words)
        if overlap > score:
            best, score = passage.id, overlap
    return best, round(score, 3)


class TeacherStudentOptions(ParadigmOptions):
    """Options of ``teacher_student`` (its ``paradigm:`` section).

    The document is read when the config is parsed, so a missing file is a configuration error.

    Attributes:
        document: A ``.txt`` or ``.md`` file; a relative path is read from the run config's
            folder (``base_dir`` in the validation context) when the file is there, else from
            the current directory.
        document_text: The document inline (instead of ``document``).
        title: The document's title (default: its first Markdown heading, or first short line).
        questions: How many questions the student asks.
        student_sees: What of the document the student has seen: ``title`` or
            ``first_paragraph`` (title and first passage).
        student_model: Model role of the student.
        teacher_model: Model role of the teacher.
        passage_words: Longest passage, in words (for answer attribution).
        min_overlap: Least overlap for an answer to be attributed to a passage.
    """

    document: str | None = None
    document_text: str | None = None
    title: str | None = None
    questions: int = Field(default=5, ge=1, le=200)
    student_sees: Literal["title", "first_paragraph"] = "first_paragraph"
    student_model: str = "user"
    teacher_model: str = "target"
    passage_words: int = Field(default=120, ge=20, le=2000)
    min_overlap: float = Field(default=0.2, ge=0.0, le=1.0)

    _text: str = PrivateAttr(default="")

    @model_validator(mode="after")
    def _load(self, info: ValidationInfo) -> TeacherStudentOptions:
        if self.document is not None and self.document_text is not None:
            raise ValueError("document: give either document (a file) or document_text, not both")
        if self.document_text is not None:
            text = self.document_text
        elif self.document is None:
            raise ValueError("document: required: a .txt or .md file (or document_text inline)")
        else:
            text = _read(self.document, info)
        if not text.strip():
            raise ValueError(f"document: {self.document or 'document_text'} is empty")
        self._text = text
        return self

    @property
    def text(self) -> str:
        """The document's text."""
        return self._text

    def model_roles(self) -> list[str]:
        """The student's and the teacher's model roles."""
        return list(dict.fromkeys([self.student_model, self.teacher_model]))


def _read(name: str, info: ValidationInfo) -> str:
    path = Path(name).expanduser()
    if path.suffix.lower() not in _SUFFIXES:
        raise ValueError(f"document: expected a .txt or .md file, got {name!r}")
    context = info.context if isinstance(info.context, dict) else {}
    base = context.get("base_dir")  # the config file's folder, when the caller passes it
    if not path.is_absolute() and isinstance(base, str | Path) and (Path(base) / path).is_file():
        path = Path(base) / path
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (relative to the current directory {Path.cwd()})"
        raise ValueError(f"document: file not found: {name}{where}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"document: cannot read {name} ({type(exc).__name__})") from None


def _title(options: TeacherStudentOptions) -> str:
    if options.title:
        return options.title
    for line in options.text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("#"):
            return line.lstrip("#").strip()
        if len(line.split()) <= 12:
            return line
        break
    return Path(options.document).stem.replace("_", " ") if options.document else "the document"


def _student_turn(view: View) -> tuple[str, str]:
    template = get_template("ai_ai/student_turn")
    return template.render(transcript=view.transcript(self_label="You")), template.ref


def _first_question(text: str) -> str:
    """Only the first question of a student's message (a small model may answer it too)."""
    end = text.find("?")
    return text[: end + 1].strip() if end >= 0 else text


@register_paradigm("teacher_student", options=TeacherStudentOptions)
async def teacher_student(options: TeacherStudentOptions, ctx: ParadigmContext) -> Conversation:
    """Run one QA self-play: the student asks ``questions`` questions, the teacher answers."""
    passages = split_passages(options.text, max_words=options.passage_words)
    title = _title(options)
    visible = f"Title: {title}"
    if options.student_sees == "first_paragraph":
        first = passages[0].text.lstrip("#").strip()
        if first.startswith(title):
            first = first[len(title) :].strip()
        visible = f"{visible}\n\n{first}" if first else visible
    config = GenerateConfig(seed=ctx.seed)
    student_tpl, teacher_tpl = get_template("ai_ai/student"), get_template("ai_ai/teacher")
    student = ModelAgent(
        ctx.models[options.student_model],
        id="student",
        name="Student",
        kind=ParticipantKind.SIMULATED_HUMAN,
        system=student_tpl.render(visible=visible, focus=ctx.goal, instructions=ctx.instructions),
        templates=[student_tpl.ref],
        turn=_student_turn,
        shape=_first_question,
        config=config,
    )
    teacher = ModelAgent(
        ctx.models[options.teacher_model],
        id="teacher",
        name="Teacher",
        system=teacher_tpl.render(
            title=title, document=options.text.strip(), instructions=ctx.instructions
        ),
        templates=[teacher_tpl.ref],
        config=config,
    )
    sha = hashlib.sha256(options.text.encode()).hexdigest()
    stop = ctx.stop
    conversation = await run_conversation(
        [student, teacher],
        stop=StopConditions(
            max_turns=2 * options.questions,
            token_budget=stop.token_budget,
            timeout=stop.timeout,
            stall_window=stop.stall_window,
            stall_similarity=stop.stall_similarity,
        ),
        conversation_id=ctx.conversation_id,
        scenario_id=ctx.scenario_id,
        opening=[Turn(speaker="student", utterance=ctx.opening)] if ctx.opening else [],
        metadata={
            **ctx.metadata,
            "document": options.document or "inline",
            "document_sha256": sha,
            "title": title,
            "questions": options.questions,
        },
    )
    events: list[dict[str, object]] = [
        {
            "type": "document",
            "turn": 0,
            "title": title,
            "student_sees": visible,
            "passages": [{"id": p.id, "text": p.text} for p in passages],
        }
    ]
    asked = grounded = 0
    for index, turn in enumerate(conversation.turns):
        if turn.speaker == "student":
            asked += 1
            turn.metadata["question"] = asked
            if "?" not in turn.utterance:
                turn.metadata["not_a_question"] = True
            continue
        passage, overlap = attribute(turn.utterance, passages)
        if overlap < options.min_overlap:
            passage = None
        grounded += passage is not None
        turn.metadata.update(passage=passage, passage_overlap=overlap, answers=asked)
        events.append(
            {
                "type": "grounding",
                "turn": index,
                "question_turn": index - 1,
                "passage": passage,
                "overlap": overlap,
            }
        )
    conversation.events[:0] = events[:1]
    conversation.events.extend(events[1:])
    conversation.metadata.update(questions_asked=asked, answers_grounded=grounded)
    return conversation
