"""Markdown tables generated from result files, for the docs (so no figure is typed by hand).

Run: python benchmarks/tables.py user_fidelity
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def _ci(e: dict[str, Any] | None, digits: int = 3) -> str:
    if not e or e.get("value") is None:
        return "—"
    return f"{e['value']:.{digits}f} [{e['low']:.{digits}f}, {e['high']:.{digits}f}]"


def _ks(c: dict[str, Any] | None) -> str:
    if not c:
        return "—"
    v = c["value"]
    return f"{v['value']:.2f} [{v['low']:.2f}, {v['high']:.2f}] (real {c['real']['mean']:.1f}, sim {c['simulated']['mean']:.1f})"


def user_fidelity() -> str:
    data = json.loads((RESULTS / "user_fidelity.json").read_text())
    variants: dict[str, Any] = data["details"]["variants"]
    rows = [
        ("goals (conversations)", lambda m: f"{m['goals']} ({m['conversations']})"),
        ("role reversal, share of user turns", lambda m: _ci(m["role_reversal"])),
        ("instruction leaks, share of user turns", lambda m: _ci(m["leak"])),
        ("premature stops, share of user-closed conversations", lambda m: _ci(m["premature_stop"])),
        ("goal coverage (checklist items said)", lambda m: _ci(m["goal_coverage"])),
        ("words per user turn: KS vs real (means)", lambda m: _ks(m["words_per_turn_ks"])),
        ("user turns per dialogue: KS vs real (means)", lambda m: _ks(m["turns_per_dialogue_ks"])),
        ("distinguishability AUC vs real", lambda m: _auc(m["auc"])),
        (
            "real vs real AUC (same size)",
            lambda m: _auc((m.get("real_vs_real") or {}).get("distinguishability")),
        ),
        ("gate regenerations per user turn", lambda m: _ci(m["regenerations_per_user_turn"], 2)),
        (
            "seconds per conversation (median)",
            lambda m: str(m["seconds_per_conversation"]["median"]),
        ),
        ("seconds per user turn", lambda m: str(m["seconds_per_conversation"]["per_user_turn"])),
    ]
    names = list(variants)
    out = ["| | " + " | ".join(f"`{n}`" for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    for label, f in rows:
        cells = []
        for n in names:
            try:
                cells.append(f(variants[n]))
            except (KeyError, TypeError):
                cells.append("—")
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _auc(d: dict[str, Any] | None) -> str:
    if not d or not isinstance(d.get("auc"), dict):
        return "—"
    return _ci(d["auc"])


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "user_fidelity"
    print({"user_fidelity": user_fidelity}[which]())
