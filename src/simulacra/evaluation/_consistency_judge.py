"""The LLM-judge variant of the role-consistency check: one schema-constrained question per turn.

The judge sees the character (handle, biography, speech style, knowledge boundary), the other
side's last message and the reply, and answers JSON ``{"explanation": ..., "in_character": ...}``
(explanation before verdict). The rubric is the versioned template
``judge/roleplay_consistency``; its ref is the report's ``checker``. An answer that is not valid
JSON of that shape, or a failed call, is recorded on the turn as ``error`` (the turn is left out of
the share), never raised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace

from simulacra.conversation import Conversation
from simulacra.errors import ModelError
from simulacra.evaluation._consistency import (
    ConsistencyReport,
    Flag,
    TurnCheck,
    character_turns,
    used_catchphrases,
)
from simulacra.models import ChatMessage, GenerateConfig, Model
from simulacra.profiles import RolePlay
from simulacra.prompts import get_template

__all__ = ["JUDGE_SCHEMA", "judge_consistency", "parse_verdict"]

JUDGE_SCHEMA: dict[str, object] = {
    "type": "object",
    "properties": {
        "explanation": {"type": "string", "maxLength": 300},
        "in_character": {"type": "boolean"},
    },
    "required": ["explanation", "in_character"],
}
"""The JSON schema the judge's answer is constrained to: explanation first (bounded, so a small
model cannot run out of tokens before the verdict), then the verdict."""

_TEMPLATE = "judge/roleplay_consistency"


def parse_verdict(text: str) -> tuple[bool, str]:
    """Read a judge answer: ``(in_character, explanation)``.

    Raises:
        ValueError: If the text is not a JSON object with a boolean ``in_character`` and a string
            ``explanation``.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    verdict, explanation = data.get("in_character"), data.get("explanation")
    if not isinstance(verdict, bool):
        raise ValueError("'in_character' is missing or not true/false")
    if not isinstance(explanation, str):
        raise ValueError("'explanation' is missing or not a string")
    return verdict, explanation.strip()


async def judge_consistency(
    conversations: Conversation | Iterable[Conversation],
    *,
    model: Model,
    profile: RolePlay | None = None,
    speaker: str | None = None,
    config: GenerateConfig | None = None,
) -> ConsistencyReport:
    """Ask a judge model, turn by turn, whether a role-play character stays in character.

    Args:
        conversations: One conversation or several.
        model: The judge.
        profile: The character (default: each participant's own role-play profile).
        speaker: Only this participant's turns.
        config: Generation options on top of the schema constraint (e.g. ``max_tokens``).

    Returns:
        A report whose ``checker`` is the rubric's ``id@version`` plus the judge model's name;
        turns the judge could not score carry ``error`` and are left out of the share.
    """
    template = get_template(_TEMPLATE)
    call_config = GenerateConfig(json_schema=JUDGE_SCHEMA, temperature=0.0).merged(config)
    checks: list[TurnCheck] = []
    for conversation, index, character, previous in character_turns(
        conversations, profile=profile, speaker=speaker
    ):
        turn = conversation.turns[index]
        prompt = template.render(p=character, previous=previous, reply=turn.utterance)
        base = TurnCheck(
            conversation_id=conversation.id,
            turn_index=index,
            speaker=turn.speaker,
            utterance=turn.utterance,
            catchphrases=used_catchphrases(turn.utterance, character),
        )
        try:
            output = await model.generate(
                [ChatMessage(role="user", content=prompt)],
                config=call_config,
                templates=[template.ref],
            )
            in_character, explanation = parse_verdict(output.text)
        except ValueError as exc:
            checks.append(replace(base, error=f"unparseable judge answer: {exc}"))
            continue
        except ModelError as exc:
            checks.append(replace(base, error=f"judge call failed: {exc}"))
            continue
        flags = () if in_character else (Flag("judge", explanation or "out of character"),)
        checks.append(replace(base, flags=flags))
    return ConsistencyReport(checker=f"{template.ref} ({model.name})", turns=tuple(checks))
