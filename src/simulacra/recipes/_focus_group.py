"""Recipe: a moderated focus group of simulated participants (survey Appendix G.4, HCI).

The conversation itself is the ``group_chat`` paradigm (``examples/recipes/focus_group.yaml``:
participants with personas, a facilitator as the assistant, the LLM ``moderator`` policy choosing
who speaks). This module turns a finished focus group into themes, two ways that can be compared:

- :func:`keyword_themes` — no model: content words of the participants' messages, clustered by
  the messages they co-occur in (greedy, Jaccard of message sets), each theme with how many
  messages and which participants raised it and a short quote;
- :func:`judge_themes` — one schema-constrained model call that reads the transcript and lists up
  to five themes with their sentiment.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.errors import ModelError
from simulacra.models import ChatMessage, GenerateConfig, Model

__all__ = ["focus_group_report", "judge_themes", "keyword_themes"]

_STOP_TEXT = """about after again also always because been being before but could does doing
    done down
    each even every from have having here into just like more most much must need only other
    over really same should some such than that their them then there these they thing things
    think this those very want what when where which while will with would your yours you're
    it's i'm don't that's i've i'd we're they're assistant everyone great good sure thanks thank
    yeah agree point also well make makes made maybe still actually something
    the and for not you but was are our too lot can all any has had her his its
    one out who why how yes off per own get got let may say see she use way also eur"""
_STOP = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[a-z][a-z'-]{2,}")


def _terms(text: str, names: set[str]) -> set[str]:
    out = set()
    for word in _WORD.findall(text.lower()):
        word = word.strip("'-")
        if word in _STOP or word in names or len(word) < 3:
            continue
        out.add(word[:-1] if word.endswith("s") and not word.endswith("ss") else word)
    return out


def keyword_themes(
    conversation: Conversation, *, top: int = 5, min_messages: int = 2, similarity: float = 0.5
) -> list[dict[str, Any]]:
    """Themes of the participants' (simulated humans') messages by keyword clustering.

    A term counts when it appears in at least ``min_messages`` messages. Terms are taken in
    order of how many participants, then messages, used them; each unassigned term seeds a
    theme that absorbs the unassigned terms whose message sets overlap it by Jaccard >=
    ``similarity``.
    """
    humans = {
        p.id: p.name for p in conversation.participants if p.kind is not ParticipantKind.AI_SYSTEM
    }
    names = {n.lower() for n in [p.name for p in conversation.participants]}
    turns = [t for t in conversation.turns if t.speaker in humans and t.utterance]
    where: dict[str, set[int]] = defaultdict(set)
    for i, turn in enumerate(turns):
        for term in _terms(turn.utterance, names):
            where[term].add(i)
    kept = [t for t, ids in where.items() if len(ids) >= min_messages]

    def speakers(ids: set[int]) -> list[str]:
        return sorted({humans[turns[i].speaker] for i in ids})

    kept.sort(key=lambda t: (-len(speakers(where[t])), -len(where[t]), t))
    themes: list[dict[str, Any]] = []
    used: set[str] = set()
    for seed in kept:
        if seed in used or len(themes) >= top:
            continue
        group = [seed]
        for other in kept:
            if other in used or other == seed:
                continue
            a, b = where[seed], where[other]
            if len(a & b) / len(a | b) >= similarity:
                group.append(other)
        used.update(group)
        ids = set().union(*(where[t] for t in group))
        quote = min((turns[i] for i in ids), key=lambda t: len(t.utterance))
        themes.append(
            {
                "terms": group,
                "messages": len(ids),
                "participants": speakers(ids),
                "quote": f"{humans[quote.speaker]}: {quote.utterance}",
            }
        )
    return themes


_SCHEMA = {
    "type": "object",
    "properties": {
        "themes": {
            "type": "array",
            "maxItems": 5,
            "items": {
                "type": "object",
                "properties": {
                    "theme": {"type": "string", "maxLength": 80},
                    "sentiment": {"type": "string", "enum": ["positive", "negative", "mixed"]},
                },
                "required": ["theme", "sentiment"],
            },
        }
    },
    "required": ["themes"],
}


async def judge_themes(
    conversation: Conversation, model: Model, *, product: str | None = None
) -> dict[str, Any]:
    """Up to five themes with sentiment, from one model call over the transcript; a failed call
    or unreadable answer is ``{"error": ...}`` (data, not an exception)."""
    names = {p.id: p.name for p in conversation.participants}
    lines = [f"{names.get(t.speaker, t.speaker)}: {t.utterance}" for t in conversation.turns]
    about = f" about this product: {product}" if product else ""
    prompt = (
        f"This is the transcript of a focus group{about}\n\n" + "\n".join(lines) + "\n\n"
        "List the main themes the participants raised (at most five, a few words each) and "
        'whether each was positive, negative or mixed. Answer in JSON: {"themes": [...]}.'
    )
    try:
        output = await model.generate(
            [ChatMessage(role="user", content=prompt)],
            config=GenerateConfig(json_schema=_SCHEMA, temperature=0.0),
        )
    except ModelError as exc:
        return {"error": f"judge call failed: {exc}"}
    try:
        themes = json.loads(output.text)["themes"]
    except (ValueError, KeyError, TypeError) as exc:
        return {"error": f"unreadable answer ({type(exc).__name__}): {output.text[:200]}"}
    return {"themes": themes, "model": model.name}


def focus_group_report(
    conversations: Sequence[Conversation], summaries: Sequence[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Per focus group: who spoke how often, keyword themes, and the model's themes if given."""
    groups = []
    for i, c in enumerate(conversations):
        names = {p.id: p.name for p in c.participants}
        share: dict[str, int] = defaultdict(int)
        for t in c.turns:
            share[names.get(t.speaker, t.speaker)] += 1
        groups.append(
            {
                "conversation": c.id,
                "turns": len(c.turns),
                "termination": str(c.termination),
                "turns_by_speaker": dict(share),
                "keyword_themes": keyword_themes(c),
                "model_themes": summaries[i] if summaries else None,
            }
        )
    return {"recipe": "focus_group", "groups": groups}
