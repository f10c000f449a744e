"""Import throughput: MultiWOZ 2.1 validation dialogues into Simulacra conversations, against a
raw ``json.load`` of the same file.

Times, best of ``--repeat`` runs each, side by side on the same machine:

- **baseline**: open ``val.json.zip``, ``json.loads`` the member (what any script does first);
- **simulacra**: :func:`simulacra.datasets.import_corpus` ``("multiwoz21", ...)`` — the same
  read plus goal parsing into the typed task goal, dialogue-act normalisation and building
  validated :class:`~simulacra.Conversation` records;
- **simulacra + write**: the above plus one JSON line per conversation (``conversations.jsonl``
  as ``simulacra data import`` writes it, into memory).

Run: python benchmarks/import_throughput.py [--repeat 5]
Writes benchmarks/results/import_throughput.json (value = conversations/s through Simulacra;
ratio = Simulacra's time / the raw json.load time, i.e. how many times slower the full import
is than only parsing the JSON; details.cpu_seconds are CPU times of this process).
"""

from __future__ import annotations

import argparse
import json
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

from _common import write_result

from simulacra.datasets._adapters import import_corpus

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multiwoz21" / "val.json.zip"


def _best(fn: Callable[[], int], repeat: int) -> tuple[float, float, int]:
    walls, cpus, n = [], [], 0
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        n = fn()
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    return min(walls), min(cpus), n


def _raw() -> int:
    with zipfile.ZipFile(DATA) as archive:
        data = json.loads(archive.read("val.json"))
    return len(data)


def _simulacra() -> int:
    return len(list(import_corpus("multiwoz21", DATA)))


def _simulacra_write() -> int:
    return len([c.model_dump_json() for c in import_corpus("multiwoz21", DATA)])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    raw_wall, raw_cpu, n = _best(_raw, args.repeat)
    sim_wall, sim_cpu, n_sim = _best(_simulacra, args.repeat)
    out_wall, out_cpu, _ = _best(_simulacra_write, args.repeat)
    assert n == n_sim == 999, (n, n_sim)
    write_result(
        "import_throughput",
        value=round(n / sim_wall, 1),
        unit="conversations/s (MultiWOZ 2.1 val, 999 dialogues, 14,730 turns)",
        ratio=round(sim_wall / raw_wall, 2),
        goal="report: Simulacra import time / raw json.load time of the same file",
        model="none (no model; corpus import)",
        goal_met=None,
        code_paths=[
            "benchmarks/import_throughput.py",
            "src/simulacra/datasets/_adapters.py",
            "src/simulacra/datasets/_multiwoz_adapter.py",
            "src/simulacra/datasets/_multiwoz.py",
            "src/simulacra/datasets/_corpus.py",
            "src/simulacra/conversation.py",
        ],
        details={
            "file": "shared/data/multiwoz21/val.json.zip",
            "conversations": n,
            "repeat": args.repeat,
            "raw_json_load_s": round(raw_wall, 4),
            "simulacra_import_s": round(sim_wall, 4),
            "simulacra_import_and_serialise_s": round(out_wall, 4),
            "raw_conversations_per_s": round(n / raw_wall, 1),
            "serialise_conversations_per_s": round(n / out_wall, 1),
            "cpu_ratio": round(sim_cpu / raw_cpu, 2),
            "cpu_seconds": {
                "raw": round(raw_cpu, 4),
                "simulacra": round(sim_cpu, 4),
                "simulacra_and_serialise": round(out_cpu, 4),
            },
        },
    )


if __name__ == "__main__":
    main()
