"""Judging during a run: the judges a run config names (``judges:``) score each conversation as
it finishes, and their verdicts are appended to the run directory's ``judgments.jsonl`` — the
same file, in the same format, that deferred judging (``simulacra eval RUN_DIR --judge``)
writes, so every reader finds all verdicts in one place.

Resume-safe: a conversation is judged before it is handed to the run store, its verdicts are
appended and fsync'd when it is written, and on resume :meth:`InlineJudging.catch_up` rewrites
the file (atomically) without the verdicts of conversations that never reached
``conversations.jsonl`` (a crash between the two writes) and judges every finished
conversation whose verdicts are missing or incomplete (a crash mid-append, or judges added with
``--force``). Each verdict is identified by its item id (``<conversation>[:<turn>]``), judge and
rubric.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal, TextIO

from simulacra._atomic import write_text_atomic
from simulacra.conversation import Conversation
from simulacra.evaluation._judge import (
    JUDGMENTS_FILE,
    BaselineJudge,
    Judge,
    JudgeItem,
    RubricJudge,
    Verdict,
    conversation_items,
)
from simulacra.evaluation._rubric import Rubric
from simulacra.models import GenerateConfig, Model

__all__ = ["InlineJudge", "InlineJudging"]


@dataclass(frozen=True)
class InlineJudge:
    """One judge of a run: what it judges and how.

    Attributes:
        judge: The judge (an LLM judge with a rubric, or the baseline).
        level: ``turn`` (each turn of ``side`` in its context) or ``dialogue``.
        side: Whose turns a turn-level judge scores.
    """

    judge: Judge
    level: Literal["turn", "dialogue"]
    side: Literal["user", "target"] = "target"

    @property
    def key(self) -> tuple[str, str | None]:
        """``(judge id, rubric ref)``, as recorded with its verdicts."""
        rubric = getattr(self.judge, "rubric", None)
        return self.judge.name, rubric.ref if isinstance(rubric, Rubric) else None

    def items(self, conversation: Conversation) -> list[JudgeItem]:
        """What this judge scores in one conversation."""
        return conversation_items([conversation], level=self.level, side=self.side)

    @classmethod
    def build(
        cls,
        *,
        rubric: Rubric | None,
        model: Model | None,
        side: Literal["user", "target"],
        max_tokens: int,
        baseline: str | None = None,
    ) -> InlineJudge:
        """An LLM judge of ``model`` with ``rubric``, or (``baseline``: ``baseline`` or
        ``baseline:lexical``) the non-LLM baseline at turn level."""
        if baseline is not None:
            return cls(BaselineJudge(embeddings=baseline != "baseline:lexical"), "turn", side)
        assert rubric is not None and model is not None
        judge = RubricJudge(model, rubric, config=GenerateConfig(max_tokens=max_tokens))
        return cls(judge, rubric.level, side)


def _line(v: Verdict) -> str:
    return json.dumps(asdict(v), ensure_ascii=False)


class InlineJudging:
    """The judges of one run and its ``judgments.jsonl``.

    Args:
        judges: The run's judges.
        directory: The run directory.
    """

    def __init__(self, judges: Sequence[InlineJudge], directory: Path) -> None:
        self.judges = list(judges)
        self.path = Path(directory) / JUDGMENTS_FILE
        self._out: TextIO | None = None

    async def judge(self, conversation: Conversation) -> list[Verdict]:
        """Every judge's verdicts on one finished conversation (failures are verdicts with
        ``error``, never raised)."""
        out: list[Verdict] = []
        for j in self.judges:
            items = j.items(conversation)
            if items:
                out.extend(await j.judge.judge(items))
        return out

    def write(self, verdicts: Sequence[Verdict]) -> None:
        """Append one conversation's verdicts and make them durable."""
        if not verdicts:
            return
        if self._out is None:
            self._out = self.path.open("a", encoding="utf-8")
        self._out.write("".join(_line(v) + "\n" for v in verdicts))
        self._out.flush()
        os.fsync(self._out.fileno())

    def close(self) -> None:
        """Close the file."""
        if self._out is not None:
            self._out.close()
            self._out = None

    async def catch_up(self, conversations: Iterable[Conversation]) -> int:
        """Reconcile ``judgments.jsonl`` with the finished conversations of a resumed run.

        Verdicts of this run's judges on conversations that are not finished are dropped; a
        finished conversation whose verdicts from one judge do not cover all its items is
        judged again by that judge. Verdicts of other judges (deferred judging) are kept. The
        file is rewritten atomically, and only when something changed.

        Returns:
            The number of conversations judged again.
        """
        ours = {j.key for j in self.judges}
        kept: list[str] = []
        have: dict[tuple[str, str | None], dict[str, list[str]]] = defaultdict(
            lambda: defaultdict(list)
        )
        changed = False
        if self.path.is_file():
            for raw in self.path.read_text(encoding="utf-8").splitlines(keepends=True):
                if not raw.endswith("\n"):
                    changed = True  # a torn final append
                    continue
                try:
                    row = json.loads(raw)
                except ValueError:
                    changed = True
                    continue
                key = (row.get("judge"), row.get("rubric"))
                if key in ours:
                    have[key][str(row.get("conversation_id"))].append(raw.rstrip("\n"))
                else:
                    kept.append(raw.rstrip("\n"))
        done = {c.id: c for c in conversations}
        redo = 0
        fresh: list[str] = []
        for j in self.judges:
            lines = have.get(j.key, {})
            changed = changed or any(cid not in done for cid in lines)
            for cid, c in done.items():
                expected = {item.id for item in j.items(c)}
                present = {json.loads(line)["item_id"] for line in lines.get(cid, [])}
                if expected <= present:
                    fresh.extend(lines.get(cid, []))
                    continue
                redo += 1
                changed = True
                fresh.extend(_line(v) for v in await j.judge.judge(j.items(c)))
        if changed:
            text = "".join(line + "\n" for line in [*kept, *fresh])
            write_text_atomic(self.path, text, durable=True)
        return redo
