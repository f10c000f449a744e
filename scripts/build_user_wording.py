"""Build the real-user wording bank shipped with Simulacra
(``participants/data/user_wording.json``).

Every user turn of MultiWOZ 2.1 *val* (``../shared/data/multiwoz21/val.json.zip``, MIT), read in
its original format through the corpus adapter, whose annotated acts are all informs or requests:
its values are replaced by slot markers (``simulacra.participants._real_wording.delexicalise``)
and it is filed under its acts and placement. Last user turns that only thank or say goodbye are
filed as closings (``close|thank``, ``close|bye``, ``close|bye;thank``). MultiWOZ *test* is not
used: it is where the user fidelity benchmark reports. Run from the repository root::

    .venv/bin/python scripts/build_user_wording.py
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from simulacra.datasets import import_corpus
from simulacra.evaluation._fidelity_classifier import surface_text
from simulacra.participants._real_wording import (
    Placement,
    clean_closing,
    closing_key,
    delexicalise,
    wording_key,
)
from simulacra.scenarios import DOMAINS, DialogueAct, parse_acts

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCE = SHARED / "multiwoz21/val.json.zip"
OUT = Path(__file__).resolve().parents[1] / "src/simulacra/participants/data/user_wording.json"
VERSION = 2
_COMMON = frozenset({"yes", "no", "none", "free", "dontcare", "any", "the", "all", "not", "one"})


def _words(value: str) -> str:
    return " ".join(re.findall(r"[a-z']+", value.lower()))


def _acts(turn: object) -> list[DialogueAct]:
    try:
        return parse_acts(str(getattr(turn, "metadata", {}).get("acts") or ""))
    except ValueError:  # a value with ";" or ")" in it (a handful of val turns): left out
        return []


def main() -> int:
    conversations = list(import_corpus("multiwoz21", SOURCE))
    known: set[str] = set()
    for conv in conversations:
        for turn in conv.turns:
            for act in _acts(turn):
                value = _words(act.value)
                if len(value) >= 3 and value not in _COMMON and not value.isdigit():
                    known.add(value)
    known -= set(DOMAINS)
    frozen = frozenset(known)
    wordings: dict[str, list[str]] = defaultdict(list)
    users = kept = 0
    for conv in conversations:
        seen: set[str] = set()
        first = True
        own = [t for t in conv.turns if t.speaker == "user"]
        for turn in conv.turns:
            if turn.speaker != "user":
                continue
            users += 1
            acts = _acts(turn)
            closing = closing_key(acts)
            if closing is not None:
                text = surface_text(turn.utterance.strip())
                usable = turn is own[-1] and clean_closing(text, acts, frozen)
                if usable and text not in wordings[closing]:
                    wordings[closing].append(text)
                    kept += 1
                continue
            domains = {a.domain for a in acts if a.intent in ("inform", "request")}
            placement: Placement = "first" if first else "new" if domains - seen else "same"
            first = False
            seen |= domains
            text = surface_text(turn.utterance.strip())
            if not 2 <= len(text.split()) <= 40:
                continue
            wording = delexicalise(text, acts, frozen)
            if wording is None:
                continue
            bucket = wordings[wording_key(acts, placement)]
            if wording not in bucket:
                bucket.append(wording)
                kept += 1
    data = {
        "kind": "simulacra.user_wording",
        "version": VERSION,
        "source": {
            "corpus": "multiwoz21",
            "file": str(SOURCE.relative_to(SHARED)),
            "licence": "MIT",
        },
        "user_turns": users,
        "kept": kept,
        "wordings": {k: wordings[k] for k in sorted(wordings)},
    }
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    print(
        f"wrote {OUT} ({OUT.stat().st_size // 1024} KiB): {kept} wordings from {users} user "
        f"turns, {len(wordings)} keys"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
