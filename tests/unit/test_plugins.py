"""Open extension points (issue #17): the provider registry, and providers and paradigms added by
another package through Python entry points (a real dist-info on ``sys.path``, discovered by
``importlib.metadata`` itself)."""

from __future__ import annotations

import asyncio
import json
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from simulacra.errors import ConfigError
from simulacra.models import (
    ChatMessage,
    GenerateConfig,
    ModelAPI,
    ModelSpec,
    get_model,
    parse_model_spec,
    provider_schemes,
    register_provider,
    unregister_provider,
)
from simulacra.paradigms import get_paradigm, paradigm_names, run_paradigm
from simulacra.runs import read_conversations
from simulacra.runs._config import load_config
from simulacra.runs._runner import execute_run
from simulacra.testing import FunctionModelAPI


def _echo_factory(spec: ModelSpec) -> ModelAPI:
    def answer(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        return f"{spec.target} says hello"

    return FunctionModelAPI(answer, name=spec.model)


@pytest.fixture
def echo_provider() -> Iterator[str]:
    register_provider("echo", _echo_factory)
    yield "echo"
    unregister_provider("echo")


def test_a_registered_provider_runs_a_run_config(echo_provider: str, tmp_path: Path) -> None:
    config = tmp_path / "run.yaml"
    config.write_text(
        textwrap.dedent(
            """
            name: plug
            models:
              user: {model: "echo:alice"}
              target: {model: "echo:bot"}
            scenarios:
              - {id: s1, goal: book a room}
            stop: {max_turns: 2}
            cache: {enabled: false}
            """
        )
    )
    result = asyncio.run(execute_run(load_config(config), config_path=config, output_dir=tmp_path))
    (conversation,) = read_conversations(result.directory)
    # the target is the echo model (the user may open with a templated line)
    assert "bot says hello" in [t.utterance for t in conversation.turns if t.speaker != "user"]
    manifest = json.loads((result.directory / "run.json").read_text())
    assert manifest["models"]["user"]["name"] == "echo:alice"
    assert manifest["models"]["target"]["name"] == "echo:bot"


def test_register_provider_refuses_a_taken_scheme_and_a_bad_one(echo_provider: str) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_provider("echo", _echo_factory)
    with pytest.raises(ValueError, match="already registered"):
        register_provider("openai", _echo_factory)
    with pytest.raises(ValueError, match="lower-case"):
        register_provider("Bad Scheme", _echo_factory)
    register_provider("echo", _echo_factory, replace=True)  # a test may swap its own


def test_an_unknown_scheme_is_one_line_with_the_closest(echo_provider: str) -> None:
    with pytest.raises(ValueError, match="echo") as info:
        parse_model_spec("ollama:llama3")
    assert "registered provider: echo" in str(info.value)
    assert provider_schemes()[:4] == ["embedded", "gguf", "openai", "transformers"]


def _dist(
    site: Path, name: str, groups: dict[str, dict[str, str]], modules: dict[str, str]
) -> None:
    """Install a distribution the way pip lays it out: NAME-VERSION.dist-info beside modules."""
    info = site / f"{name}-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    lines = []
    for group, points in groups.items():
        lines.append(f"[{group}]")
        lines += [f"{k} = {v}" for k, v in points.items()]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in modules.items():
        (site / f"{module}.py").write_text(textwrap.dedent(source))


PROVIDER_MODULE = """
from simulacra.testing import FunctionModelAPI

def make_api(spec):
    return FunctionModelAPI(lambda messages, config: "from the plug-in", name=spec.model)
"""

PARADIGM_MODULE = """
from simulacra.conversation import Conversation
from simulacra.paradigms import ParadigmOptions, register_paradigm

class InterviewOptions(ParadigmOptions):
    questions: int = 1

@register_paradigm("interview_plug", options=InterviewOptions)
async def interview(options, ctx):
    return Conversation(id=ctx.conversation_id, scenario_id=ctx.scenario_id, participants=[])
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "site"
    folder.mkdir()
    _dist(
        folder,
        "simplug",
        {
            "simulacra.providers": {
                "plugcloud": "simplug_provider:make_api",
                "plugbroken": "simplug_missing:make_api",
            },
            "simulacra.paradigms": {
                "interview_plug": "simplug_paradigm",
                "silent_plug": "simplug_provider",
            },
        },
        {"simplug_provider": PROVIDER_MODULE, "simplug_paradigm": PARADIGM_MODULE},
    )
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    unregister_provider("plugcloud")


async def test_an_entry_point_adds_a_provider(site: Path) -> None:
    assert "plugcloud" in provider_schemes()
    spec = parse_model_spec("plugcloud:large")  # valid before the plug-in is imported
    assert spec.target == "large"
    model = get_model("plugcloud:large", role="user")
    output = await model.generate([ChatMessage(role="user", content="hi")])
    assert output.text == "from the plug-in"


def test_a_broken_provider_plugin_is_one_line_naming_its_entry_point(site: Path) -> None:
    with pytest.raises(ConfigError) as info:
        get_model("plugbroken:x")
    message = str(info.value)
    assert "\n" not in message and len(message) <= 300
    assert "plugbroken = simplug_missing:make_api" in message
    assert "simulacra.providers" in message and "simplug" in message
    assert "ModuleNotFoundError" in message


async def test_an_entry_point_adds_a_paradigm(site: Path) -> None:
    assert "interview_plug" in paradigm_names()
    options, _ = get_paradigm("interview_plug")
    assert options.__name__ == "InterviewOptions"
    conversation = await run_paradigm(
        {"type": "interview_plug", "questions": 2}, goal="g", models={}
    )
    assert conversation.turns == []


def test_a_paradigm_plugin_that_registers_nothing_is_named(site: Path) -> None:
    with pytest.raises(ConfigError, match=r"silent_plug.*registered no paradigm"):
        get_paradigm("silent_plug")
