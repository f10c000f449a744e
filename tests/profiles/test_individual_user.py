"""A prompted user with an individual's memories: retrieval into the prompt, ids on the turn."""

from __future__ import annotations

from collections.abc import Sequence

from simulacra import Conversation, ParticipantInfo, ParticipantKind, PromptedUser, Turn
from simulacra.memory import BM25Retriever, Hit, Passage
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.profiles import Individual, Memory
from simulacra.testing import function_model

ALICE = Individual(
    name="Alice",
    facts=["I work as a nurse"],
    history=["hiya! long shift today lol"],
    memories=[
        Memory(id="m1", text="I work as a nurse", kind="fact", key="occupation", value="nurse"),
        Memory(id="m2", text="Big news: I moved to Lisbon in March!", key="lives_in"),
        Memory(id="m3", text="I love jazz, especially on rainy evenings.", kind="preference"),
        Memory(id="m4", text="Sunday lunch at my mother's house is a tradition.", kind="note"),
        Memory(id="m5", text="I went to the jazz festival by the river.", kind="event"),
    ],
    memory_k=2,
)


def _model() -> tuple[Model, list[list[ChatMessage]]]:
    seen: list[list[ChatMessage]] = []

    def fn(messages: Sequence[ChatMessage], config: GenerateConfig) -> str:
        seen.append(list(messages))
        return "sounds good"

    return function_model(fn, role="user"), seen


def _conversation(*lines: tuple[str, str]) -> Conversation:
    c = Conversation(
        participants=[
            ParticipantInfo(id="user", name="Alice", kind=ParticipantKind.SIMULATED_HUMAN),
            ParticipantInfo(id="assistant", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
        ]
    )
    for speaker, text in lines:
        c.append(Turn(speaker=speaker, utterance=text))
    return c


async def test_memories_relevant_to_the_last_message_are_in_the_prompt_and_on_the_turn() -> None:
    model, seen = _model()
    user = PromptedUser(model, goal="Find a concert for Saturday.", profile=ALICE)
    view = _conversation(
        ("user", "hi, any concerts this weekend?"),
        ("assistant", "Do you like jazz? There is a jazz night by the river."),
    ).view_for("user")
    reply = await user.respond(view)
    prompt = seen[0][1].content
    assert "Things you remember that may matter now:" in prompt
    assert "- I went to the jazz festival by the river." in prompt
    assert "- I love jazz, especially on rainy evenings." in prompt
    assert "Lisbon" not in prompt and "Sunday lunch" not in prompt  # not relevant: not retrieved
    # memories come after the transcript, before the instruction (stable prefix)
    assert prompt.index("Assistant: Do you like jazz?") < prompt.index("Things you remember")
    assert prompt.index("Things you remember") < prompt.index("Write only your next message")
    assert reply.metadata["memory_ids"] == "m5,m3"
    # facts are in every prompt (system), so they are not retrieved again
    assert "I work as a nurse" in seen[0][0].content


async def test_first_turn_queries_with_the_goal_and_nothing_matches_means_no_block() -> None:
    model, seen = _model()
    user = PromptedUser(model, goal="Move my Sunday lunch booking.", profile=ALICE)
    reply = await user.respond(_conversation().view_for("user"))
    assert "- Sunday lunch at my mother's house is a tradition." in seen[0][1].content
    assert reply.metadata["memory_ids"] == "m4"
    model2, seen2 = _model()
    user2 = PromptedUser(model2, goal="Cancel a parcel.", profile=ALICE)
    reply2 = await user2.respond(_conversation().view_for("user"))
    assert "Things you remember" not in seen2[0][1].content
    assert reply2.metadata["memory_ids"] == ""


async def test_chat_prompting_puts_memories_in_the_system_prompt() -> None:
    model, seen = _model()
    user = PromptedUser(model, goal="Find a jazz concert.", profile=ALICE, prompting="chat")
    reply = await user.respond(_conversation().view_for("user"))
    system = seen[0][0].content
    assert "Things you remember that may matter now:" in system and "jazz festival" in system
    assert reply.metadata["memory_ids"] == "m5,m3"


async def test_no_retrieval_without_memories_or_when_turned_off() -> None:
    for profile in (
        Individual(name="Bo", facts=["I live in Braga"]),
        ALICE.model_copy(update={"retrieval": "none"}),
    ):
        model, seen = _model()
        user = PromptedUser(model, goal="Find a jazz concert.", profile=profile)
        reply = await user.respond(_conversation().view_for("user"))
        assert user.retriever is None and "memory_ids" not in reply.metadata
        assert "Things you remember" not in seen[0][1].content


async def test_a_custom_retriever_plugs_in() -> None:
    class Fixed:
        def search(self, query: str, k: int) -> list[Hit]:
            return [Hit(id="kb7", text=f"echo: {query}", score=1.0, rank=0)][:k]

    model, seen = _model()
    user = PromptedUser(model, goal="g", retriever=Fixed())
    view = _conversation(("user", "hi"), ("assistant", "What is your order number?")).view_for(
        "user"
    )
    reply = await user.respond(view)
    assert "- echo: What is your order number?" in seen[0][1].content
    assert reply.metadata["memory_ids"] == "kb7"
    bm25 = BM25Retriever([Passage(id="x", text="order number 4411")])
    user3 = PromptedUser(model, goal="g", retriever=bm25)
    assert (await user3.respond(view)).metadata["memory_ids"] == "x"


def test_profile_explains_redaction_placeholders_only_when_there_are_any() -> None:
    from simulacra.participants import render_profile

    text, ref = render_profile(ALICE.model_copy(update={"history": ["hi [NAME_1]!"]}))
    assert ref == "profile/individual@2"
    assert "Words in square brackets such as [NAME_1]" in text
    plain, _ = render_profile(ALICE)
    assert "square brackets" not in plain


async def test_placeholders_copied_by_the_model_are_removed_from_the_message() -> None:
    model = function_model(lambda m, c: "Hey [NAME_1]! Mail me at [EMAIL] , ok?", role="user")
    user = PromptedUser(model, goal="g", profile=ALICE)
    reply = await user.respond(_conversation().view_for("user"))
    assert reply.utterance == "Hey! Mail me at, ok?"
    assert reply.metadata["placeholders_removed"] == 2
    # only for individuals: other profiles' brackets are theirs
    other = PromptedUser(model, goal="g")
    assert (await other.respond(_conversation().view_for("user"))).utterance.startswith(
        "Hey [NAME_1]"
    )
