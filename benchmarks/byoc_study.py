"""Bring your own corpus, end to end, on a corpus that is not MultiWOZ (issue #18).

The ABCD customer-service sample (../shared/data/abcd, MIT; 3 real dialogues, 2 services = ABCD
flows, 3 intents = subflows) is imported as the real reference; ``examples/byoc_abcd.yaml``
simulates a customer for each real goal (one scenario per real dialogue, its id kept) against a
system prompt per service (``target.service_prompts``, templated with the scenario's intent), in
one config and one model load; ``fidelity`` then compares the simulated customers with the real
customers of the same goals, paired by scenario id.

Run: nice -n 10 python benchmarks/byoc_study.py [--model default|tiny] [--epochs 3]
Writes benchmarks/results/byoc_study.json (value = distinguishability AUC of simulated vs real
customer turns; 0.5 = indistinguishable) with the whole fidelity report, the per-scenario
prompts and the config in ``details``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path

from _common import write_result

from simulacra.datasets import import_corpus
from simulacra.evaluation._fidelity import fidelity_report
from simulacra.evaluation._study import max_turns_flags
from simulacra.runs import execute_run, load_config, read_conversations
from simulacra.runs._store import RunWriter

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "examples" / "byoc_abcd.yaml"
ABCD = ROOT.parent / "shared" / "data" / "abcd" / "data" / "abcd_sample.json"


def _import(directory: Path) -> Path:
    writer = RunWriter(directory, {"name": "abcd-real", "status": "complete", "imported": True})
    for c in import_corpus("abcd", ABCD):
        writer.write(c)
    writer.close()
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=["default", "tiny"], default="default")
    parser.add_argument("--epochs", type=int, default=3, help="simulated dialogues per goal")
    parser.add_argument("--max-turns", type=int, default=12)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    config = load_config(CONFIG)
    models = {
        role: spec.model_copy(update={"model": f"embedded:{args.model}"})
        for role, spec in config.models.items()
    }
    config = config.model_copy(
        update={
            "models": models,
            "epochs": args.epochs,
            "stop": config.stop.model_copy(update={"max_turns": args.max_turns}),
        }
    )
    t = config.target
    prompts = {s.id: s.system_prompt(t.system_prompt, t.service_prompts) for s in config.scenarios}
    with tempfile.TemporaryDirectory() as tmp:
        reference = _import(Path(tmp) / "abcd-real")
        real = list(read_conversations(reference))
        start = time.perf_counter()
        result = asyncio.run(execute_run(config, config_path=CONFIG, output_dir=Path(tmp)))
        seconds = time.perf_counter() - start
        simulated = list(read_conversations(result.directory))
    used = {}
    for c in simulated:
        target_calls = [m for m in c.model_calls if m.get("role") == "target"]
        messages = target_calls[0].get("messages") if target_calls else None
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            used[c.scenario_id] = messages[0].get("content")
    report = fidelity_report(simulated, real, seed=args.seed, human_likeness=False)
    auc = report.distinguishability.auc
    services = sorted({str(s.service) for s in config.scenarios})
    details = {
        "corpus": "ABCD sample (asappresearch/abcd, MIT): 3 real dialogues",
        "services": services,
        "intents": sorted({s.fields.get("intent", "") for s in config.scenarios}),
        "config": CONFIG.read_text(encoding="utf-8"),
        "overrides": {
            "models": f"embedded:{args.model}",
            "epochs": args.epochs,
            "max_turns": args.max_turns,
        },
        "prompts_by_scenario": prompts,
        "prompts_seen_by_the_target": used,
        "terminations": dict(Counter(str(c.termination) for c in simulated)),
        "ended_by": dict(Counter(str(c.ended_by) for c in simulated)),
        "max_turns_flags": max_turns_flags(simulated),
        "run_seconds": round(seconds, 1),
        "fidelity": report.to_dict(),
        "example_conversation": [f"{t.speaker}: {t.utterance}" for t in simulated[0].turns]
        if simulated
        else [],
    }
    print(
        json.dumps(
            {k: v for k, v in details.items() if k not in ("config", "fidelity")},
            indent=2,
            default=str,
        )
    )
    write_result(
        "byoc_study",
        value=round(auc.value, 4),
        unit="ROC AUC, simulated vs real customer turns (0.5 = indistinguishable)",
        ratio=None,
        goal=(
            "one config simulates several services of a non-MultiWOZ corpus against "
            "per-scenario prompts in one model load, and fidelity pairs every simulated "
            "dialogue with the real dialogue of its goal"
        ),
        model=f"embedded:{args.model}",
        details=details,
        goal_met=report.n_paired == len(simulated)
        and len(services) >= 2
        and len(set(used.values())) == len(config.scenarios),
        templates=["user/goal_state_system", "user/goal_state_turn", "profile/general"],
        code_paths=[
            "src/simulacra/runs/_scenarios.py",
            "src/simulacra/runs/_config.py",
            "src/simulacra/scenarios/_config.py",
            "src/simulacra/evaluation/_study.py",
            "src/simulacra/evaluation/_fidelity.py",
            "src/simulacra/datasets/_abcd.py",
            "examples/byoc_abcd.yaml",
            "benchmarks/byoc_study.py",
        ],
    )


if __name__ == "__main__":
    main()
