"""Training data from conversations, from the simulated user's side (survey §5.3, Appendix F).

The fine-tuning formulation of a user simulator is ``u_t ~ P(u_t | C_{t-1}, Ψ_p, goal,
instructions)``: the *user's* turns are the targets. So every export flips roles with
:meth:`Conversation.view_for` (the one place roles are flipped): the user's turns become
``assistant`` messages (what a trainer learns to produce) and everyone else's become ``user``
messages. The first message is a ``system`` message rendered with the very templates a
chat-prompted :class:`~simulacra.PromptedUser` uses at inference (``profile/*`` and
``user/chat_system``, plus ``user/chat_kickoff`` when the user speaks first), so a model trained
on the export is prompted at run time exactly as it was trained. Template refs go into ``meta``.

Formats (``FORMAT_VERSION`` 1; TRL's conversational formats):

- ``chat``: ``{"messages": [system, user, assistant, ...], "meta": {...}}``, one line per
  conversation, ending on the user's last turn (``SFTTrainer`` with ``assistant_only_loss=True``
  learns the user's turns);
- ``chat`` per turn: ``{"prompt": [system, ...history], "completion": [{"role": "assistant",
  "content": u_t}], "meta": {...}}``, one line per user turn (loss on the completion only);
- ``dpo``: ``{"prompt": [...], "chosen": [assistant...], "rejected": [assistant...],
  "meta": {...}}`` (``DPOTrainer``), see :mod:`simulacra.datasets._pairs`.

Consecutive turns on the same side are merged (``"\\n"``-joined) by default: many chat templates
reject two ``assistant`` messages in a row. ``meta`` has the same keys on every line, so the
file loads as one Arrow table.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra._atomic import atomic_file
from simulacra.conversation import Conversation
from simulacra.datasets._source import (
    conversation_goal,
    conversation_provenance,
    user_participant,
)
from simulacra.errors import ConfigError, MissingExtraError
from simulacra.profiles import GeneralUser
from simulacra.prompts import STOP_SENTINEL, get_template, render_profile

__all__ = [
    "FORMAT_VERSION",
    "ChatBlock",
    "chat_examples",
    "flipped_blocks",
    "save_hf_dataset",
    "system_prompt",
    "write_jsonl",
]

FORMAT_VERSION = 1
"""Version of the exported row shapes (``meta.format``). Bump on any incompatible change."""

Message = dict[str, str]
DEFAULT_GOAL = "have a natural conversation"


@dataclass(frozen=True, slots=True)
class ChatBlock:
    """A run of consecutive turns on one side, from the user's perspective.

    Attributes:
        role: ``assistant`` (the simulated user's turns) or ``user`` (everyone else's).
        content: The utterances, ``"\\n"``-joined.
        first: Index of the first turn of the block in ``conversation.turns``.
        last: Index of its last turn.
    """

    role: str
    content: str
    first: int
    last: int

    def message(self) -> Message:
        return {"role": self.role, "content": self.content}


def flipped_blocks(
    conversation: Conversation, user_id: str, *, merge: bool = True
) -> list[ChatBlock]:
    """The conversation as the user sees it: own turns ``assistant``, others' ``user``.

    With more than two participants, others' messages keep their speaker's name as a
    ``"Name: "`` prefix (chat messages have no reliable name field across templates).
    """
    view = conversation.view_for(user_id)
    named = len(view.others) > 1
    blocks: list[ChatBlock] = []
    for index, m in enumerate(view.messages):
        content = f"{m.name}: {m.content}" if named and m.role == "user" else m.content
        if merge and blocks and blocks[-1].role == m.role:
            prev = blocks[-1]
            blocks[-1] = ChatBlock(m.role, f"{prev.content}\n{content}", prev.first, index)
        else:
            blocks.append(ChatBlock(m.role, content, index, index))
    return blocks


def system_prompt(
    conversation: Conversation,
    user_id: str,
    *,
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[str, list[str]]:
    """The user's system message (profile + goal + instructions) and the template refs used.

    Rendered with ``user/chat_system`` and the profile's own template: the prompt a
    chat-prompted :class:`~simulacra.PromptedUser` with this profile and goal would get.
    """
    info = conversation.participant(user_id)
    profile = info.profile or GeneralUser(name=info.name)
    profile_text, profile_ref = render_profile(profile)
    goal, instructions = conversation_goal(conversation, scenarios)
    lines: list[str] = getattr(profile, "behaviour_lines", list)()
    template = get_template("user/chat_system")
    text = template.render(
        name=info.name,
        profile=profile_text,
        goal=goal or DEFAULT_GOAL,
        instructions=instructions,
        memories=[],
        exemplars=[],
        stop_sentinel=STOP_SENTINEL,
        custom_style=bool(lines),
    )
    return text.strip(), [profile_ref, template.ref]


def _kickoff() -> tuple[Message, str]:
    template = get_template("user/chat_kickoff")
    return {"role": "user", "content": template.render().strip()}, template.ref


def example_meta(
    conversation: Conversation,
    user_id: str,
    *,
    manifest: Mapping[str, Any] | None,
    templates: Sequence[str],
    turn_index: int | None,
) -> dict[str, Any]:
    """The ``meta`` of one exported row: the same keys on every row of every format."""
    p = conversation_provenance(conversation, manifest)
    return {
        "format": f"simulacra-chat@{FORMAT_VERSION}",
        "conversation_id": conversation.id,
        "scenario_id": conversation.scenario_id,
        "user": user_id,
        "turn_index": turn_index,
        "source": p.source,
        "licence": p.licence,
        "citation": p.citation,
        "real": p.real,
        "model": p.model,
        "templates": list(templates),
    }


def conversation_prompt(
    conversation: Conversation,
    user_id: str,
    *,
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
    merge: bool = True,
) -> tuple[list[Message], list[ChatBlock], list[str]]:
    """``(head, blocks, template refs)``: the system message (and the kickoff cue when the user
    speaks first) followed by nothing; the flipped blocks come separately."""
    system, refs = system_prompt(conversation, user_id, scenarios=scenarios)
    head: list[Message] = [{"role": "system", "content": system}]
    blocks = flipped_blocks(conversation, user_id, merge=merge)
    if blocks and blocks[0].role == "assistant":
        kickoff, ref = _kickoff()
        head.append(kickoff)
        refs = [*refs, ref]
    return head, blocks, refs


def chat_examples(
    conversations: Iterable[Conversation],
    *,
    user: str | None = None,
    per_turn: bool = False,
    merge: bool = True,
    scenarios: Mapping[str, Mapping[str, Any]] | None = None,
    manifest: Mapping[str, Any] | None = None,
) -> Iterator[dict[str, Any]]:
    """Chat-messages rows from the simulated user's perspective (see the module docstring).

    Args:
        conversations: The conversations to export.
        user: The user's participant id (default: :func:`user_participant`).
        per_turn: One prompt/completion row per user turn instead of one row per conversation.
        merge: Merge consecutive turns of one side into one message.
        scenarios: Scenario configs by id (a run's ``run.json``), for goals and instructions.
        manifest: The run's ``run.json``, for the provenance of simulated conversations.

    Conversations in which the user never speaks give no row (there is nothing to learn).
    """
    for c in conversations:
        uid = user_participant(c, user)
        head, blocks, refs = conversation_prompt(c, uid, scenarios=scenarios, merge=merge)
        if not any(b.role == "assistant" for b in blocks):
            continue
        if not per_turn:
            meta = example_meta(c, uid, manifest=manifest, templates=refs, turn_index=None)
            last = max(i for i, b in enumerate(blocks) if b.role == "assistant")
            # nothing after the user's last turn is learned from: leave it out
            yield {"messages": head + [b.message() for b in blocks[: last + 1]], "meta": meta}
            continue
        for i, b in enumerate(blocks):
            if b.role != "assistant":
                continue
            meta = example_meta(c, uid, manifest=manifest, templates=refs, turn_index=b.first)
            yield {
                "prompt": head + [x.message() for x in blocks[:i]],
                "completion": [b.message()],
                "meta": meta,
            }


def write_jsonl(rows: Iterable[Mapping[str, Any]], path: Path) -> int:
    """Write rows as JSONL atomically (temp file, fsync, rename); returns the row count.

    Raises:
        ConfigError: If there is no row (nothing is written) or the folder cannot be written.
    """
    count = 0
    try:
        with atomic_file(path, durable=True, mkdir=True) as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
            if count == 0:
                raise ConfigError(f"{path}: nothing to write (the selection is empty)")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror or exc})") from None
    return count


def save_hf_dataset(
    rows: Sequence[Mapping[str, Any]], path: Path, *, card: str | None = None
) -> int:
    """Save rows as a Hugging Face ``datasets`` dataset (``load_from_disk`` reads it back).

    Written to a temporary folder beside ``path`` (with ``card`` as its ``README.md``) and
    renamed into place.

    Raises:
        MissingExtraError: If ``datasets`` is not installed (the ``train`` extra).
        ConfigError: If there is no row or ``path`` exists and is not an earlier export.
    """
    try:
        import datasets
    except ImportError:
        raise MissingExtraError("train", "exporting a Hugging Face dataset") from None
    if not rows:
        raise ConfigError(f"{path}: nothing to write (the selection is empty)")
    if path.exists() and not (path / "dataset_info.json").is_file():
        raise ConfigError(f"{path}: exists and is not a saved dataset; choose another -o")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        datasets.Dataset.from_list([dict(r) for r in rows]).save_to_disk(str(tmp))
        if card is not None:
            (tmp / "README.md").write_text(card, encoding="utf-8")
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return len(rows)
