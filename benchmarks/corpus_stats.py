"""``simulacra data stats`` on every corpus of ``../shared/data``, without any model: the
statistics table of docs/datasets.md.

Each corpus is imported from its original files (``simulacra data import KIND PATH``, the default
user convention) and described by ``simulacra data stats RUN --json`` (dialogues, turns per side,
turns per dialogue and words per turn with 95% bootstrap intervals over dialogues, 1,000
resamples, seed 0). Also the two means of user words per turn on the first 50 MultiWOZ 2.1
validation dialogues: ``simulacra eval run --side user --metrics lengths`` (mean of
per-conversation means) and ``data stats`` (pooled over turns).

Report only (``goal_met`` None). Run: python benchmarks/corpus_stats.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, simulacra_cli, write_result

DATA = ROOT.parent / "shared/data"
CORPORA = {  # name: (adapter, path under ../shared/data)
    "multiwoz21_val": ("multiwoz21", "multiwoz21/val.json.zip"),
    "multiwoz21_test": ("multiwoz21", "multiwoz21/test.json.zip"),
    "taskmaster4_data_07": ("taskmaster", "taskmaster/TM-4-2024/data/data_07.json"),
    "abcd_sample": ("abcd", "abcd/data/abcd_sample.json"),
    "casino": ("casino", "casino/data/split"),
    "persuasionforgood": ("persuasionforgood", "persuasionforgood/data/FullData/full_dialog.csv"),
    "topical_chat": ("topical-chat", "topical-chat/conversations"),
    "moviebot": ("moviebot", "moviebot-usersimcrs/data/datasets/moviebot/annotated_dialogues.json"),
}

CODE_PATHS = [
    "benchmarks/corpus_stats.py",
    "src/simulacra/datasets",
    "src/simulacra/cli/_data.py",
    "src/simulacra/evaluation/_metrics.py",
]


def _stats(run: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(simulacra_cli("data", "stats", str(run), "--json"))
    return data


def main() -> None:
    t0 = time.perf_counter()
    corpora: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, (kind, rel) in CORPORA.items():
            run = work / name
            simulacra_cli("data", "import", kind, str(DATA / rel), "-o", str(run))
            corpora[name] = {"adapter": kind, "path": rel, **_stats(run)}
        first50 = work / "multiwoz21_val_50"
        simulacra_cli("data", "import", "multiwoz21", str(DATA / CORPORA["multiwoz21_val"][1]), "--limit",
             "50", "-o", str(first50))  # fmt: skip
        report = work / "eval.json"
        simulacra_cli("eval", "run", str(first50), "--side", "user", "--metrics", "lengths", "-o",
             str(report))  # fmt: skip
        values = json.loads(report.read_text())["metrics"]["values"]
        stats50 = _stats(first50)
    two_means = {
        "dialogues": 50,
        "eval_run_user_words_per_turn_mean_of_conversations": values["user_words_per_turn"],
        "data_stats_user_turn_words_pooled": stats50["user_turn_words"],
    }
    write_result(
        "corpus_stats",
        value=sum(c["dialogues"] for c in corpora.values()),
        unit="dialogues described (8 corpus files of ../shared/data)",
        ratio=None,
        goal="report: simulacra data stats of every shipped corpus (no model)",
        model="none",
        details={
            "corpora": corpora,
            "multiwoz21_val_first_50": two_means,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        goal_met=None,
        code_paths=CODE_PATHS,
    )


if __name__ == "__main__":
    main()
