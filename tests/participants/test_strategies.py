"""User-simulator techniques with function-driven models: generator–verifier, retrieval with
always-on and gated triggers, goal/state memory, and the config-built pipeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.memory import BM25Retriever, Passage, PreferenceState, TrainedGate
from simulacra.models import ChatMessage, GenerateConfig
from simulacra.participants import (
    AugmentedUser,
    ClassifierGate,
    DomainGoal,
    GeneratorVerifierUser,
    LLMGate,
    PromptedUser,
    RetrievalStage,
    StateStage,
    TaskGoal,
    build_technique_user,
    multiwoz_exemplars,
    retrieval_rate,
)
from simulacra.testing import function_model

KB = [
    Passage(id="k1", text="The Acorn guest house has free parking and wifi."),
    Passage(id="k2", text="Trains to London leave every hour from Cambridge station."),
    Passage(id="k3", text="Pizza Hut City Centre serves cheap Italian food."),
]


def _view(*lines: tuple[str, str]):  # type: ignore[no-untyped-def]
    c = Conversation(
        participants=[
            ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
        ]
    )
    for speaker, text in lines:
        c.append(Turn(speaker=speaker, utterance=text))
    return c.view_for("user")


async def test_verifier_rejects_then_accepts_and_counts() -> None:
    verdicts = iter(
        [
            {
                "reasoning": "asks for a hotel",
                "accept": False,
                "problem": "goal is a train",
                "message": "",
            },
            {"reasoning": "off topic", "accept": False, "problem": "repeats itself", "message": ""},
            {
                "reasoning": "fits",
                "accept": True,
                "problem": "",
                "message": "i need a train to london",
            },
        ]
    )
    prompts: list[str] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        prompts.append(messages[-1].content)
        assert config.json_schema is not None
        if (
            "reasoning" in config.json_schema["properties"]
            and "acts" in config.json_schema["properties"]
        ):
            return json.dumps(
                {"reasoning": "plan", "acts": ["inform(destination=london)"], "done": False}
            )
        return json.dumps(next(verdicts))

    user = GeneratorVerifierUser(
        function_model(fn, role="user"), goal="Book a train to London.", max_rejections=2
    )
    reply = await user.respond(_view(("assistant", "Hello, how can I help?")))
    assert reply.utterance == "i need a train to london"
    assert reply.metadata["verifier.proposals"] == 3
    assert reply.metadata["verifier.rejections"] == 2
    assert reply.metadata["verifier.reasons"] == (
        "inform(destination=london): goal is a train | inform(destination=london): repeats itself"
    )
    assert "exhausted" not in str(reply.metadata)
    assert reply.reasoning is not None and "verifier 3: fits -> accept" in reply.reasoning
    assert len(reply.model_calls) == 6
    # The rejection is fed back to the next proposal.
    assert "goal is a train" in prompts[2] and "goal is a train" not in prompts[0]


async def test_verifier_gives_up_after_the_limit() -> None:
    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        assert config.json_schema is not None
        if "acts" in config.json_schema["properties"]:
            return '{"reasoning": "x", "acts": ["bye()"], "done": true}'
        return '{"reasoning": "no", "accept": false, "problem": "too early", "message": "bye"}'

    user = GeneratorVerifierUser(function_model(fn), goal="g", max_rejections=1)
    reply = await user.respond(_view())
    assert reply.metadata["verifier.proposals"] == 2
    assert reply.metadata["verifier.rejections"] == 2
    assert reply.metadata["verifier.exhausted"] is True
    assert reply.stop is False  # a rejected "done" does not end the conversation


def _echo_model(seen: list[str]):  # type: ignore[no-untyped-def]
    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        seen.append(messages[-1].content)
        return "ok thanks"

    return function_model(fn, role="user")


async def test_always_on_retrieval_puts_passages_in_prompt_and_on_turn() -> None:
    seen: list[str] = []
    model = _echo_model(seen)
    stage = RetrievalStage(BM25Retriever(KB), k=1)
    user = AugmentedUser(PromptedUser(model, goal="Find a hotel."), stages=[stage])
    reply = await user.respond(_view(("assistant", "Do you need parking at the guest house?")))
    assert "- The Acorn guest house has free parking and wifi." in seen[0]
    assert reply.metadata["retrieval.ids"] == "k1"
    assert reply.metadata["retrieval.retrieved"] is True
    assert reply.metadata["retrieval.context"] == KB[0].text
    assert reply.metadata["pipeline"] == "retrieval"


class _Flip(TrainedGate):
    def __init__(self) -> None:
        super().__init__(features="tfidf", coef=[], intercept=0.0)

    def probability(self, text: str) -> float:
        return 0.9 if "?" in text else 0.1


async def test_gate_retrieves_only_when_it_says_so() -> None:
    seen: list[str] = []
    model = _echo_model(seen)
    stage = RetrievalStage(BM25Retriever(KB), k=1, gate=ClassifierGate(_Flip()))
    user = AugmentedUser(PromptedUser(model, goal="Find a train."), stages=[stage])
    no = await user.respond(_view(("assistant", "Trains to London leave hourly.")))
    yes = await user.respond(_view(("assistant", "Which train to London do you want?")))
    assert no.metadata["retrieval.retrieved"] is False and no.metadata["retrieval.ids"] == ""
    assert "Trains to London leave every hour" not in seen[0]
    assert yes.metadata["retrieval.retrieved"] is True and yes.metadata["retrieval.ids"] == "k2"
    assert yes.metadata["retrieval.gate_score"] == 0.9
    conv = Conversation(participants=[])
    conv.turns = [Turn(speaker="user", utterance="a", metadata=r.metadata) for r in (no, yes)]
    assert retrieval_rate([conv]) == 0.5


async def test_llm_gate_says_no_and_its_call_is_recorded() -> None:
    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        if config.json_schema is not None and "retrieve" in config.json_schema["properties"]:
            return '{"retrieve": false}'
        return "fine"

    model = function_model(fn, role="user")
    stage = RetrievalStage(BM25Retriever(KB), gate=LLMGate(model))
    user = AugmentedUser(PromptedUser(model, goal="g"), stages=[stage])
    reply = await user.respond(_view(("assistant", "Pizza Hut serves Italian food.")))
    assert reply.metadata["retrieval.retrieved"] is False
    assert len(reply.model_calls) == 2


TASK = TaskGoal(
    id="t",
    domains=[
        DomainGoal(
            domain="restaurant", inform={"area": "centre", "food": "italian"}, requests=["phone"]
        )
    ],
)


async def test_state_memory_answers_a_preference_question() -> None:
    seen: list[str] = []
    user = AugmentedUser(
        PromptedUser(_echo_model(seen), goal="Eat out."),
        stages=[StateStage(PreferenceState.from_task(TASK))],
    )
    view = _view(
        ("user", "i want italian food"),
        ("assistant", "Sure. Which area of town would you like?"),
    )
    reply = await user.respond(view)
    assert "You were asked about area (restaurant): say centre." in seen[0]
    assert "food = italian" not in seen[0]  # already said
    assert str(reply.metadata["state.ids"]).startswith("state:restaurant.area")
    assert reply.metadata["state.sub_goal"] == "restaurant"
    state = PreferenceState.from_task(TASK)
    state.update("centre, italian please", own=True)
    state.update("The phone number is 01223 555.", own=False)
    assert state.current is None


async def test_pipeline_from_techniques_records_each_stage(tmp_path: Path) -> None:
    from simulacra.runs._config import UserConfig

    corpus = tmp_path / "kb.txt"
    corpus.write_text("\n".join(p.text for p in KB), encoding="utf-8")
    config = UserConfig.model_validate(
        {
            "techniques": [
                "persona",
                {"retrieval": {"corpus": str(corpus), "k": 1}},
                "state",
                "verifier",
            ]
        }
    )

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        assert config.json_schema is not None
        if "acts" in config.json_schema["properties"]:
            assert "Italian food" in messages[-1].content  # retrieved passage
            return '{"reasoning": "r", "acts": ["inform(area=centre)"], "done": false}'
        return '{"reasoning": "ok", "accept": true, "problem": "", "message": "the centre"}'

    user = build_technique_user(
        config.techniques,
        model=function_model(fn),
        goal="Eat out.",
        profile=_general(),
        task=TASK,
        seed=1,
    )
    reply = await user.respond(_view(("assistant", "Which area for Italian food?")))
    assert reply.utterance == "the centre"
    assert reply.metadata["pipeline"] == "persona>retrieval>state>verifier"
    assert reply.metadata["retrieval.ids"] == "p3"
    assert "state:restaurant.area" in str(reply.metadata["state.ids"])
    assert reply.metadata["verifier.proposals"] == 1


def _general():  # type: ignore[no-untyped-def]
    from simulacra.profiles import GeneralUser

    return GeneralUser()


def test_few_shot_exemplars_are_real_turns_of_the_domain(shared_data: Path) -> None:
    val = shared_data / "multiwoz21" / "val.json.zip"
    a = multiwoz_exemplars(val, domains=["taxi"], k=3, seed=7)
    assert a == multiwoz_exemplars(val, domains=["taxi"], k=3, seed=7)
    assert a != multiwoz_exemplars(val, domains=["taxi"], k=3, seed=8)
    assert len(a) == 3 and all(isinstance(t, str) and t for t in a)
    from simulacra.datasets import multiwoz_dialogues

    taxi_turns = {
        t.text
        for d in multiwoz_dialogues(val, with_turns=True)
        if "taxi" in d.goal.domain_names
        for t in d.user_turns
    }
    assert set(a) <= taxi_turns


def test_unknown_technique_suggests(tmp_path: Path) -> None:
    from simulacra.errors import ConfigError
    from simulacra.runs import parse_config

    with pytest.raises(
        ConfigError, match=r"unknown technique 'retreival' \(did you mean 'retrieval'\?\)"
    ):
        parse_config(
            {
                "models": {"user": "embedded:tiny", "target": "embedded:tiny"},
                "scenarios": [{"id": "s", "goal": "g"}],
                "user": {"techniques": ["retreival"]},
            }
        )
