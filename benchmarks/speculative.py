"""Speculative decoding on the server engine, and Simulacra vs raw llama-server.

Two measurements on the same prompts (temperature 0, fixed seed, fixed ``max_tokens``), each
server started alone (they never run at the same time):

1. **speculative** — ``engine: server`` with ``draft: embedded:small`` (Qwen2.5-Coder-0.5B drafts
   for the 1.5B default) vs the same server without a draft: decode tokens/s (llama.cpp's own
   ``predicted_per_second``), end-to-end tokens/s, the draft acceptance rate
   (``draft_n_accepted / draft_n``) and whether the texts are identical (they must be at
   temperature 0: the target model verifies every drafted token).
2. **server_throughput** (the issue's ``embedded_throughput`` against the new engine) —
   Simulacra's ``Model.generate`` on ``engine: server`` vs a bare client posting the same chat to
   the same ``llama-server`` process's ``/v1/chat/completions`` (what one would do without
   Simulacra), alternating prompt by prompt (A B A B ...), one warm-up each; end-to-end
   completion tokens / wall time.

Prompts: five general chat prompts and three simulated-user turns (a persona system prompt and a
short dialogue history, as the runner sends them).

Run: python benchmarks/speculative.py [--repeats 2] [--max-tokens 96] [--threads N]
Writes benchmarks/results/speculative.json (value = decode tokens/s with the draft, ratio = that /
without) and benchmarks/results/server_throughput.json (value = Simulacra tokens/s, ratio =
Simulacra / raw).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import time
import urllib.request
from typing import Any

from _common import write_result

from simulacra.models import (
    CATALOGUE,
    ChatMessage,
    GenerateConfig,
    Model,
    ServerEmbeddedAPI,
    get_model,
    resolve_gguf,
)
from simulacra.models._engine_select import draft_path
from simulacra.models._llama_process import DRAFT_MAX

SEED = 1
#: Draft lengths tried (``--spec-draft-n-max`` of the server; 3 is llama.cpp's default).
DRAFT_LENGTHS = (3, 8)
GENERAL = [
    "Explain in a few sentences what a hash map is.",
    "Write a short, friendly email asking a colleague to review my pull request.",
    "Give me three tips for sleeping better.",
    "What is the difference between a list and a tuple in Python?",
    "Describe a sunset over the sea to someone who has never seen one.",
]
USER_SYSTEM = (
    "You are playing a customer talking to a hotel's booking assistant. You are Maya, a nurse "
    "from Porto who works night shifts and is in a hurry. Your goal: book a double room for two "
    "nights from 12 to 14 March, for less than 150 EUR a night. Say one thing at a time, in one "
    "or two short sentences, as a real customer would. Never act as the assistant."
)
HISTORY = [
    "Hello! Welcome to Casa Azul. How can I help you today?",
    "Hi, I need a double room for two nights.",
    "Certainly. For which dates would you like to stay?",
    "From 12 to 14 March. What does it cost?",
    "A double room is 130 EUR per night, breakfast included. May I have your name?",
]


def _prompts() -> list[list[ChatMessage]]:
    prompts = [[ChatMessage(role="user", content=p)] for p in GENERAL]
    for cut in (1, 3, 5):  # the user's turn after each assistant turn
        # The simulator sees the assistant's turns as "user" and its own as "assistant".
        turns = [
            ChatMessage(role="user" if i % 2 == 0 else "assistant", content=t)
            for i, t in enumerate(HISTORY[:cut])
        ]
        prompts.append([ChatMessage(role="system", content=USER_SYSTEM), *turns])
    return prompts


def _server_model(
    threads: int, max_tokens: int, draft: str | None = None, draft_max: int | None = None
) -> Model:
    """``embedded:default`` on ``engine: server`` with one slot (and a draft of ``draft_max``)."""
    if draft is None:
        spec = {
            "model": "embedded:default",
            "engine": "server",
            "n_slots": 1,
            "n_threads": threads,
            "temperature": 0,
            "max_tokens": max_tokens,
            "seed": SEED,
        }
        return get_model(spec, role="user")
    api = ServerEmbeddedAPI(
        resolve_gguf(CATALOGUE["default"]),
        name="embedded:default",
        n_ctx=CATALOGUE["default"].n_ctx,
        n_threads=threads,
        n_slots=1,
        draft=draft_path(draft),
        draft_max=draft_max or DRAFT_MAX,
    )
    config = GenerateConfig(temperature=0, max_tokens=max_tokens, seed=SEED)
    return Model(api, role="user", config=config)


def _post(url: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request) as resp:  # loopback
        data: dict[str, Any] = json.load(resp)
    return data


def _decode_run(api: ServerEmbeddedAPI, messages: list[ChatMessage], max_tokens: int) -> Any:
    body = api.request_body(messages, GenerateConfig(temperature=0, max_tokens=max_tokens))
    body["seed"] = SEED
    body["cache_prompt"] = False  # every prompt evaluated alike on both sides
    t0 = time.perf_counter()
    data = _post(f"{api.server.base_url}/completion", body)
    wall = time.perf_counter() - t0
    timings = data["timings"]
    return {
        "text": data["content"],
        "completion_tokens": int(data["tokens_predicted"]),
        "wall_s": wall,
        "decode_tokens_per_s": float(timings["predicted_per_second"]),
        "predicted_ms": float(timings["predicted_ms"]),
        "draft_n": int(timings.get("draft_n", 0)),
        "draft_n_accepted": int(timings.get("draft_n_accepted", 0)),
    }


def speculative(args: argparse.Namespace, prompts: list[list[ChatMessage]]) -> dict[str, Any]:
    """No draft, the draft at each draft length, no draft again."""
    sides: dict[str, list[dict[str, Any]]] = {}
    plan: list[tuple[str, str | None, int | None]] = [
        ("no_draft", None, None),
        *((f"draft_{n}", "embedded:small", n) for n in DRAFT_LENGTHS),
        ("no_draft_2", None, None),
    ]
    for key, draft, draft_max in plan:
        model = _server_model(args.threads, args.max_tokens, draft, draft_max)
        api = model.api
        assert isinstance(api, ServerEmbeddedAPI)
        try:
            _decode_run(api, prompts[0], args.max_tokens)  # warm-up
            sides[key] = [
                _decode_run(api, p, args.max_tokens) for _ in range(args.repeats) for p in prompts
            ]
        finally:
            asyncio.run(model.aclose())
        print(f"{key}: decode {_decode_rate(sides[key]):.2f} tok/s", flush=True)
    base = sides["no_draft"] + sides["no_draft_2"]
    base_rate = _decode_rate(base)
    n = len(prompts) * args.repeats
    by_length = {}
    for n_max in DRAFT_LENGTHS:
        runs = sides[f"draft_{n_max}"]
        drafted = sum(r["draft_n"] for r in runs)
        accepted = sum(r["draft_n_accepted"] for r in runs)
        by_length[str(n_max)] = {
            "decode_tokens_per_s": round(_decode_rate(runs), 2),
            "end_to_end_tokens_per_s": round(_e2e_rate(runs), 2),
            "ratio": round(_decode_rate(runs) / base_rate, 3),
            "acceptance_rate": round(accepted / drafted, 3) if drafted else None,
            "drafted_tokens": drafted,
            "accepted_tokens": accepted,
            "identical_texts": sum(
                runs[i]["text"] == sides["no_draft"][i]["text"] for i in range(n)
            ),
        }
    best = max(by_length, key=lambda k: by_length[k]["decode_tokens_per_s"])
    return {
        "no_draft_decode_tokens_per_s": {
            "before": round(_decode_rate(sides["no_draft"]), 2),
            "after": round(_decode_rate(sides["no_draft_2"]), 2),
        },
        "no_draft_end_to_end_tokens_per_s": round(_e2e_rate(base), 2),
        "by_draft_length": by_length,
        "best_draft_length": int(best),
        "best": by_length[best],
        "texts_compared": n,
        "identical": all(v["identical_texts"] == n for v in by_length.values()),
    }


def _decode_rate(runs: list[dict[str, Any]]) -> float:
    return sum(r["completion_tokens"] for r in runs) / sum(r["predicted_ms"] for r in runs) * 1e3


def _e2e_rate(runs: list[dict[str, Any]]) -> float:
    return sum(r["completion_tokens"] for r in runs) / sum(r["wall_s"] for r in runs)


async def throughput(args: argparse.Namespace, prompts: list[list[ChatMessage]]) -> dict[str, Any]:
    model = _server_model(args.threads, args.max_tokens, None)
    api = model.api
    assert isinstance(api, ServerEmbeddedAPI)
    url = f"{api.server.base_url}/v1/chat/completions"

    def raw(messages: list[ChatMessage]) -> dict[str, Any]:
        body = {
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "max_tokens": args.max_tokens,
            "temperature": 0,
            "seed": SEED,
            # The sampling Simulacra sends (llama-cpp-python's defaults), so the texts compare.
            "top_k": 40,
            "top_p": 0.95,
            "min_p": 0.05,
            "repeat_penalty": 1.1,
            "repeat_last_n": 64,
        }
        t0 = time.perf_counter()
        data = _post(url, body)
        return {
            "wall_s": time.perf_counter() - t0,
            "completion_tokens": int(data["usage"]["completion_tokens"]),
            "text": data["choices"][0]["message"]["content"] or "",
        }

    async def sim(messages: list[ChatMessage]) -> dict[str, Any]:
        t0 = time.perf_counter()
        out = await model.generate(messages)
        return {
            "wall_s": time.perf_counter() - t0,
            "completion_tokens": out.usage.completion_tokens,
            "text": out.text,
        }

    try:
        raw(prompts[0])
        await sim(prompts[0])
        raw_runs: list[dict[str, Any]] = []
        sim_runs: list[dict[str, Any]] = []
        for rep in range(args.repeats):
            for i, p in enumerate(prompts):
                if (rep + i) % 2 == 0:
                    raw_runs.append(await asyncio.to_thread(raw, p))
                    sim_runs.append(await sim(p))
                else:
                    sim_runs.append(await sim(p))
                    raw_runs.append(await asyncio.to_thread(raw, p))
    finally:
        await model.aclose()

    def rate(runs: list[dict[str, Any]]) -> float:
        return sum(r["completion_tokens"] for r in runs) / sum(r["wall_s"] for r in runs)

    pairs = [
        (s["completion_tokens"] / s["wall_s"]) / (r["completion_tokens"] / r["wall_s"])
        for r, s in zip(raw_runs, sim_runs, strict=True)
        if r["completion_tokens"] and s["completion_tokens"]
    ]
    same = sum(r["text"] == s["text"] for r, s in zip(raw_runs, sim_runs, strict=True))
    return {
        "simulacra_tokens_per_s": round(rate(sim_runs), 2),
        "raw_tokens_per_s": round(rate(raw_runs), 2),
        "ratio": rate(sim_runs) / rate(raw_runs),
        "paired_ratio_median": round(statistics.median(pairs), 3),
        "identical_texts": f"{same}/{len(raw_runs)}",
        "completion_tokens": {
            "simulacra": sum(r["completion_tokens"] for r in sim_runs),
            "raw": sum(r["completion_tokens"] for r in raw_runs),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", choices=["speculative", "throughput"])
    args = parser.parse_args()
    prompts = _prompts()
    files = [resolve_gguf(CATALOGUE["default"]), resolve_gguf(CATALOGUE["small"])]
    common = {
        "prompts": len(prompts),
        "repeats": args.repeats,
        "max_tokens": args.max_tokens,
        "n_threads": args.threads,
        "temperature": 0,
    }
    code = [
        "benchmarks/speculative.py",
        "src/simulacra/models/_llama_server.py",
        "src/simulacra/models/_llama_process.py",
    ]
    if args.only != "throughput":
        spec = speculative(args, prompts)
        print(json.dumps(spec, indent=1), flush=True)
        write_result(
            "speculative",
            value=spec["best"]["decode_tokens_per_s"],
            unit="decode tokens/s",
            ratio=spec["best"]["ratio"],
            goal="> 1 (speculative decoding on by default only if it pays off), identical texts",
            goal_met=spec["best"]["ratio"] > 1.0 and spec["identical"],
            model="embedded:default (draft: embedded:small)",
            model_files=files,
            code_paths=code,
            details={
                **spec,
                **common,
                "method": "llama-server started per side (no draft; draft at each length "
                "(--spec-draft-n-max); no draft again), one slot, prompt cache off, "
                "1 warm-up per server; decode rate = completion tokens / llama.cpp's "
                "predicted_ms; ratio = draft / both no-draft runs; value and ratio = the best "
                "draft length",
            },
        )
    if args.only != "speculative":
        thr = asyncio.run(throughput(args, prompts))
        print(json.dumps(thr, indent=1), flush=True)
        write_result(
            "server_throughput",
            value=thr["simulacra_tokens_per_s"],
            unit="tokens/s",
            ratio=round(thr["ratio"], 3),
            goal="ratio >= 0.95 (Simulacra on engine: server vs a bare client of the same server)",
            goal_met=thr["ratio"] >= 0.95,
            model="embedded:default",
            model_files=files[:1],
            code_paths=code,
            details={
                **thr,
                **common,
                "method": "one llama-server, one slot; Simulacra's Model.generate vs a bare "
                "POST /v1/chat/completions, alternating per prompt, 1 warm-up each; "
                "completion tokens / wall time",
            },
        )


if __name__ == "__main__":
    main()
