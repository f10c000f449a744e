"""AI–AI paradigms: task role-play (CAMEL), debate, teacher–student self-play.

Logic runs on function-driven models (one "brain" that answers by prompt), through
``execute_run`` from a config dict; one short run per paradigm on the real tiny embedded model.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from simulacra.conversation import Conversation, ParticipantKind, TerminationReason
from simulacra.errors import ConfigError
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.paradigms import parse_paradigm
from simulacra.paradigms._teacher import TeacherStudentOptions, attribute, split_passages
from simulacra.runs import execute_run, parse_config, read_conversations
from simulacra.testing import function_model

Brain = Callable[[Sequence[ChatMessage], GenerateConfig], str]

DOCUMENT = """# The Bell Rock Lighthouse

The Bell Rock Lighthouse stands on a reef eleven miles off the coast of Angus, in Scotland.

It was built between 1807 and 1810 by Robert Stevenson, with John Rennie as chief engineer.
The stones were cut on shore at Arbroath and fitted together like a puzzle.

Its light was first lit on 1 February 1811. It is the oldest surviving sea-washed lighthouse.
"""


def _use(monkeypatch: pytest.MonkeyPatch, brain: Brain) -> list[Model]:
    """Every model the run builds is a function model over ``brain`` (built per role)."""
    built: list[Model] = []

    def fake_get_model(spec: object, *, role: str, cache: object = None) -> Model:
        model = function_model(brain, role=role, name=f"function:{role}")
        built.append(model)
        return model

    monkeypatch.setattr("simulacra.runs._items.get_model", fake_get_model)
    return built


async def _run(config: dict[str, object], tmp_path: Path) -> Conversation:
    parsed = parse_config({"cache": {"enabled": False}, **config})
    result = await execute_run(parsed, output_dir=tmp_path)
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 1
    return conversations[0]


def _templates(call: dict[str, object]) -> list[str]:
    templates = call.get("templates") or []
    assert isinstance(templates, list)
    return [str(t) for t in templates]


# --- task_roleplay ----------------------------------------------------------------------------

SPECIFIED = "Write a Python script that ranks five stocks by 30-day momentum."


def _camel_brain(*, done_after: int | None = 2, repeat: bool = False) -> Brain:
    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        system, last = messages[0].content, messages[-1].content
        if "Make the task more specific" in last:
            return f"  {SPECIFIED}\n"
        mine = sum(m.role == "assistant" for m in messages)
        if "you always give instructions" in system:
            if done_after is not None and mine >= done_after:
                return "<CAMEL_TASK_DONE>"
            n = 1 if repeat else mine + 1
            return f"Stock Trader: Instruction: step {n} of the script.\nInput: None"
        return "Solution: here is the code." if repeat else f"Solution: code for {last[:30]}"

    return brain


TASK_CONFIG: dict[str, object] = {
    "name": "camel",
    "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
    "scenarios": [{"id": "trade", "goal": "Develop a trading bot for the stock market."}],
    "paradigm": {
        "type": "task_roleplay",
        "instructor_role": "Stock Trader",
        "executor_role": "Python Programmer",
    },
    "stop": {"max_turns": 10},
}


async def test_task_roleplay_specifies_the_task_and_ends_on_the_done_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _camel_brain(done_after=2))
    c = await _run(TASK_CONFIG, tmp_path)
    # The specifier ran first and its task is what the agents work on.
    assert c.events[0]["type"] == "task_specified"
    assert c.events[0]["specified_task"] == SPECIFIED == c.metadata["specified_task"]
    assert c.metadata["task"] == "Develop a trading bot for the stock market."
    first = c.model_calls[0]
    assert _templates(first) == ["ai_ai/task_specifier@1"]
    later = c.model_calls[1]
    system = later["messages"][0]["content"]  # type: ignore[index]
    assert SPECIFIED in system and "Develop a trading bot" not in system
    # Two instructions, two solutions, then the done token: user_stop by the instructor.
    assert [t.speaker for t in c.turns] == ["instructor", "executor"] * 2
    assert c.termination is TerminationReason.USER_STOP and c.ended_by == "instructor"
    names = {p.id: p.name for p in c.participants}
    assert names == {"instructor": "Stock Trader", "executor": "Python Programmer"}
    assert all(p.kind is ParticipantKind.AGENT for p in c.participants)
    # The speaker label the model added is stripped; the done token never shows.
    assert c.turns[0].utterance.startswith("Instruction: step 1")
    assert all("CAMEL_TASK_DONE" not in t.utterance for t in c.turns)
    assert len(c.model_calls) == 1 + 5 and c.usage["completion_tokens"] > 0


async def test_task_roleplay_max_turns_and_no_specifier(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    brain = _camel_brain(done_after=None)
    _use(monkeypatch, brain)
    paradigm = {**TASK_CONFIG["paradigm"], "specify_task": False}  # type: ignore[dict-item]
    c = await _run({**TASK_CONFIG, "paradigm": paradigm, "stop": {"max_turns": 3}}, tmp_path)
    assert c.termination is TerminationReason.MAX_TURNS and c.ended_by == "loop"
    assert len(c.turns) == 3 and c.metadata["specified_task"] is None
    assert not any(e["type"] == "task_specified" for e in c.events)
    assert all("ai_ai/task_specifier@1" not in _templates(m) for m in c.model_calls)


async def test_task_roleplay_stalls_when_the_agents_repeat_themselves(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _camel_brain(done_after=None, repeat=True))
    c = await _run({**TASK_CONFIG, "stop": {"max_turns": 20}}, tmp_path)
    assert c.termination is TerminationReason.STALLED and c.ended_by == "loop"
    assert len(c.turns) < 20


async def test_task_specifier_failure_is_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        raise ValueError("specifier exploded\nsecond line")

    _use(monkeypatch, brain)
    c = await _run(TASK_CONFIG, tmp_path)
    assert c.termination is TerminationReason.SIMULATOR_ERROR
    assert c.ended_by == "task_specifier" and not c.turns
    assert c.error is not None and "specifier exploded" in c.error and "\n" not in c.error


# --- debate -----------------------------------------------------------------------------------


def _debate_brain(*, verdicts: list[str], flip_round: int = 2) -> Brain:
    """Opponent is persuaded after ``flip_round``; the judge answers ``verdicts`` in order."""

    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        schema = config.json_schema or {}
        props = schema.get("properties", {})
        prompt = messages[-1].content
        if "winner" in props:
            return verdicts.pop(0)
        if "stance" in props:
            me = prompt.split("You are ", 1)[1].split(".", 1)[0]
            said = prompt.count("\nYou: ") + prompt.startswith("You: ")
            if me == "Opponent":
                return json.dumps(
                    {"stance": "pro" if said >= flip_round else "con", "confidence": 7}
                )
            return json.dumps({"stance": "pro", "confidence": 0.9})
        me = messages[0].content.split("You are ", 1)[1].split(",", 1)[0]
        return f"{me}: argument {prompt.count(chr(10))}"

    return brain


DEBATE_CONFIG: dict[str, object] = {
    "name": "debate",
    "models": {"debater": "embedded:tiny", "judge": "embedded:tiny"},
    "scenarios": [{"id": "uniforms", "goal": "Schools should require uniforms."}],
    "paradigm": {"type": "debate", "rounds": 3},
}


async def test_debate_records_position_changes_and_the_verdict(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    verdict = json.dumps({"explanation": "Proponent answered every point.", "winner": "Proponent"})
    _use(monkeypatch, _debate_brain(verdicts=[verdict]))
    c = await _run(DEBATE_CONFIG, tmp_path)
    assert [t.speaker for t in c.turns] == ["proponent", "opponent"] * 3
    assert [t.metadata["round"] for t in c.turns] == [1, 1, 2, 2, 3, 3]
    assert c.termination is TerminationReason.MAX_TURNS
    positions = [e for e in c.events if e["type"] == "position"]
    assert len(positions) == 6  # two debaters × three rounds
    assert {(e["round"], e["debater"]) for e in positions} == {
        (r, d) for r in (1, 2, 3) for d in ("proponent", "opponent")
    }
    changes = [e for e in c.events if e["type"] == "position_change"]
    assert len(changes) == 1 and c.metadata["position_changes"] == 1
    change = changes[0]
    assert (change["debater"], change["round"], change["from"], change["to"]) == (
        "opponent",
        2,
        "con",
        "pro",
    )
    flipped = c.turns[3]
    assert flipped.speaker == "opponent" and flipped.metadata["stance_changed"] is True
    assert flipped.metadata["stance"] == "pro" and flipped.metadata["confidence"] == 1.0
    assert c.turns[1].metadata["stance"] == "con" and c.turns[1].metadata["stance_changed"] is False
    assert c.metadata["final_stance.opponent"] == "pro"
    # The verdict, after the last round's positions, explanation first.
    last = c.events[-1]
    assert last["type"] == "verdict" and last["winner"] == "Proponent"
    assert last["explanation"] == "Proponent answered every point." and last["attempts"] == 1
    assert c.metadata["winner"] == "Proponent" and c.metadata["winner_id"] == "proponent"
    judge_calls = [m for m in c.model_calls if "ai_ai/debate_judge@2" in _templates(m)]
    assert len(judge_calls) == 1 and judge_calls[0]["role"] == "judge"
    schema = judge_calls[0]["config"]["json_schema"]  # type: ignore[index]
    assert schema["properties"]["winner"]["enum"] == ["Proponent", "Opponent", "tie"]
    turn_prompt = c.model_calls[1]["messages"][-1]["content"]  # type: ignore[index]
    assert "your turn, Opponent. You argue against the motion." in turn_prompt


async def test_malformed_verdict_is_retried_once_then_recorded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _debate_brain(verdicts=["I think Proponent", '{"winner": "Nobody"}']))
    c = await _run({**DEBATE_CONFIG, "paradigm": {"type": "debate", "rounds": 1}}, tmp_path)
    assert c.termination is TerminationReason.MAX_TURNS and c.error is None
    error = c.events[-1]
    assert error["type"] == "verdict_error" and error["attempts"] == 2
    assert error["raw"] == '{"winner": "Nobody"}' and len(error["call_ids"]) == 2  # type: ignore[arg-type]
    assert c.metadata["winner"] is None and "winner" in str(c.metadata["verdict_error"])
    # The retry says why the first answer could not be used.
    prompts = [
        m["messages"][-1]["content"]  # type: ignore[index]
        for m in c.model_calls
        if "ai_ai/debate_judge@2" in _templates(m)
    ]
    assert len(prompts) == 2 and "could not be used" not in prompts[0]
    assert "could not be used (no JSON with 'explanation' and 'winner'" in prompts[1]


async def test_verdict_after_one_retry(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    good = json.dumps({"explanation": "Even.", "winner": "tie"})
    _use(monkeypatch, _debate_brain(verdicts=["{not json", good]))
    c = await _run({**DEBATE_CONFIG, "paradigm": {"type": "debate", "rounds": 1}}, tmp_path)
    verdict = c.events[-1]
    assert verdict["type"] == "verdict" and verdict["attempts"] == 2
    assert verdict["winner"] == "tie" and verdict["winner_id"] is None


async def test_three_debaters_round_robin_with_positions_in_words(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _use(monkeypatch, _debate_brain(verdicts=[]))
    paradigm = {
        "type": "debate",
        "rounds": 2,
        "judge_model": None,
        "debaters": [
            {"name": "Ada", "position": "pro"},
            {"name": "Ben", "position": "con"},
            {"name": "Cy", "position": "uniforms only for younger pupils"},
        ],
    }
    c = await _run(
        {**DEBATE_CONFIG, "models": {"debater": "embedded:tiny"}, "paradigm": paradigm}, tmp_path
    )
    assert [t.speaker for t in c.turns] == ["ada", "ben", "cy"] * 2
    assert c.turns[2].metadata["position"] == "uniforms only for younger pupils"
    # Cy started undecided and now says "pro": a change; no judge, no verdict.
    cy = [e for e in c.events if e["type"] == "position_change" and e["debater"] == "cy"]
    assert cy and cy[0]["from"] == "undecided"
    assert not any(e["type"].startswith("verdict") for e in c.events)  # type: ignore[union-attr]
    system = c.model_calls[2]["messages"][0]["content"]  # type: ignore[index]
    assert "uniforms only for younger pupils" in system and "Ada, Ben" in system


async def test_unreadable_positions_and_a_failing_debater_are_data(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        if config.json_schema is not None:
            return "I lean towards yes"  # not JSON: recorded, not raised
        if (
            messages[0].content.startswith("You are Opponent")
            and "\nYou: " in messages[-1].content  # its second turn
        ):
            raise RuntimeError("opponent model crashed")
        return "An argument."

    _use(monkeypatch, brain)
    c = await _run(DEBATE_CONFIG, tmp_path)
    # Round 1 went through; the opponent's second turn failed: no verdict for a failed debate.
    assert [t.speaker for t in c.turns] == ["proponent", "opponent", "proponent"]
    assert c.termination is TerminationReason.SIMULATOR_ERROR and c.ended_by == "opponent"
    assert c.error is not None and "opponent model crashed" in c.error
    errors = [e for e in c.events if e["type"] == "position_error"]
    assert [(e["round"], e["debater"]) for e in errors] == [(1, "proponent"), (1, "opponent")]
    assert errors[0]["raw"] == "I lean towards yes"
    assert not any(e["type"] in ("position", "position_change", "verdict") for e in c.events)
    assert c.metadata["position_changes"] == 0 and "winner" not in c.metadata


# --- teacher_student --------------------------------------------------------------------------


def _qa_brain(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
    system = messages[0].content
    if "curious student" in system:
        asked = sum(line.startswith("You: ") for line in messages[-1].content.splitlines())
        return ["Who built it? I guess Stevenson.", "When was it first lit?"][asked % 2]
    question = messages[-1].content
    if "Who" in question:
        return "Robert Stevenson built it between 1807 and 1810, with John Rennie as engineer."
    return "Its light was first lit on 1 February 1811."


def test_passages_and_attribution() -> None:
    passages = split_passages(DOCUMENT)
    assert [p.id for p in passages] == ["p1", "p2", "p3"]
    assert passages[0].text.startswith("# The Bell Rock Lighthouse\nThe Bell Rock")
    assert attribute("Stevenson built it with Rennie.", passages) == ("p2", 1.0)
    assert attribute("I do not know.", passages) == (None, 0.0)
    long = split_passages(" ".join(["word"] * 50), max_words=20)
    assert [len(p.text.split()) for p in long] == [20, 20, 10]


async def test_teacher_answers_are_tied_to_passages(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "bell_rock.md").write_text(DOCUMENT)
    monkeypatch.chdir(tmp_path)  # a relative document path is read from the current directory
    _use(monkeypatch, _qa_brain)
    config = {
        "name": "qa",
        "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
        "scenarios": [{"id": "bell", "goal": "how the lighthouse was built"}],
        "paradigm": {"type": "teacher_student", "document": "bell_rock.md", "questions": 2},
    }
    c = await _run(config, tmp_path / "runs")
    assert [t.speaker for t in c.turns] == ["student", "teacher"] * 2
    assert c.termination is TerminationReason.MAX_TURNS
    assert [t.metadata.get("question") for t in c.turns[::2]] == [1, 2]
    # Only the first question is kept: the student's own guess never reaches the teacher.
    assert c.turns[0].utterance == "Who built it?"
    assert [t.metadata["passage"] for t in c.turns[1::2]] == ["p2", "p3"]
    overlap = c.turns[1].metadata["passage_overlap"]
    assert isinstance(overlap, float) and overlap > 0.5
    grounding = [e for e in c.events if e["type"] == "grounding"]
    assert [(e["turn"], e["question_turn"], e["passage"]) for e in grounding] == [
        (1, 0, "p2"),
        (3, 2, "p3"),
    ]
    assert c.events[0]["type"] == "document" and len(c.events[0]["passages"]) == 3  # type: ignore[arg-type]
    assert c.metadata["title"] == "The Bell Rock Lighthouse"
    assert c.metadata["answers_grounded"] == 2 and c.metadata["document"] == "bell_rock.md"
    # The student has seen the title and first paragraph only; the teacher, all of it.
    by_template = {_templates(m)[0]: m for m in c.model_calls}
    student = by_template["ai_ai/student@2"]["messages"][0]["content"]  # type: ignore[index]
    teacher = by_template["ai_ai/teacher@1"]["messages"][0]["content"]  # type: ignore[index]
    assert "eleven miles off the coast" in student and "Robert Stevenson" not in student
    assert "Robert Stevenson" in teacher and "1 February 1811" in teacher
    kinds = {p.id: p.kind for p in c.participants}
    assert kinds == {"student": ParticipantKind.SIMULATED_HUMAN, "teacher": ParticipantKind.AGENT}


def test_inline_document_and_title_only() -> None:
    options = parse_paradigm(
        {"type": "teacher_student", "document_text": DOCUMENT, "student_sees": "title"}
    )
    assert isinstance(options, TeacherStudentOptions)
    assert options.text == DOCUMENT and options.model_roles() == ["user", "target"]


# --- bad input --------------------------------------------------------------------------------

_MODELS = {"user": "embedded:tiny", "target": "embedded:tiny", "debater": "embedded:tiny"}


@pytest.mark.parametrize(
    ("paradigm", "needle"),
    [
        (
            {"type": "debate", "debaters": [{"name": "Solo"}], "judge_model": None},
            "paradigm.debaters: a debate needs at least 2 debaters, got 1",
        ),
        (
            {"type": "debate", "judge_model": None, "debaters": [{"name": "A"}, {"name": "a"}]},
            "paradigm.debaters: debater names must differ",
        ),
        ({"type": "debate", "rounds": 0}, "paradigm.rounds: Input should be greater than"),
        ({"type": "debate", "round": 2}, "paradigm.round: unknown key (did you mean 'rounds'?)"),
        ({"type": "debate"}, "paradigm (judge): no model for role 'judge'"),
        (
            {"type": "debate", "judge_model": None, "debater_model": "debator"},
            "no model for role 'debator'",
        ),
        (
            {"type": "debate", "judge_model": None, "debaters": [{"name": "A", "stance": "maybe"}]},
            "paradigm.debaters.0.stance",
        ),
        (
            {"type": "teacher_student", "document": "nowhere/lighthouse.md"},
            "paradigm.document: file not found: nowhere/lighthouse.md",
        ),
        ({"type": "teacher_student"}, "paradigm.document: required: a .txt or .md file"),
        (
            {"type": "teacher_student", "document": "paper.pdf"},
            "paradigm.document: expected a .txt or .md file, got 'paper.pdf'",
        ),
        (
            {"type": "teacher_student", "document": "a.md", "document_text": "x"},
            "paradigm.document: give either document",
        ),
        ({"type": "teacher_student", "document_text": "  \n"}, "document_text is empty"),
        ({"type": "teacher_student", "document_text": "x", "questions": 0}, "paradigm.questions"),
        (
            {"type": "task_roleplay", "instructor_role": "Coder", "executor_role": "coder"},
            "paradigm.executor_role: must differ from instructor_role",
        ),
        ({"type": "task_roleplay", "specifier_model": "spec"}, "no model for role 'spec'"),
        ({"type": "task_roleplay", "word_limit": 1}, "paradigm.word_limit"),
    ],
)
def test_bad_options_are_one_line_config_errors(paradigm: dict[str, object], needle: str) -> None:
    config = {"models": _MODELS, "scenarios": [{"id": "s", "goal": "g"}], "paradigm": paradigm}
    with pytest.raises(ConfigError) as info:
        parse_config(config, source="run.yaml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("run.yaml: ") and needle in message


def test_model_roles_default_to_sensible_names() -> None:
    roles = {
        name: parse_paradigm({"type": name, **extra}).model_roles()  # type: ignore[union-attr]
        for name, extra in [
            ("task_roleplay", {}),
            ("debate", {}),
            ("teacher_student", {"document_text": "x"}),
        ]
    }
    assert roles == {
        "task_roleplay": ["user", "target"],
        "debate": ["debater", "judge"],
        "teacher_student": ["user", "target"],
    }


# --- the real tiny model ----------------------------------------------------------------------


def _tiny(path: str, role_names: Sequence[str]) -> dict[str, object]:
    spec = {"model": f"gguf:{path}", "max_tokens": 20, "temperature": 0.7, "n_ctx": 2048}
    return {role: spec for role in role_names}


def _well_formed(c: Conversation, speakers: set[str]) -> None:
    assert c.termination is not None and not c.termination.is_error, (c.termination, c.error)
    assert c.turns and {t.speaker for t in c.turns} <= speakers
    assert all(isinstance(t.utterance, str) for t in c.turns)
    assert all(t.model_calls for t in c.turns)
    assert c.usage["completion_tokens"] > 0
    Conversation.model_validate_json(c.model_dump_json())


@pytest.mark.embedded
async def test_task_roleplay_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    config = {
        **TASK_CONFIG,
        "models": _tiny(tiny_gguf, ["user", "target"]),
        "paradigm": {**TASK_CONFIG["paradigm"], "word_limit": 15},  # type: ignore[dict-item]
        "stop": {"max_turns": 2},
    }
    c = await _run(config, tmp_path)
    _well_formed(c, {"instructor", "executor"})
    assert c.events[0]["type"] == "task_specified" and c.metadata["specified_task"]


@pytest.mark.embedded
async def test_debate_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    config = {
        **DEBATE_CONFIG,
        "models": _tiny(tiny_gguf, ["debater", "judge"]),
        "paradigm": {"type": "debate", "rounds": 1},
    }
    c = await _run(config, tmp_path)
    _well_formed(c, {"proponent", "opponent"})
    kinds = {str(e["type"]) for e in c.events}
    # Each poll is a position or a recorded error; the judge a verdict or a recorded error.
    polls = [e for e in c.events if e["type"] in ("position", "position_error")]
    assert len(polls) == 2 and kinds & {"verdict", "verdict_error"}


@pytest.mark.embedded
async def test_teacher_student_on_the_tiny_model(tiny_gguf: str, tmp_path: Path) -> None:
    config = {
        "name": "qa",
        "models": _tiny(tiny_gguf, ["user", "target"]),
        "scenarios": [{"id": "bell", "goal": "how the lighthouse was built"}],
        "paradigm": {"type": "teacher_student", "document_text": DOCUMENT, "questions": 1},
    }
    c = await _run(config, tmp_path)
    _well_formed(c, {"student", "teacher"})
    assert [t.speaker for t in c.turns] == ["student", "teacher"]
    assert "passage_overlap" in c.turns[1].metadata
