"""Agreement of real human raters, and a lexical baseline against their scores, without any
language model: the figures of docs/human-evaluation.md.

Runs the documented commands on the original files of ``../shared/data`` (1,000 bootstrap
resamples, seed 0):

- ``simulacra annotate agreement`` on the PredictiveEngagement AMT sheet (all workers, interval
  level, the two most active workers), and on ABA-ReDial dialogues and turns;
- the worked example: ``annotate from-corpus predictive-engagement``, ``annotate agreement`` of
  the converted study, ``annotate scores``, then ``eval meta --level turn --judge
  baseline:lexical`` (length and overlap features, no model).

Report only (``goal_met`` None). Run: python benchmarks/human_agreement.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, simulacra_cli, write_result

DATA = ROOT.parent / "shared/data"
PE = DATA / "predictive-engagement"
ABR = DATA / "ab-redial-satisfaction"

AGREEMENT = {
    "predictive_engagement": [str(PE), "--corpus", "predictive-engagement"],
    "predictive_engagement_interval": [
        str(PE), "--corpus", "predictive-engagement", "--level", "interval",
    ],
    "predictive_engagement_two_workers": [
        str(PE), "--corpus", "predictive-engagement", "--only", "WR_AC8T,WR_P2TJ",
    ],
    "ab_redial_dialogue": [str(ABR), "--corpus", "ab-redial-dialogue"],
    "ab_redial_turn": [str(ABR), "--corpus", "ab-redial-turn"],
}  # fmt: skip

CODE_PATHS = [
    "benchmarks/human_agreement.py",
    "src/simulacra/evaluation/_agreement.py",
    "src/simulacra/evaluation/_annotation.py",
    "src/simulacra/evaluation/_annotation_io.py",
    "src/simulacra/evaluation/_ratings.py",
    "src/simulacra/evaluation/_meta.py",
    "src/simulacra/evaluation/_correlation.py",
    "src/simulacra/evaluation/_judge.py",
    "src/simulacra/cli/_annotate.py",
]


def _report(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text())
    data.pop("ratings", None)  # a local path
    return data


def main() -> None:
    t0 = time.perf_counter()
    reports: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name, args in AGREEMENT.items():
            out = work / f"{name}.json"
            simulacra_cli("annotate", "agreement", *args, "--seed", "0", "-o", str(out))
            reports[name] = _report(out)
        pe = work / "pe"
        converted = simulacra_cli(
            "annotate", "from-corpus", "predictive-engagement", str(PE), "-o", str(pe)
        )
        tasks, ratings = str(pe / "tasks.jsonl"), str(pe / "ratings.jsonl")
        simulacra_cli(
            "annotate", "agreement", ratings, "--tasks", tasks, "-o", str(work / "study.json")
        )
        simulacra_cli(
            "annotate", "scores", ratings, "--tasks", tasks, "-o", str(pe / "human.jsonl")
        )
        meta = work / "meta.json"
        simulacra_cli("eval", "meta", str(pe / "human.jsonl"), "--level", "turn", "--judge",
             "baseline:lexical", "--seed", "0", "-o", str(meta))  # fmt: skip
        worked = {
            "from_corpus": converted.strip().splitlines()[0].split(":")[0],
            "agreement": _report(work / "study.json"),
            "meta_lexical_baseline": json.loads(meta.read_text()),
        }
    alpha = reports["predictive_engagement"]["alpha"]["value"]
    write_result(
        "human_agreement",
        value=round(alpha, 4),
        unit="Krippendorff's alpha (ordinal), PredictiveEngagement AMT sheet, 24 workers",
        ratio=None,
        goal="report: agreement of real crowd raters (the ceiling for a judge); no model",
        model="none (baseline:lexical features for the meta-evaluation)",
        details={
            "resamples": 1000,
            "seed": 0,
            "agreement": reports,
            "worked_example": worked,
            "seconds": round(time.perf_counter() - t0, 1),
        },
        goal_met=None,
        code_paths=CODE_PATHS,
    )


if __name__ == "__main__":
    main()
