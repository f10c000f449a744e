"""Conversations per hour of the embedded model on its three engines, at 1-8 conversations in flight.

The quick-start config (``examples/quickstart.yaml``: goal-state user behind the validity gate,
hotel-booking assistant on the same embedded model, two profiles) is scaled to more scenarios
(the hotel-booking goals below; 8 scenarios x 2 profiles = 16 conversations by default) and run
through the real runner (``execute_run``) with ``execution.max_conversations`` set per
measurement, the call cache off:

- **single**: today's engine (``engine: single``, one llama.cpp context per role, calls
  serialised) at concurrency 1, its default and best setting (the baseline);
- **server**: the managed ``llama-server`` (``engine: server``, one process for both roles,
  ``n_slots`` = 4 x concurrency: a slot per conversation, role and prompt family);
- **batched**: the in-process batch engine (``engine: batched``, ``n_slots`` = 4 x concurrency).

Each measurement runs in its own subprocess (fresh model; peak RSS of the Python process and, for
the server, of the ``llama-server`` child). The plan brackets the others with two single runs so
load drift hits both sides. Wall time is first conversation start to last conversation end.
Re-evaluation per call: the prompt tokens llama.cpp computed / the call's new tokens (its prompt
minus the previous prompt of the same conversation and role, i.e. the tokens after their longest
common prefix: the least any prefix cache must compute; a first call's whole prompt is new).

Run: python benchmarks/embedded_concurrency.py [--scenarios 8] [--max-turns 4]
     [--plan single:1,server:1,server:2,server:4,server:8,batched:4,single:1] [--threads N]
Writes benchmarks/results/embedded_concurrency.json (value = the best new-engine conversations
per hour, ratio = that / single's mean conversations per hour).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from _common import ROOT, write_result

GOALS = [
    "Book a double room for two nights from 12 to 14 March, for less than 150 EUR a night.",
    "Book a single room for one night on 3 April and ask whether breakfast is included.",
    "Book two double rooms for a family from 20 to 23 May and ask for adjoining rooms.",
    "Change an existing booking under the name Silva from 5 June to 7 June.",
    "Ask the price of a double room for a week in August and book it if under 1000 EUR.",
    "Book a single room from 1 to 4 October and ask for a late check-out on the last day.",
    "Cancel a booking for 18 November under the name Costa and ask whether it is free.",
    "Book a double room for New Year's Eve and ask if the hotel is near the fireworks.",
]


def _config(args: argparse.Namespace, engine: str, concurrency: int, scenarios: int) -> Any:
    from simulacra.runs import parse_config

    data = yaml.safe_load((ROOT / "examples" / "quickstart.yaml").read_text())
    data["scenarios"] = [{"id": f"s{i}", "goal": g} for i, g in enumerate(GOALS[:scenarios])]
    data["stop"] = {"max_turns": args.max_turns}
    data["execution"] = {"max_conversations": concurrency}
    data["cache"] = {"enabled": False}
    for role, tokens in (("user", args.user_max_tokens), ("target", args.target_max_tokens)):
        spec = data["models"][role]
        spec.update(model=f"embedded:{args.tier}", engine=engine, n_threads=args.threads)
        spec["max_tokens"] = tokens
        if engine in ("batched", "server"):
            spec["n_slots"] = 4 * concurrency
    return parse_config(
        data, source="examples/quickstart.yaml (scaled)", base_dir=ROOT / "examples"
    )


def _tokenizer(tier: str) -> Any:
    """Chat messages -> prompt tokens as the engines see them (a vocabulary-only load)."""
    import llama_cpp
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from simulacra.models import CATALOGUE, resolve_gguf

    llm = llama_cpp.Llama(str(resolve_gguf(CATALOGUE[tier])), vocab_only=True, verbose=False)
    text = llm._model.token_get_text
    fmt = Jinja2ChatFormatter(
        template=llm.metadata["tokenizer.chat_template"],
        eos_token=text(llm.token_eos()),
        bos_token=text(llm.token_bos()),
    )

    def tokenize(messages: list[dict[str, str]]) -> list[int]:
        chat: Any = [{"role": m["role"], "content": m["content"]} for m in messages]
        prompt = fmt(messages=chat).prompt.encode("utf-8")
        return list(llm.tokenize(prompt, add_bos=False, special=True))

    return tokenize


def child(args: argparse.Namespace) -> None:
    """One measurement (in its own process): run the config, print one JSON line."""
    from simulacra.runs import execute_run

    engine, concurrency, scenarios = args.child[0], int(args.child[1]), int(args.child[2])
    config = _config(args, engine, concurrency, scenarios)
    with tempfile.TemporaryDirectory() as tmp:
        result = asyncio.run(execute_run(config, output_dir=Path(tmp)))
        convs = [json.loads(line) for line in (result.directory / "conversations.jsonl").open()]
    tokenize = _tokenizer(args.tier)
    start = min(c["started_at"] for c in convs)
    end = max(c["ended_at"] for c in convs)
    rows = []
    for c in convs:
        previous: dict[str, list[int]] = {}
        for call in sorted(c["model_calls"], key=lambda k: k["started_at"]):
            usage = call.get("usage") or {}
            tokens = tokenize(call["messages"])
            before = previous.get(call["role"], [])
            common = 0
            for x, y in zip(before, tokens, strict=False):
                if x != y:
                    break
                common += 1
            previous[call["role"]] = tokens
            rows.append(
                {
                    "prompt": int(usage.get("prompt_tokens", 0)),
                    "new": len(tokens) - min(common, len(tokens) - 1),
                    "evaluated": int(usage.get("prompt_tokens_evaluated", 0)),
                    "completion": int(usage.get("completion_tokens", 0)),
                }
            )
    wall = end - start
    completion = sum(r["completion"] for r in rows)
    evaluated = sum(r["evaluated"] for r in rows)
    new = sum(r["new"] for r in rows)
    out = {
        "engine": engine,
        "concurrency": concurrency,
        "conversations": len(convs),
        "turns": sum(len(c["turns"]) for c in convs),
        "errors": sum(1 for c in convs if c.get("error")),
        "calls": len(rows),
        "wall_s": round(wall, 2),
        "conversations_per_hour": round(len(convs) / wall * 3600, 2),
        "completion_tokens_per_s": round(completion / wall, 2),
        "prompt_tokens": sum(r["prompt"] for r in rows),
        "prompt_tokens_evaluated": evaluated,
        "new_prompt_tokens": new,
        "completion_tokens": completion,
        "share_prompt_reevaluated": round(evaluated / max(1, sum(r["prompt"] for r in rows)), 3),
        "evaluated_per_new_token": round(evaluated / max(1, new), 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        # The llama-server child (terminated and reaped when the run closed its models).
        "peak_rss_children_mib": round(
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
        ),
        "load_avg_1m_end": round(os.getloadavg()[0], 2),
    }
    if args.rows:
        for r in rows:
            print(r)
    print("RESULT " + json.dumps(out), flush=True)


def _measure(args: argparse.Namespace, engine: str, concurrency: int, scenarios: int) -> Any:
    cmd = [sys.executable, __file__, "--child", engine, str(concurrency), str(scenarios)]
    for flag in ("tier", "max_turns", "user_max_tokens", "target_max_tokens", "threads"):
        cmd += [f"--{flag.replace('_', '-')}", str(getattr(args, flag))]
    load = os.getloadavg()[0]
    t0 = time.time()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    lines = [x for x in proc.stdout.splitlines() if x.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{engine} x{concurrency} failed:\n{proc.stderr[-3000:]}")
    row = json.loads(lines[-1][7:])
    row["load_avg_1m_start"] = round(load, 2)
    row["process_s"] = round(time.time() - t0, 1)
    print(json.dumps(row), flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tier", default="default")
    parser.add_argument("--scenarios", type=int, default=8)
    parser.add_argument("--max-turns", type=int, default=4)
    parser.add_argument("--user-max-tokens", type=int, default=32)
    parser.add_argument("--target-max-tokens", type=int, default=48)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--plan", default="single:1,server:1,server:2,server:4,server:8,batched:4,single:1"
    )
    parser.add_argument("--rows", action="store_true", help="child: print every call")
    parser.add_argument("--child", nargs=3, metavar=("ENGINE", "CONCURRENCY", "SCENARIOS"))
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    plan = [(e, int(c)) for e, c in (step.split(":") for step in args.plan.split(","))]
    rows = [_measure(args, engine, c, args.scenarios) for engine, c in plan]
    single = [r for r in rows if r["engine"] == "single"]
    others = [r for r in rows if r["engine"] != "single"]
    single_cph = sum(r["conversations_per_hour"] for r in single) / len(single)
    best = max(others, key=lambda r: r["conversations_per_hour"])
    ratio = best["conversations_per_hour"] / single_cph
    reeval_ok = all(r["evaluated_per_new_token"] <= 1.1 for r in others)
    per_engine = {
        engine: {
            str(r["concurrency"]): r["conversations_per_hour"]
            for r in rows
            if r["engine"] == engine
        }
        for engine in dict.fromkeys(r["engine"] for r in rows)
    }
    write_result(
        "embedded_concurrency",
        value=best["conversations_per_hour"],
        unit="conversations/hour",
        ratio=round(ratio, 3),
        goal=(
            ">= 2x today's best conversations/hour (engine: single at 1 in flight), and prompt "
            "tokens evaluated <= 1.1x the new turn's tokens at every concurrency"
        ),
        goal_met=ratio >= 2.0 and reeval_ok,
        code_paths=[
            "benchmarks/embedded_concurrency.py",
            "src/simulacra/models/_batch_engine.py",
            "src/simulacra/models/_embedded_batched.py",
            "src/simulacra/models/_embedded.py",
            "src/simulacra/models/_llama_server.py",
            "src/simulacra/models/_llama_process.py",
            "examples/quickstart.yaml",
        ],
        model=f"embedded:{args.tier}",
        details={
            "protocol": (
                f"examples/quickstart.yaml scaled to {args.scenarios} scenarios x 2 profiles = "
                f"{2 * args.scenarios} conversations per measurement, max_turns "
                f"{args.max_turns}, max_tokens user {args.user_max_tokens} / target "
                f"{args.target_max_tokens}, call cache off, n_threads {args.threads}; "
                "each measurement a fresh subprocess; order "
                + " ".join(f"{e}x{c}" for e, c in plan)
            ),
            "single_conversations_per_hour_mean": round(single_cph, 2),
            "best": {"engine": best["engine"], "concurrency": best["concurrency"]},
            "conversations_per_hour": per_engine,
            "reevaluation_goal_met": reeval_ok,
            "measurements": rows,
        },
    )


if __name__ == "__main__":
    main()
