"""MultiWOZ 2.1 → conversations (reuses :mod:`simulacra.datasets._multiwoz`).

Each dialogue's user goal becomes the Simulacra scenario: ``scenario_id`` ``multiwoz:<id>``
(the ids :func:`multiwoz_scenarios` gives, so ``simulacra fidelity`` pairs an imported corpus
with runs of the same goals), the natural-language goal the crowd worker was shown in
``metadata.goal`` and the structured goal (per-domain constraints, requests, bookings and the
fail-then-retry values) as JSON in ``metadata.constraints``. Turns alternate user/system; each
keeps its annotated dialogue acts in the compact form (``metadata.acts``:
``inform(hotel-area=east);request(hotel-phone)``) that the fidelity report compares. The system
side was a human "wizard" playing the system (Wizard-of-Oz): kind ``ai_system``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from simulacra.conversation import Conversation, ParticipantKind
from simulacra.datasets._corpus import CorpusInfo, RealTurn, build_conversation
from simulacra.datasets._multiwoz import MULTIWOZ_LICENCE, multiwoz_dialogues
from simulacra.scenarios import format_acts

__all__ = ["MULTIWOZ", "read_multiwoz"]

MULTIWOZ = CorpusInfo(
    name="multiwoz21",
    source="MultiWOZ 2.1 (budzianowski/multiwoz; ConvLab-2 / ConvLab-3 packaging)",
    licence=MULTIWOZ_LICENCE,
    citation=("Budzianowski et al., 2018, MultiWOZ, EMNLP; Eric et al., 2020, MultiWOZ 2.1, LREC"),
)


def read_multiwoz(
    path: str | Path, *, limit: int | None = None, domains: Iterable[str] | None = None
) -> Iterator[Conversation]:
    """The dialogues of one MultiWOZ file (``val.json.zip``, ``test.json.zip``, a unified
    ``.json``), optionally only goals within ``domains``."""
    file = Path(path)
    for d in multiwoz_dialogues(file, with_turns=True, domains=domains, limit=limit):
        turns = [
            RealTurn(
                "user" if t.speaker == "user" else "system", t.text, {"acts": format_acts(t.acts)}
            )
            for t in d.turns
        ]
        yield build_conversation(
            info=MULTIWOZ,
            file=file,
            id=d.id,
            turns=turns,
            user_name="User",
            system_name="System",
            system_kind=ParticipantKind.AI_SYSTEM,
            user_role="user",
            system_role="system (human wizard)",
            scenario_id=f"multiwoz:{d.id}",
            metadata={
                "goal": d.goal.description or ", ".join(d.goal.domain_names),
                "constraints": d.goal.model_dump_json(exclude={"source"}),
                "domains": ",".join(d.goal.domain_names),
                "corpus.packaging": d.provenance.packaging,
            },
        )
