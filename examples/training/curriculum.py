"""The prompt-to-fine-tune curriculum (survey §5.5) as one runnable pipeline.

    1. generate   `simulacra run` with a prompted simulated user (curriculum_run.yaml)
    2. filter     judge every user turn with RubricJudge (rubric user_realism) and keep the
                  conversations whose mean score reaches --threshold
    3. export     chat JSONL from the simulated user's side (simulacra.datasets._export)
    4. fine-tune  LoRA SFT on the kept conversations (simulacra.training)
    5. evaluate   perplexity of held-out user turns, base vs trained (plus real MultiWOZ
                  user turns with --real N)

Run (about 5 min on 2 CPU cores with the defaults: tiny model, tiny-random base):

    .venv/bin/python examples/training/curriculum.py --work runs/curriculum

and point a run at the result with `model: "transformers:runs/curriculum/adapter"`. Use
`--base embedded:tiny` to fine-tune SmolLM2-135M itself (slower, meaningful). A summary is
written to WORK/curriculum.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def generate(work: Path, config: Path) -> Path:
    """Stage 1: a real `simulacra run`; returns the run directory."""
    proc = subprocess.run(
        [sys.executable, "-m", "simulacra", "run", str(config), "-o", str(work / "runs"), "-q"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        sys.exit(f"simulacra run failed: {proc.stderr.strip().splitlines()[-1:]}")
    return Path(proc.stdout.strip().splitlines()[-1])


def judge(run_dir: Path, judge_model: str) -> dict[str, float]:
    """Stage 2a: mean user_realism score of each conversation's user turns."""
    from simulacra.evaluation import RubricJudge, conversation_items, load_rubric
    from simulacra.models import get_model
    from simulacra.runs import read_conversations

    conversations = list(read_conversations(run_dir))
    items = conversation_items(conversations, level="turn", side="user")
    rubric_judge = RubricJudge(get_model(judge_model, role="judge"), load_rubric("user_realism"))
    verdicts = asyncio.run(rubric_judge.judge(items))
    scores: dict[str, list[float]] = {}
    for v in verdicts:
        if v.overall is not None and v.conversation_id is not None:
            scores.setdefault(v.conversation_id, []).append(v.overall)
    return {cid: sum(s) / len(s) for cid, s in scores.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("runs/curriculum"))
    ap.add_argument("--config", type=Path, default=HERE / "curriculum_run.yaml")
    ap.add_argument("--run", type=Path, help="Reuse this run directory instead of generating.")
    ap.add_argument("--judge", default="embedded:tiny", help="Judge model spec.")
    ap.add_argument("--threshold", type=float, default=1.5, help="Keep mean score >= this (1-5).")
    ap.add_argument("--base", default="tiny-random")
    ap.add_argument("--max-steps", type=int, default=20)
    ap.add_argument("--held-out", type=float, default=0.25, help="Share of kept conversations.")
    ap.add_argument(
        "--real", type=int, default=0, help="Also score N real MultiWOZ test dialogues."
    )
    args = ap.parse_args()

    from simulacra.datasets._export import chat_examples, write_jsonl
    from simulacra.runs import read_conversations, read_run
    from simulacra.training._config import TrainConfig
    from simulacra.training._trainers import train_sft

    args.work.mkdir(parents=True, exist_ok=True)
    run_dir = args.run or generate(args.work, args.config)
    print(f"1 generate: {run_dir}")
    scores_file = args.work / f"scores-{run_dir.name}.json"
    if scores_file.is_file():  # judging is the slow part: judge a run once
        scores = json.loads(scores_file.read_text())
    else:
        scores = judge(run_dir, args.judge)
        scores_file.write_text(json.dumps(scores, indent=2) + "\n")
    shown = ", ".join(f"{v:.2f}" for v in sorted(scores.values()))
    print(f"   mean user_realism per conversation: {shown or 'none (judge failed)'}")
    kept = [c for c in read_conversations(run_dir) if scores.get(c.id, 0.0) >= args.threshold]
    print(
        f"2 filter:   {len(kept)} of {len(scores)} judged conversations score >= {args.threshold}"
    )
    if len(kept) < 4:
        sys.exit("too few conversations pass the threshold: lower --threshold or generate more")
    random.Random(0).shuffle(kept)
    n_held = max(1, round(len(kept) * args.held_out))
    manifest = read_run(run_dir)
    scenarios = {s["id"]: s for s in manifest.get("config", {}).get("scenarios", [])}
    train_file, held_file = args.work / "train.jsonl", args.work / "held_out.jsonl"
    n_train = write_jsonl(
        chat_examples(kept[n_held:], scenarios=scenarios, manifest=manifest), train_file
    )
    n_held = write_jsonl(
        chat_examples(kept[:n_held], scenarios=scenarios, manifest=manifest), held_file
    )
    print(f"3 export:   {n_train} train / {n_held} held-out rows")
    config = TrainConfig(
        base=args.base, data=train_file, eval_data=held_file, output=args.work / "adapter",
        overwrite=True, max_steps=args.max_steps, batch_size=2, learning_rate=2e-3, kind="sft",
    )  # fmt: skip
    result = train_sft(config)
    losses = [s["loss"] for s in result.steps]
    print(f"4 train:    {len(losses)} steps, loss {losses[0]:.3f} -> {losses[-1]:.3f}")
    print(f"5 evaluate: held-out user-turn perplexity base {result.base_eval_perplexity:.2f} "
          f"-> trained {result.eval_perplexity:.2f}")  # fmt: skip
    summary = {
        "run": str(run_dir), "judge": args.judge, "threshold": args.threshold,
        "scores": scores, "kept": len(kept), "train_rows": n_train, "held_out_rows": n_held,
        "adapter": str(result.output), "loss_curve": losses,
        "held_out_perplexity": {"base": result.base_eval_perplexity,
                                "trained": result.eval_perplexity},
    }  # fmt: skip
    if args.real:
        summary["real_multiwoz"] = real_perplexity(result.output, args.real)
        print(f"   real MultiWOZ user turns: {summary['real_multiwoz']}")
    (args.work / "curriculum.json").write_text(json.dumps(summary, indent=2) + "\n")


def real_perplexity(adapter: Path, n: int) -> dict[str, float]:
    """Perplexity of real MultiWOZ test user turns under base and trained model."""
    from simulacra.datasets._export import chat_examples
    from simulacra.datasets._multiwoz_adapter import read_multiwoz
    from simulacra.models._transformers import TransformersAPI, parse_transformers_target
    from simulacra.training._perplexity import user_turn_perplexity

    data = Path(__file__).resolve().parents[3] / "shared" / "data" / "multiwoz21" / "test.json.zip"
    rows = [r["messages"] for r in chat_examples(read_multiwoz(data, limit=n))]
    base, adapter_dir = parse_transformers_target(str(adapter))
    api = TransformersAPI(base, adapter=adapter_dir)
    trained = user_turn_perplexity(api.model, api.tokenizer, rows, 1024)
    with api.model.disable_adapter():
        untrained = user_turn_perplexity(api.model, api.tokenizer, rows, 1024)
    return {"base": untrained, "trained": trained, "dialogues": len(rows)}


if __name__ == "__main__":
    main()
