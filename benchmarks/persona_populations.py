"""Population statistics of personas, without any model: the figures of docs/profiles.md.

- a sampled population (the spec of ``tests/profiles/test_personas.py``: n = 300, seed 4,
  stratified gender, quasi-random numeric draws): ``population_stats`` against the spec;
- the real CaSiNo personas (``simulacra personas import casino ../shared/data/casino/data/split``
  then the statistics ``simulacra personas stats`` prints);
- behaviour mined from real users (``simulacra personas mine``): MultiWOZ 2.1 test users and the
  Taskmaster-4 users of ``data_07.json`` (imported with ``simulacra data import taskmaster``).

Report only (``goal_met`` None). Run: python benchmarks/persona_populations.py
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import ROOT, simulacra_cli, write_result

DATA = ROOT.parent / "shared/data"
CASINO = DATA / "casino/data/split"
MULTIWOZ_TEST = DATA / "multiwoz21/test.json.zip"
TM4 = DATA / "taskmaster/TM-4-2024/data/data_07.json"

SPEC = {  # the spec of tests/profiles/test_personas.py
    "n": 300,
    "seed": 4,
    "attributes": {
        "demographics.age": {"uniform": [18, 80], "integer": True},
        "demographics.gender": {"categorical": {"female": 0.5, "male": 0.4, "nonbinary": 0.1}},
        "big_five.openness": {"normal": {"mean": 3.5, "sd": 0.6}, "clip": [1, 5]},
        "behaviour.verbosity": {"uniform": [0, 1]},
    },
    "stratify": "demographics.gender",
}

CODE_PATHS = [
    "benchmarks/persona_populations.py",
    "src/simulacra/profiles/_population.py",
    "src/simulacra/profiles/_mine.py",
    "src/simulacra/profiles/_persona.py",
    "src/simulacra/datasets/_personas.py",
    "src/simulacra/cli/_personas_mine.py",
    "src/simulacra/evaluation/_population.py",
]


def _sampled() -> dict[str, Any]:
    from simulacra.profiles import PopulationSpec, population_stats, sample_population

    spec = PopulationSpec.model_validate(SPEC)
    stats = population_stats(sample_population(spec), spec)
    attrs = stats["attributes"]
    return {
        "spec": "tests/profiles/test_personas.py SPEC",
        "n": stats["n"],
        "gender_tv_distance": attrs["demographics.gender"]["tv_distance"],
        "verbosity_ks_distance": attrs["behaviour.verbosity"]["ks_distance"],
        "age_decile_coverage": attrs["demographics.age"]["decile_coverage"],
        "openness_mean": attrs["big_five.openness"]["mean"],
        "duplicates": stats["duplicates"],
        "mean_pairwise_gower": stats.get("mean_pairwise_gower"),
    }


def _casino(work: Path) -> dict[str, Any]:
    from simulacra.profiles import population_stats
    from simulacra.profiles._io import load_personas

    out = work / "casino.jsonl"
    simulacra_cli("personas", "import", "casino", str(CASINO), "-o", str(out))
    stats = population_stats(load_personas(out))
    attrs = stats["attributes"]
    return {
        "source": "casino/data/split",
        "personas": stats["n"],
        "mean_pairwise_gower": stats.get("mean_pairwise_gower"),
        "extraversion": attrs["big_five.extraversion"],
        "gender_counts": attrs["demographics.gender"]["counts"],
        "duplicates": stats["duplicates"],
    }


def _mined(source: Path, work: Path, tag: str) -> dict[str, Any]:
    stats_file = work / f"{tag}_mined.json"
    simulacra_cli(
        "personas",
        "mine",
        str(source),
        "-o",
        str(work / f"{tag}.jsonl"),
        "--stats",
        str(stats_file),
    )
    data = json.loads(stats_file.read_text())
    summary = {
        k: {"mean": round(v["mean"], 4), "sd": round(v["sd"], 4), "n": int(v["n"])}
        for k, v in data["summary"]["mined"].items()
    }
    return {"users": data["users"], "mined": summary}


def main() -> None:
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        sampled = _sampled()
        casino = _casino(work)
        multiwoz = _mined(MULTIWOZ_TEST, work, "multiwoz_test")
        simulacra_cli("data", "import", "taskmaster", str(TM4), "-o", str(work / "tm4"))
        taskmaster = _mined(work / "tm4", work, "tm4")
    details = {
        "sampled_spec": sampled,
        "casino": casino,
        "mined_multiwoz21_test": {"source": "multiwoz21/test.json.zip", **multiwoz},
        "mined_taskmaster4_data_07": {
            "source": "taskmaster/TM-4-2024/data/data_07.json",
            **taskmaster,
        },
        "seconds": round(time.perf_counter() - t0, 1),
    }
    write_result(
        "persona_populations",
        value=multiwoz["mined"]["words_per_turn"]["mean"],
        unit="mean words per user turn of the MultiWOZ 2.1 test users (mined)",
        ratio=None,
        goal="report: population statistics of sampled, imported and mined personas (no model)",
        model="none",
        details=details,
        goal_met=None,
        code_paths=CODE_PATHS,
    )


if __name__ == "__main__":
    main()
