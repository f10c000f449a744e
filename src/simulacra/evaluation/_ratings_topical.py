"""Topical-Chat's ratings as rated items (Gopalakrishnan et al., 2019; CDLA-Sharing-1.0).

Read from ``conversations/*.json`` as distributed. Turn level: every message after the first
with a partner ``turn_rating`` (the partner's judgement of the message's quality), in the
context of the (up to) three messages before it. Dialogue level: each conversation with the mean
of its two self-ratings (``conversation_rating`` of ``agent_1`` and ``agent_2``). The labels
are mapped ``Poor`` 1, ``Not Good`` 2, ``Passable`` 3, ``Good`` 4, ``Excellent`` 5; an empty
label is skipped. Both ratings are heavily skewed (about 90% Good or Excellent), which bounds
any judge's correlation with them.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import Literal

from simulacra.errors import ConfigError
from simulacra.evaluation._judge import JudgeItem
from simulacra.evaluation._ratings import RatedItem

__all__ = ["TOPICAL_LABELS", "read_topical_chat_ratings"]

TOPICAL_LABELS = {"Poor": 1.0, "Not Good": 2.0, "Passable": 3.0, "Good": 4.0, "Excellent": 5.0}


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    folder = root / "conversations" if (root / "conversations").is_dir() else root
    files = sorted(folder.glob("*.json"))
    if not files:
        raise ConfigError(f"{root}: no Topical-Chat .json files (expected conversations/*.json)")
    return files


def read_topical_chat_ratings(
    root: str | Path, *, level: Literal["turn", "dialogue"] = "turn", context_turns: int = 3
) -> list[RatedItem]:
    """Rated items of a Topical-Chat folder (or one of its ``.json`` files).

    Raises:
        ConfigError: If there are no files or a file is not a Topical-Chat mapping.
    """
    out: list[RatedItem] = []
    for file in _files(Path(root)):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            convs = list(data.items())
        except (ValueError, AttributeError):
            raise ConfigError(f"{file}: expected a Topical-Chat mapping of conversations") from None
        for cid, conv in convs:
            try:
                turns = [
                    (str(t["agent"]), str(t["message"]), t.get("turn_rating"))
                    for t in conv["content"]
                ]
                rating = conv.get("conversation_rating") or {}
            except (KeyError, TypeError, AttributeError):
                raise ConfigError(f"{file}: conversation {cid}: no 'content' list") from None
            lines = [f"{a.replace('agent_', 'Agent ')}: {m}" for a, m, _ in turns]
            if level == "dialogue":
                scores = [TOPICAL_LABELS[v] for v in rating.values() if v in TOPICAL_LABELS]
                if scores and lines:
                    out.append(
                        RatedItem(
                            item=JudgeItem(id=cid, context=tuple(lines), conversation_id=cid),
                            human=statistics.fmean(scores),
                            level="dialogue",
                            annotators=len(scores),
                        )
                    )
                continue
            for i, (_, message, label) in enumerate(turns):
                if i == 0 or label not in TOPICAL_LABELS or not message.strip():
                    continue
                out.append(
                    RatedItem(
                        item=JudgeItem(
                            id=f"{cid}:{i}",
                            context=tuple(lines[max(0, i - context_turns) : i]),
                            response=message,
                            conversation_id=cid,
                            turn_index=i,
                        ),
                        human=TOPICAL_LABELS[str(label)],
                        level="turn",
                    )
                )
    return out
