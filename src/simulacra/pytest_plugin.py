"""pytest plugin: test your own chatbot with simulated users (survey §8, Appendix G).

Registered as the ``simulacra`` pytest plugin (``-p simulacra.pytest_plugin``, or automatically
once installed through its ``pytest11`` entry point). A test asks for a simulated user, wraps
the system under test, runs a conversation and asserts on it::

    def test_refund(simulated_user, simulacra_target, converse):
        user = simulated_user("Get a refund for order 1234.", persona="An impatient plumber.")
        bot = simulacra_target(my_chatbot)           # a function, a model, or an HTTP URL
        conversation = converse(user, bot, max_turns=6)
        assert_judge(conversation, "The assistant explained how to get the refund.", min_score=4)

Fixtures: ``simulated_user`` (a factory of goal-state users behind the simulator validity
gate; a conversation the gate flags ``simulator_invalid`` skips the test with the reasons instead
of failing it: a simulator fault is not a fault of your system), ``simulacra_target``
(a factory of targets), ``converse`` (runs one conversation, sync or ``await converse.run``).
Assertions (importable from this module): :func:`assert_judge` (an LLM judge with a rubric or a
one-sentence criterion) and :func:`assert_check` (any predicate); on failure both print the
transcript and, for the judge, its explanation. The conversations of a failing test are saved
under ``.simulacra/pytest/`` (``--simulacra-transcripts DIR``).

The model of the simulated users (and the default judge) is ``embedded:default`` unless set by
``--simulacra-model`` > ini ``simulacra_model`` > ``$SIMULACRA_MODEL``; the judge alone by
``--simulacra-judge-model`` > ini ``simulacra_judge_model`` > ``$SIMULACRA_JUDGE_MODEL``.
"""

from __future__ import annotations

import inspect
import os
import re
from collections.abc import Callable, Generator, Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import TypeAdapter

from simulacra._atomic import write_text_atomic
from simulacra._pytest_support import (
    _APIS,
    _LOCK,
    _SETTINGS,
    DEFAULT_MODEL,
    Spec,
    _name,
    _run_sync,
    _spec,
    assert_check,
    assert_judge,
    format_transcript,
    model_for,
)
from simulacra.conversation import Conversation, Turn, View
from simulacra.models import Model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    CallableTarget,
    GoalStateUser,
    HTTPTarget,
    ModelTarget,
    Participant,
    PromptedUser,
    ValidityOptions,
    gate_user,
    mark_simulator_validity,
)
from simulacra.profiles import GeneralUser, Persona, Profile

__all__ = [
    "Converse",
    "SimulatedUserFactory",
    "TargetFactory",
    "assert_check",
    "assert_judge",
    "format_transcript",
    "model_for",
]


_STASH: pytest.StashKey[list[Conversation]] = pytest.StashKey()


# --- pytest hooks -------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("simulacra", "Simulacra simulated users")
    group.addoption("--simulacra-model", default=None, help="model of the simulated users")
    group.addoption("--simulacra-judge-model", default=None, help="model of assert_judge")
    group.addoption(
        "--simulacra-transcripts", default=None, help="where failing tests' transcripts go"
    )
    parser.addini("simulacra_model", "model of the simulated users (default embedded:default)")
    parser.addini("simulacra_judge_model", "model of assert_judge (default: simulacra_model)")
    parser.addini("simulacra_transcripts", "directory for failing tests' transcripts")


def _setting(config: pytest.Config, name: str, env: str | None) -> str | None:
    value = config.getoption(f"--{name.replace('_', '-')}") or config.getini(name)
    return str(value) if value else (os.environ.get(env) if env else None) or None


def pytest_configure(config: pytest.Config) -> None:
    model = _setting(config, "simulacra_model", "SIMULACRA_MODEL") or DEFAULT_MODEL
    judge = _setting(config, "simulacra_judge_model", "SIMULACRA_JUDGE_MODEL")
    _SETTINGS.model = _spec(model)
    _SETTINGS.judge_model = _spec(judge) if judge else None
    where = _setting(config, "simulacra_transcripts", None) or ".simulacra/pytest"
    _SETTINGS.transcripts = Path(config.rootpath) / where


def pytest_unconfigure(config: pytest.Config) -> None:
    with _LOCK:
        _APIS.clear()  # free loaded embedded models


def pytest_report_header(config: pytest.Config) -> str:
    judge = _SETTINGS.judge_model or _SETTINGS.model
    return f"simulacra: simulated users on {_name(_SETTINGS.model)}, judge {_name(judge)}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    conversations = item.stash.get(_STASH, [])
    if report.when == "call" and report.failed and conversations:
        path = _save_transcripts(item.nodeid, conversations)
        report.sections.append(("simulacra", f"transcripts of this test saved to {path}"))
    return report


def _save_transcripts(nodeid: str, conversations: Sequence[Conversation]) -> Path:
    """Write ``<node>.jsonl`` (records) and ``<node>.txt`` (readable) atomically."""
    directory = _SETTINGS.transcripts
    directory.mkdir(parents=True, exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150]
    records = "".join(c.model_dump_json() + "\n" for c in conversations)
    text = "\n\n".join(format_transcript(c) for c in conversations) + "\n"
    for suffix, content in ((".jsonl", records), (".txt", text)):
        write_text_atomic(directory / f"{stem}{suffix}", content)
    return directory / f"{stem}.txt"


# --- fixtures -----------------------------------------------------------------------------

_PROFILE: TypeAdapter[Any] = TypeAdapter(Profile)


def _profile(persona: str | Mapping[str, Any] | Profile | None, name: str | None) -> Profile:
    if persona is None:
        return GeneralUser(name=name or "User")
    if isinstance(persona, str):
        return Persona(name=name or "User", description=persona)
    if isinstance(persona, Mapping):
        data = {"kind": "persona", **persona}
        if name:
            data["name"] = name
        profile: Profile = _PROFILE.validate_python(data)
        return profile
    return persona


class SimulatedUserFactory:
    """``simulated_user(goal, persona=..., ...)`` → a simulated user behind the validity gate.

    ``user="goal_state"`` (default) is a :class:`~simulacra.participants.GoalStateUser`: its
    goal becomes a checklist, it says a little at a time and ends when its goal is met, refused
    or its patience runs out; ``user="prompted"`` is today's :class:`~simulacra.PromptedUser`.
    Either way the simulator validity gate checks every turn (``validity=False`` turns it off,
    a :class:`~simulacra.participants.ValidityOptions` tunes it).

    ``persona`` is a one-line description, a profile mapping (``{"name": "Maya", "demographics":
    {...}, "behaviour": {...}}``; ``kind`` defaults to ``persona``) or any profile object.
    ``model`` defaults to the session's simulacra model; ``max_tokens``, ``temperature`` and
    ``seed`` are sampling options; other keywords go to the user class.
    """

    def __call__(
        self,
        goal: str,
        *,
        persona: str | Mapping[str, Any] | Profile | None = None,
        profile: Profile | None = None,
        name: str | None = None,
        model: Spec | None = None,
        max_tokens: int = 60,
        temperature: float = 0.7,
        seed: int = 0,
        user: Literal["goal_state", "prompted"] = "goal_state",
        validity: bool | ValidityOptions = True,
        **options: Any,
    ) -> Participant:
        chosen = model_for(
            model or _SETTINGS.model,
            role="user",
            max_tokens=max_tokens,
            temperature=temperature,
            seed=seed,
        )
        who = _profile(profile or persona, name)
        simulated: Participant
        if user == "prompted":
            simulated = PromptedUser(chosen, goal=goal, profile=who, **options)
        elif user == "goal_state":
            simulated = GoalStateUser(chosen, goal=goal, profile=who, seed=seed, **options)
        else:
            raise pytest.UsageError(
                f"simulated_user: user must be goal_state or prompted, not {user!r}"
            )
        gate = (
            validity if isinstance(validity, ValidityOptions) else ValidityOptions(enabled=validity)
        )
        return gate_user(simulated, gate, goal=goal, profile=who, task=options.get("task"))


Input = Literal["messages", "message", "view"]


class TargetFactory:
    """``simulacra_target(system, ...)`` → the system under test as a participant.

    ``system`` is:

    - a Python callable (sync or async). ``input="messages"`` (default) passes the chat so far
      as ``[{"role": "user"|"assistant", "content": ...}]`` from the bot's side,
      ``"message"`` the user's last message, ``"view"`` Simulacra's :class:`~simulacra.View`.
      It returns the reply text;
    - an ``http(s)://`` URL: a JSON endpoint (:class:`~simulacra.HTTPTarget`: ``request_template``,
      ``response_path``, ``headers``, ``timeout``), or with ``api="openai"`` an OpenAI-compatible
      ``/chat/completions`` URL (``chat_model`` names the model);
    - a :class:`~simulacra.models.Model` or a model spec string (``"embedded:default"``,
      ``"openai:gpt-4o-mini"``): a chat model with ``system_prompt``;
    - anything that already is a participant (has ``info`` and ``respond``): returned as is.
    """

    def __call__(
        self,
        system: Any,
        *,
        system_prompt: str | None = None,
        name: str = "Assistant",
        input: Input = "messages",
        api: Literal["json", "openai"] = "json",
        chat_model: str = "default",
        max_tokens: int = 120,
        temperature: float = 0.3,
        **http: Any,
    ) -> Participant:
        if hasattr(system, "respond") and hasattr(system, "info"):
            participant: Participant = system
            return participant
        if isinstance(system, str) and system.startswith(("http://", "https://")):
            if api == "openai":
                http.setdefault(
                    "request_template",
                    {"model": chat_model, "messages": "{history}", "max_tokens": max_tokens},
                )
                http.setdefault("response_path", "choices.0.message.content")
            return HTTPTarget(system, name=name, **http)
        if isinstance(system, str | Model):
            model = model_for(system, role="target", max_tokens=max_tokens, temperature=temperature)
            return ModelTarget(model, system_prompt=system_prompt, name=name)
        if callable(system):
            return CallableTarget(_adapt(system, input), name=name)
        raise TypeError(f"cannot make a target of {type(system).__name__}")


def _adapt(fn: Callable[..., Any], input: Input) -> Callable[[View], Any]:
    if input == "view":
        return fn

    def call(view: View) -> Any:
        if input == "message":
            return fn(view.messages[-1].content if view.messages else "")
        return fn([{"role": m.role, "content": m.content} for m in view.messages])

    return call


class Converse:
    """``converse(user, target, max_turns=6)`` → the finished :class:`~simulacra.Conversation`.

    The user speaks first unless ``first="target"``. ``goal_check`` (a function of the
    conversation) ends it with ``goal_reached``. Every conversation is kept for the failure
    report of the test. In an async test, ``await converse.run(...)``.
    """

    def __init__(self, keep: Callable[[Conversation], None]) -> None:
        self._keep = keep

    def __call__(self, user: Participant, target: Participant, **options: Any) -> Conversation:
        return _run_sync(lambda: self.run(user, target, **options))

    async def run(
        self,
        user: Participant,
        target: Participant,
        *,
        max_turns: int = 6,
        first: Literal["user", "target"] = "user",
        goal_check: Callable[[Conversation], bool] | None = None,
        timeout: float | None = None,
        opening: str | None = None,
    ) -> Conversation:
        order = [user, target] if first == "user" else [target, user]
        turns = [Turn(speaker=order[0].info.id, utterance=opening)] if opening else []
        try:
            conversation = await run_conversation(
                order,
                stop=StopConditions(max_turns=max_turns, goal_check=goal_check, timeout=timeout),
                opening=turns,
            )
        finally:
            for participant in order:
                closer = getattr(participant, "aclose", None)
                if closer is not None and inspect.iscoroutinefunction(closer):
                    await closer()
        mark_simulator_validity(conversation)
        self._keep(conversation)
        if conversation.metadata.get("simulator_invalid") is True:
            reasons = sorted(
                {
                    str(t.metadata["validity.reasons"])
                    for t in conversation.turns
                    if t.metadata.get("validity.reasons")
                }
            )
            # a simulator fault is not a verdict on the system under test
            pytest.skip(
                "simulacra: simulator_invalid — the simulated user broke role "
                f"({', '.join(reasons)}) even after regeneration; this conversation says "
                "nothing about the system under test"
            )
        return conversation


@pytest.fixture
def simulated_user() -> SimulatedUserFactory:
    """A factory of simulated users: ``simulated_user(goal, persona=...)``."""
    return SimulatedUserFactory()


@pytest.fixture
def simulacra_target() -> TargetFactory:
    """A factory of systems under test: a callable, a model, or an HTTP endpoint."""
    return TargetFactory()


@pytest.fixture
def converse(request: pytest.FixtureRequest) -> Converse:
    """Run a conversation between a simulated user and a target (kept for failure reports)."""
    kept = request.node.stash.setdefault(_STASH, [])
    return Converse(kept.append)
