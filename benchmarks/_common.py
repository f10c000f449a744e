"""Shared helpers of the benchmarks: machine description and the results file convention."""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results"


def machine() -> str:
    """A one-line description of this machine."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), {platform.system()}"


def write_result(
    name: str,
    *,
    value: float,
    unit: str,
    ratio: float | None,
    goal: str,
    model: str,
    details: dict[str, Any] | None = None,
) -> Path:
    """Write ``benchmarks/results/<name>.json`` and print it."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    record = {
        "name": name,
        "value": value,
        "unit": unit,
        "ratio": ratio,
        "goal": goal,
        "model": model,
        "machine": machine(),
        "date": _dt.date.today().isoformat(),
        **({"details": details} if details else {}),
    }
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(record, indent=2) + "\n")
    print(json.dumps({k: v for k, v in record.items() if k != "details"}, indent=2))
    return path
