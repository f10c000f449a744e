"""The corpus adapters by name, and :func:`import_corpus`.

Each adapter reads a corpus's original files and yields :class:`Conversation` s with the
conventions of :mod:`simulacra.datasets._corpus` (the user is participant ``user``; provenance
in the metadata).
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation
from simulacra.datasets._abcd import ABCD, read_abcd
from simulacra.datasets._casino import CASINO, read_casino
from simulacra.datasets._corpus import CorpusInfo
from simulacra.datasets._generic import read_generic
from simulacra.datasets._moviebot import MOVIEBOT, read_moviebot
from simulacra.datasets._multiwoz_adapter import MULTIWOZ, read_multiwoz
from simulacra.datasets._p4g import PERSUASIONFORGOOD, read_persuasionforgood
from simulacra.datasets._taskmaster import TASKMASTER, read_taskmaster
from simulacra.datasets._topical_chat import TOPICAL_CHAT, read_topical_chat
from simulacra.errors import ConfigError

__all__ = ["ADAPTERS", "Adapter", "import_corpus"]


@dataclass(frozen=True)
class Adapter:
    """A corpus adapter.

    Attributes:
        kind: Its name (``simulacra data import KIND``).
        read: ``read(path, *, limit=None, **options) -> Iterator[Conversation]``.
        info: Source, licence and citation (``None`` for the generic adapter: the mapping says).
        user: Which participant of the corpus is the ``user``.
        files: What to point it at.
    """

    kind: str
    read: Callable[..., Iterator[Conversation]]
    info: CorpusInfo | None
    user: str
    files: str

    @property
    def options(self) -> list[str]:
        """Keyword options besides ``limit``."""
        params = inspect.signature(self.read).parameters.values()
        return [p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name != "limit"]


ADAPTERS: dict[str, Adapter] = {
    a.kind: a
    for a in (
        Adapter(
            "multiwoz21",
            read_multiwoz,
            MULTIWOZ,
            "the user (crowd worker with a goal)",
            "val.json.zip / test.json.zip / ConvLab-3 unified .json",
        ),
        Adapter(
            "taskmaster",
            read_taskmaster,
            TASKMASTER,
            "USER (the customer)",
            "TM-* data/*.json or sample.json",
        ),
        Adapter("abcd", read_abcd, ABCD, "customer", "abcd_sample.json or abcd_v1.1.json(.gz)"),
        Adapter(
            "casino",
            read_casino,
            CASINO,
            "mturk_agent_1 (user_agent= to swap)",
            "data/split/casino_*.json, casino.json, or a folder of them",
        ),
        Adapter(
            "persuasionforgood",
            read_persuasionforgood,
            PERSUASIONFORGOOD,
            "the persuadee (user_role=persuader to swap)",
            "data/FullData/full_dialog.csv",
        ),
        Adapter(
            "topical-chat",
            read_topical_chat,
            TOPICAL_CHAT,
            "agent_1, who opens (user_agent= to swap)",
            "conversations/*.json or the folder",
        ),
        Adapter(
            "moviebot",
            read_moviebot,
            MOVIEBOT,
            "USER (a real person; the bot is the system)",
            "data/datasets/moviebot/annotated_dialogues.json",
        ),
        Adapter(
            "generic",
            read_generic,
            None,
            "as the mapping says (roles / user)",
            "any .jsonl / .csv / .tsv with mapping=",
        ),
    )
}


def import_corpus(kind: str, path: str | Path, **options: Any) -> Iterator[Conversation]:
    """The conversations of a corpus, read with the adapter ``kind``.

    Args:
        kind: One of :data:`ADAPTERS` (``multiwoz21``, ``taskmaster``, ``abcd``, ``casino``,
            ``persuasionforgood``, ``topical-chat``, ``moviebot``, ``generic``).
        path: The corpus file (or folder, where the adapter reads folders).
        **options: ``limit`` and the adapter's own options (``mapping`` for ``generic``).

    Raises:
        ConfigError: Unknown kind or option, or bad input (one line naming file and field/row).
    """
    adapter = ADAPTERS.get(kind)
    if adapter is None:
        close = difflib.get_close_matches(kind, list(ADAPTERS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"unknown corpus kind {kind!r}{hint}; one of {', '.join(ADAPTERS)}")
    allowed = {"limit", *adapter.options}
    for name in options:
        if name not in allowed:
            raise ConfigError(
                f"{kind}: unknown option {name!r}; options: {', '.join(sorted(allowed))}"
            )
    if kind == "generic" and options.get("mapping") is None:
        raise ConfigError("generic: needs a field mapping (--mapping map.yaml)")
    return adapter.read(Path(path), **options)
