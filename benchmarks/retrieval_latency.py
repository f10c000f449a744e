"""Retrieval latency per user turn (BM25 and dense, 10k / 100k passages) and end-to-end turn
latency of a prompted user on the embedded model with and without always-on retrieval.

Passages are real MultiWOZ 2.1 exchanges (val + test, "Assistant: ... / User: ..."), repeated
with a suffix to reach 100k. Dense at 100k: MiniLM embeddings of the 10k passages are computed
once and tiled to 100k (the search cost is what is measured; embedding 100k passages on 2 CPU
cores is not). Queries: 50 real system turns. Run: python benchmarks/retrieval_latency.py
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import write_result

from simulacra import Conversation, ParticipantInfo, ParticipantKind, Turn
from simulacra.memory import BM25Retriever, DenseRetriever, Passage, load_corpus

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multiwoz21"


def _ms(fn, queries: list[str]) -> float:  # type: ignore[no-untyped-def]
    times = []
    for q in queries:
        t = time.perf_counter()
        fn(q, 3)
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def retrieval() -> dict[str, float]:
    base = load_corpus(DATA / "val.json.zip") + load_corpus(DATA / "test.json.zip")
    queries = [p.text.split(" / User: ")[0].removeprefix("Assistant: ") for p in base[::300][:50]]
    out: dict[str, float] = {}
    for n in (10_000, 100_000):
        passages = [
            Passage(id=f"{i}", text=base[i % len(base)].text + ("" if i < len(base) else f" #{i}"))
            for i in range(n)
        ]
        t = time.perf_counter()
        bm25 = BM25Retriever(passages)
        out[f"bm25_index_s_{n}"] = time.perf_counter() - t
        out[f"bm25_ms_{n}"] = _ms(bm25.search, queries)
    t = time.perf_counter()
    dense = DenseRetriever(passages[:10_000])
    out["dense_embed_s_10000"] = time.perf_counter() - t
    out["dense_ms_10000"] = _ms(dense.search, queries)
    assert dense._matrix is not None
    dense.passages = passages
    dense._matrix = np.tile(dense._matrix, (10, 1))
    out["dense_ms_100000_precomputed"] = _ms(dense.search, queries)
    return out


async def turns(n: int = 4) -> dict[str, float]:
    from simulacra.memory import BM25Retriever as B
    from simulacra.models import GenerateConfig, ModelSpec, get_model
    from simulacra.participants import AugmentedUser, PromptedUser, RetrievalStage

    model = get_model(ModelSpec(model="embedded:tiny", max_tokens=24), role="user")
    kb = B(load_corpus(DATA / "val.json.zip", limit=10_000))
    system = [
        "Hello, how can I help you today?",
        "What area of town would you like to stay in?",
        "How many people and for which day?",
        "Which price range do you prefer?",
    ]
    out: dict[str, float] = {}
    for label, use in (("plain", False), ("retrieval", True)):
        times = []
        for i in range(n):
            c = Conversation(
                participants=[
                    ParticipantInfo(id="user", name="User", kind=ParticipantKind.SIMULATED_HUMAN),
                    ParticipantInfo(id="a", name="Assistant", kind=ParticipantKind.AI_SYSTEM),
                ]
            )
            c.append(Turn(speaker="a", utterance=system[i % len(system)]))
            inner = PromptedUser(model, goal="Book a cheap hotel.", config=GenerateConfig(seed=i))
            user = AugmentedUser(inner, stages=[RetrievalStage(kb, k=2)] if use else [])
            t = time.perf_counter()
            await user.respond(c.view_for("user"))
            times.append(time.perf_counter() - t)
        out[f"turn_s_{label}"] = statistics.median(times)
    await model.aclose()
    return out


def main() -> None:
    details = retrieval()
    details.update(asyncio.run(turns()))
    ratio = details["turn_s_retrieval"] / details["turn_s_plain"]
    write_result(
        "retrieval_latency",
        value=round(details["bm25_ms_100000"], 2),
        unit="ms per turn (BM25, 100k passages, median)",
        ratio=round(ratio, 3),
        goal="retrieval adds little to a user turn: BM25 at 100k passages well under 100 ms; "
        "ratio = turn latency with / without always-on retrieval (embedded:tiny)",
        model="embedded:tiny (turns); all-MiniLM-L6-v2 (dense)",
        goal_met=details["bm25_ms_100000"] < 100,
        code_paths=[
            "benchmarks/retrieval_latency.py",
            "src/simulacra/memory",
            "src/simulacra/participants/_augmented.py",
            "src/simulacra/participants/_simulated_user.py",
        ],
        details={k: round(v, 4) for k, v in details.items()},
    )


if __name__ == "__main__":
    main()
