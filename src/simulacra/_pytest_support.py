"""What the ``simulacra`` pytest plugin shares with its assertions: the session's model
settings, one loaded model per spec (:func:`model_for`), running a coroutine from sync test code,
and the assertions :func:`assert_judge` and :func:`assert_check` (import them from
:mod:`simulacra.pytest_plugin`)."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import threading
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

from simulacra.conversation import Conversation
from simulacra.evaluation import Rubric, RubricJudge, Verdict, conversation_items, load_rubric
from simulacra.evaluation._rubric import Dimension, list_rubrics
from simulacra.models import GenerateConfig, Model, ModelAPI, RetryPolicy, build_api
from simulacra.models import parse_model_spec as _parse_spec

__all__ = ["assert_check", "assert_judge", "format_transcript", "model_for"]

DEFAULT_MODEL = "embedded:default"
_T = TypeVar("_T")

Spec = str | Mapping[str, Any] | Model


@dataclass
class _Settings:
    model: Spec = DEFAULT_MODEL
    judge_model: Spec | None = None
    transcripts: Path = field(default_factory=lambda: Path(".simulacra/pytest"))


def _spec(value: str) -> Spec:
    """A model spec string, or a JSON object (``{"model": "openai:x", "base_url": ...}``)."""
    if not value.lstrip().startswith("{"):
        return value
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise pytest.UsageError(f"simulacra model: not a JSON object: {exc.msg}") from None
    if not isinstance(data, dict):
        raise pytest.UsageError("simulacra model: expected a spec string or a JSON object")
    return data


_SETTINGS = _Settings(model=_spec(os.environ.get("SIMULACRA_MODEL") or DEFAULT_MODEL))
_APIS: dict[str, ModelAPI] = {}
_LOCK = threading.Lock()


def _name(spec: Spec) -> str:
    if isinstance(spec, Model):
        return spec.name
    return str(spec.get("model")) if isinstance(spec, Mapping) else spec


# --- models -------------------------------------------------------------------------------


def model_for(spec: Spec, *, role: str, **sampling: Any) -> Model:
    """A :class:`Model` for ``role``; a loaded model (one llama.cpp context per spec) is shared
    by every role and test of the session, so a test suite loads each model once."""
    if isinstance(spec, Model):
        return spec
    parsed = _parse_spec(dict(spec) if isinstance(spec, Mapping) else spec)
    load = parsed.model_dump(exclude=set(GenerateConfig.model_fields) | {"max_retries"})
    key = json.dumps(load, sort_keys=True, default=str)
    with _LOCK:
        api = _APIS.get(key)
        if api is None:
            api = _APIS[key] = build_api(parsed)
    config = parsed.generate_config().merged(GenerateConfig(**sampling))
    return Model(
        api,
        role=role,
        config=config,
        retry=RetryPolicy(max_retries=parsed.max_retries, timeout=parsed.timeout),
        max_concurrency=parsed.max_connections,
    )


# --- running coroutines from sync tests ---------------------------------------------------


def _run_sync(factory: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """Run a coroutine to its end from sync code, also inside an async test (in a thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(factory())
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(factory())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: _T = box["value"]
    return value


# --- assertions ---------------------------------------------------------------------------


def format_transcript(conversation: Conversation, *, width: int = 400) -> str:
    """The conversation as ``Name: text`` lines and why it ended."""
    names = {p.id: p.name for p in conversation.participants}
    lines = [f"--- conversation {conversation.id} ---"]
    for turn in conversation.turns:
        text = " ".join((turn.utterance or "(empty)").split())
        if len(text) > width:
            text = text[: width - 3] + "..."
        lines.append(f"{names.get(turn.speaker, turn.speaker)}: {text}")
    ended = f"--- ended: {conversation.termination}"
    if conversation.error:
        ended += f" ({conversation.error})"
    lines.append(ended)
    return "\n".join(lines)


def _rubric(rubric: str | Rubric) -> Rubric:
    if isinstance(rubric, Rubric):
        return rubric
    if rubric in list_rubrics() or rubric.endswith((".yaml", ".yml")) or " " not in rubric:
        return load_rubric(rubric)
    return Rubric(
        id="criterion",
        version=1,
        level="dialogue",
        instructions="You check whether a conversation between a user and an assistant meets "
        f"this requirement: {rubric}",
        dimensions=[
            Dimension(
                name="score",
                description="How well does the conversation meet the requirement?",
                anchors={1: "not at all", 3: "partly", 5: "fully"},
            )
        ],
    )


def assert_judge(
    conversation: Conversation,
    rubric: str | Rubric,
    *,
    min_score: float = 4,
    judge: Spec | None = None,
    dimension: str | None = None,
) -> list[Verdict]:
    """Assert that an LLM judge scores the conversation at least ``min_score``.

    Args:
        conversation: What to judge.
        rubric: A packaged rubric id (``satisfaction``, ``engagement``...), a rubric file
            (``.yaml``), a :class:`~simulacra.evaluation.Rubric`, or a one-sentence requirement
            (judged 1–5 at dialogue level).
        min_score: The least acceptable score (turn-level rubrics: the mean over the
            assistant's turns).
        judge: The judge model (default: ``--simulacra-judge-model``, else the simulacra model).
        dimension: Score this dimension only (default: the mean of all).

    Returns:
        The verdicts, for further assertions.

    Raises:
        AssertionError: With the transcript, the judge's explanation and scores.
    """
    chosen = _rubric(rubric)
    model = model_for(judge or _SETTINGS.judge_model or _SETTINGS.model, role="judge")
    items = conversation_items([conversation], level=chosen.level)
    if not items:
        raise AssertionError(f"nothing to judge\n{format_transcript(conversation)}")
    verdicts = _run_sync(lambda: RubricJudge(model, chosen).judge(items))
    scored = [v for v in verdicts if v.scores]
    values = [v.scores[dimension] if dimension else v.overall for v in scored]
    score = sum(v for v in values if v is not None) / len(values) if values else None
    if score is None or score < min_score:
        head = (
            f"judge gave no score ({verdicts[0].error})"
            if score is None
            else f"judge score {score:.2f} < min_score {min_score}"
        )
        explained = "\n".join(
            f"  {v.item_id}: {v.scores} — {v.explanation or v.error}" for v in verdicts
        )
        raise AssertionError(
            f"{head} (rubric {chosen.ref}, judge {model.name})\n"
            f"judge explanation:\n{explained}\n{format_transcript(conversation)}"
        )
    return verdicts


def assert_check(
    conversation: Conversation,
    predicate: Callable[[Conversation], bool | tuple[bool, str]],
    message: str | None = None,
) -> None:
    """Assert that ``predicate(conversation)`` holds; it may return ``(ok, why)``.

    Raises:
        AssertionError: Naming the check (``message``, else its docstring or name), its reason
            and the transcript.
    """
    result = predicate(conversation)
    ok, why = result if isinstance(result, tuple) else (result, "")
    if not ok:
        name = (
            message
            or (inspect.getdoc(predicate) or "").split("\n")[0]
            or getattr(predicate, "__name__", "check")
        )
        reason = f": {why}" if why else ""
        raise AssertionError(f"check failed: {name}{reason}\n{format_transcript(conversation)}")
