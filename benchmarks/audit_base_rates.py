"""The self-audit's base rates on real users: the same lexical rules as ``simulacra eval audit``
over the real MultiWOZ 2.1 validation dialogues (all of them, and the hotel-only ones), so a
simulator's rates can be read against what the rules flag in people. No model is involved.

Run: python benchmarks/audit_base_rates.py
Writes benchmarks/results/audit_base_rates.json.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from _common import write_result

from simulacra.evaluation import audit_report, load_population

ROOT = Path(__file__).resolve().parents[1]
VAL = ROOT.parent / "shared/data/multiwoz21/val.json.zip"


def _rates(domains: list[str] | None) -> dict[str, Any]:
    started = time.perf_counter()
    report = audit_report(load_population(VAL, domains=domains), seed=0).to_dict()
    report.pop("flags", None)
    report["seconds"] = round(time.perf_counter() - started, 2)
    return report


def main() -> None:
    every = _rates(None)
    hotel = _rates(["hotel"])
    role = every["rates"]["role_reversal"]
    write_result(
        "audit_base_rates",
        value=role["value"],
        unit="role reversal rate of real MultiWOZ 2.1 val users (self-audit rules)",
        ratio=None,
        goal="report: the rules' base rates on real users",
        model="none (real users)",
        details={"all_val": every, "hotel_only_val": hotel},
        goal_met=None,
        code_paths=[
            "src/simulacra/evaluation/_audit.py",
            "src/simulacra/evaluation/_role.py",
            "src/simulacra/evaluation/_population.py",
            "benchmarks/audit_base_rates.py",
        ],
    )


if __name__ == "__main__":
    main()
