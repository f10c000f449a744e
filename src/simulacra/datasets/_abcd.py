"""ABCD, the Action-Based Conversations Dataset (ASAPP; MIT) → conversations.

Reads ``abcd_sample.json`` (a list of conversations) and the full ``abcd_v1.1.json(.gz)`` (a
mapping ``{train, dev, test}`` of lists; ``split=`` picks one, default all in that order) as
distributed. The ``original`` turns are used: ``customer`` → ``user``, ``agent`` → ``system`` (a
human agent following the company guidelines; kind ``ai_system``, the side a system would
play). ``action`` rows are the agent's button clicks with the system's reply, not utterances:
they become events (``{"type": "action", "turn": i, "text": ...}``). The scenario: the
customer's intent (``flow``/``subflow``, hidden from the agent) is the goal; personal, order and
product details are the constraints (JSON). The goal is also given in words (``goal``: the
intent and the details a customer would give) and structured (``goal.task``: service = flow,
intent = subflow, the personal and order details as the slots the customer holds), with
``service`` = flow, so an imported ABCD run is a source of scenarios.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import CorpusInfo, RealTurn, build_conversation, field, read_json
from simulacra.errors import ConfigError

__all__ = ["ABCD", "read_abcd"]

ABCD = CorpusInfo(
    name="abcd",
    source="ABCD (asappresearch/abcd)",
    licence="MIT",
    citation="Chen et al., 2021, Action-Based Conversations Dataset, NAACL",
)

_SPLITS = ("train", "dev", "test")


def _dialogues(data: Any, file: Path, split: str | None) -> list[Any]:
    if isinstance(data, list):
        if split is not None:
            raise ConfigError(f"{file}: split: this file has no splits (a list of conversations)")
        return data
    if isinstance(data, Mapping) and any(s in data for s in _SPLITS):
        if split is not None and split not in data:
            raise ConfigError(f"{file}: split: no {split!r} (has: {', '.join(data)})")
        return [d for s in ([split] if split else _SPLITS) for d in data.get(s) or []]
    raise ConfigError(f"{file}: expected ABCD conversations (a list, or train/dev/test)")


def read_abcd(
    path: str | Path, *, limit: int | None = None, split: str | None = None
) -> Iterator[Conversation]:
    """The conversations of an ABCD file (see the module docstring)."""
    file = Path(path)
    for index, d in enumerate(_dialogues(read_json(file), file, split)):
        if limit is not None and index >= limit:
            return
        where = f"conversation {index}"
        cid = str(field(d, "convo_id", file, where))
        scenario = field(d, "scenario", file, where)
        turns: list[RealTurn] = []
        events: list[dict[str, object]] = []
        for i, row in enumerate(field(d, "original", file, where)):
            if not isinstance(row, list) or len(row) != 2:
                raise ConfigError(f"{file}: {where}, turn {i}: expected [speaker, text]")
            speaker, text = str(row[0]), str(row[1])
            if speaker == "action":
                events.append({"type": "action", "turn": len(turns), "text": text})
            elif speaker in ("customer", "agent"):
                turns.append(RealTurn("user" if speaker == "customer" else "system", text))
            else:
                raise ConfigError(f"{file}: {where}, turn {i}: unknown speaker {speaker!r}")
        flow = str(scenario.get("flow", "")) if isinstance(scenario, Mapping) else ""
        subflow = str(scenario.get("subflow", "")) if isinstance(scenario, Mapping) else ""
        details = {k: v for k, v in scenario.items() if k not in ("flow", "subflow")}
        slots = _slots(details)
        yield build_conversation(
            info=ABCD,
            file=file,
            id=cid,
            turns=turns,
            user_name="Customer",
            system_name="Agent",
            system_kind=ParticipantKind.AI_SYSTEM,
            user_role="customer",
            system_role="agent",
            scenario_id=f"abcd:{subflow or flow}",
            metadata={
                "goal": _goal_text(flow, subflow, slots),
                "goal.task": json.dumps(
                    {"service": flow, "intent": subflow, "inform": slots}, sort_keys=True
                ),
                "service": flow,
                "constraints": json.dumps(details, ensure_ascii=False, sort_keys=True),
                "flow": flow,
                "subflow": subflow,
            },
            events=events,
        )


_SLOTS = {
    "personal": ("customer_name", "username", "email", "phone", "member_level", "account_id"),
    "order": ("order_id", "purchase_date", "payment_method", "full_address", "zip_code"),
}


def _slots(details: Mapping[str, Any]) -> dict[str, str]:
    """The scenario's details a customer may be asked for, as flat slots."""
    out: dict[str, str] = {}
    for part, keys in _SLOTS.items():
        values = details.get(part)
        if isinstance(values, Mapping):
            out.update({k: str(values[k]) for k in keys if values.get(k) not in (None, "")})
    product = details.get("product")
    if isinstance(product, Mapping) and product.get("names"):
        out["product"] = ", ".join(str(n).replace("_", " ") for n in product["names"])
    return out


def _goal_text(flow: str, subflow: str, slots: Mapping[str, str]) -> str:
    about = f"{flow.replace('_', ' ')}: {subflow.replace('_', ' ')}"
    if not slots:
        return about
    facts = "; ".join(f"{k.replace('_', ' ')} {v}" for k, v in slots.items())
    return (
        f"You contact an online clothing store's customer service ({about}). Your details: {facts}."
    )
