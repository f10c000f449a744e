"""Topical-Chat (Amazon Alexa; CDLA-Sharing-1.0) → conversations.

Reads ``conversations/*.json`` as distributed: a mapping ``{conversation_id: {article_url,
config, content: [{agent, message, sentiment, knowledge_source, turn_rating}],
conversation_rating}}``. Both sides are crowd workers chatting about a reading set. Convention:
``agent_1`` — who always opens — is the ``user`` (``user_agent="agent_2"`` swaps), the other the
``system`` side, kind ``human``. Per turn the self-annotated sentiment and knowledge source and
the partner's turn rating are kept (``sentiment``, ``knowledge_source``, ``turn_rating``); the
two self-ratings of the conversation go into ``outcome.rating.user`` / ``outcome.rating.system``.

Licence note: CDLA-Sharing-1.0 lets you use and share the data; shared *data* (an export of it)
must stay under CDLA-Sharing-1.0. The dataset card says so.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import CorpusInfo, RealTurn, build_conversation, field, read_json
from simulacra.errors import ConfigError

__all__ = ["TOPICAL_CHAT", "read_topical_chat"]

TOPICAL_CHAT = CorpusInfo(
    name="topical-chat",
    source="Topical-Chat (alexa/Topical-Chat)",
    licence="CDLA-Sharing-1.0",
    citation=(
        "Gopalakrishnan et al., 2019, Topical-Chat: Towards Knowledge-Grounded Open-Domain "
        "Conversations, Interspeech"
    ),
)

_AGENTS = ("agent_1", "agent_2")


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise ConfigError(f"{path}: is a folder with no .json files")
        return files
    return [path]


def read_topical_chat(
    path: str | Path, *, limit: int | None = None, user_agent: str = "agent_1"
) -> Iterator[Conversation]:
    """The conversations of a Topical-Chat file (``test_freq.json``...) or folder."""
    if user_agent not in _AGENTS:
        raise ConfigError(f"user_agent: must be agent_1 or agent_2, got {user_agent!r}")
    other = _AGENTS[1 - _AGENTS.index(user_agent)]
    count = 0
    for file in _files(Path(path)):
        data = read_json(file)
        if not isinstance(data, Mapping):
            kind = type(data).__name__
            raise ConfigError(
                f"{file}: top level: expected a Topical-Chat mapping of conversations, got {kind}"
            )
        for cid, c in data.items():
            if limit is not None and count >= limit:
                return
            where = f"conversation {cid}"
            turns = []
            content = field(c, "content", file, where)
            if not isinstance(content, list):
                kind = type(content).__name__
                raise ConfigError(f"{file}: {where}: content: expected a list of turns, got {kind}")
            for i, t in enumerate(content):
                agent = field(t, "agent", file, f"{where}, turn {i}")
                if agent not in _AGENTS:
                    raise ConfigError(f"{file}: {where}, turn {i}: unknown agent {agent!r}")
                sources = t.get("knowledge_source") or []
                sources = sources if isinstance(sources, list) else [sources]
                turns.append(
                    RealTurn(
                        "user" if agent == user_agent else "system",
                        str(field(t, "message", file, f"{where}, turn {i}")),
                        {
                            "sentiment": t.get("sentiment"),
                            "knowledge_source": ",".join(str(s) for s in sources),
                            "turn_rating": t.get("turn_rating"),
                        },
                    )
                )
            ratings = c.get("conversation_rating") or {}
            if not isinstance(ratings, Mapping):
                kind = type(ratings).__name__
                raise ConfigError(
                    f"{file}: {where}: conversation_rating: expected an object, got {kind}"
                )
            count += 1
            yield build_conversation(
                info=TOPICAL_CHAT,
                file=file,
                id=str(cid),
                turns=turns,
                user_name="Partner 1" if user_agent == "agent_1" else "Partner 2",
                system_name="Partner 2" if user_agent == "agent_1" else "Partner 1",
                system_kind=ParticipantKind.HUMAN,
                user_role=user_agent,
                system_role=other,
                scenario_id=f"topical-chat:{cid}",
                metadata={
                    "goal": "Chat with your partner about the topics of your reading set.",
                    "config": c.get("config"),
                    "article_url": c.get("article_url"),
                    "outcome.rating.user": ratings.get(user_agent),
                    "outcome.rating.system": ratings.get(other),
                },
            )
