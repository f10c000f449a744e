"""Small user-LM recipe (survey §5.3): LoRA-fine-tune SmolLM2-135M-Instruct (the embedded tiny
model, dequantised from its GGUF) on REAL MultiWOZ 2.1 user turns, and compare the held-out
perplexity of real user turns: base vs trained.

Train: the first ``--dialogues`` dialogues of MultiWOZ 2.1 ``val``; held out: the first
``--held-out`` dialogues of ``test`` (disjoint splits). Both are exported with
:func:`simulacra.datasets._export.chat_examples` (the simulated user's side: user turns are the
``assistant`` targets, the system prompt is the one a PromptedUser gets at run time). Writes
``benchmarks/results/user_lm_recipe.json``: value = held-out perplexity of the trained model,
ratio = trained / base, with a bootstrap 95% CI over held-out dialogues, and the loss curve.

    .venv/bin/python benchmarks/user_lm_recipe.py            # about 20 min on a busy 2-core CPU
"""

from __future__ import annotations

import argparse
import math
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

# On a shared CPU, OpenMP threads that spin while waiting slow everyone down (this one too).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import write_result

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "multiwoz21"


def _ratio_ci(
    base: list[tuple[float, int]], tuned: list[tuple[float, int]], seed: int = 0, n_boot: int = 2000
) -> tuple[float, float]:
    """Paired bootstrap over dialogues of the perplexity ratio trained / base."""
    rng = random.Random(seed)
    idx = range(len(base))
    ratios = []
    for _ in range(n_boot):
        pick = [rng.choice(idx) for _ in idx]
        n = sum(base[i][1] for i in pick)
        ratios.append(
            math.exp((sum(tuned[i][0] for i in pick) - sum(base[i][0] for i in pick)) / n)
        )
    ratios.sort()
    return ratios[int(0.025 * n_boot)], ratios[int(0.975 * n_boot) - 1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dialogues", type=int, default=160)
    ap.add_argument("--held-out", type=int, default=40)
    ap.add_argument("--epochs", type=float, default=1.0)
    ap.add_argument("--max-steps", type=int, default=None)
    ap.add_argument("--max-length", type=int, default=384)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch-size", type=int, default=2)
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--output", type=Path, default=None, help="Keep the adapter here.")
    args = ap.parse_args()

    from simulacra.datasets._export import chat_examples, write_jsonl
    from simulacra.datasets._multiwoz_adapter import read_multiwoz
    from simulacra.training._config import TrainConfig
    from simulacra.training._data import read_sft_jsonl
    from simulacra.training._output import PROVENANCE, write_json
    from simulacra.training._perplexity import user_turn_nll
    from simulacra.training._trainers import build_sft_trainer

    t0 = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="user_lm_recipe-"))
    train_file, test_file = work / "train.jsonl", work / "test.jsonl"
    n_train = write_jsonl(
        chat_examples(read_multiwoz(DATA / "val.json.zip", limit=args.dialogues)), train_file
    )
    n_test = write_jsonl(
        chat_examples(read_multiwoz(DATA / "test.json.zip", limit=args.held_out)), test_file
    )
    out = args.output or work / "adapter"
    config = TrainConfig(
        base="embedded:tiny",
        data=train_file,
        output=out,
        overwrite=True,
        learning_rate=args.lr,
        epochs=args.epochs,
        max_steps=args.max_steps,
        batch_size=args.batch_size,
        max_length=args.max_length,
        threads=args.threads,
        seed=0,
        kind="sft",
        lora={"r": 16, "alpha": 32},
    )
    out.mkdir(parents=True, exist_ok=True)
    trainer, base, log, _ = build_sft_trainer(config, out)
    held_out = read_sft_jsonl(test_file)
    model, tok = trainer.model, base.tokenizer
    t_eval = time.perf_counter()
    with model.disable_adapter():
        b_total, b_n, b_conv = user_turn_nll(model.eval(), tok, held_out, args.max_length)
    eval_s = time.perf_counter() - t_eval
    t_train = time.perf_counter()
    trainer.train()
    train_s = time.perf_counter() - t_train
    t_total, t_n, t_conv = user_turn_nll(model.eval(), tok, held_out, args.max_length)
    trainer.model.save_pretrained(out)
    tok.save_pretrained(out)
    # enough provenance for transformers:OUT and `simulacra train export OUT`
    write_json(out / PROVENANCE, {"kind": "sft", "base": base.spec, "base_facts": base.facts,
                                  "data": {"path": str(train_file), "rows": n_train}})  # fmt: skip
    base_ppl, tuned_ppl = math.exp(b_total / b_n), math.exp(t_total / t_n)
    low, high = _ratio_ci(b_conv, t_conv)
    losses = [round(s["loss"], 4) for s in log.steps]
    shutil.rmtree(work, ignore_errors=True)  # the exported JSONL (and the adapter without --output)
    write_result(
        "user_lm_recipe",
        value=round(tuned_ppl, 3),
        unit="held-out perplexity of real MultiWOZ user turns (trained SmolLM2-135M + LoRA)",
        ratio=round(tuned_ppl / base_ppl, 4),
        goal="ratio < 1: fine-tuning on real user turns makes real user turns more likely",
        goal_met=high < 1,
        model="SmolLM2-135M-Instruct (embedded:tiny GGUF Q4_1, dequantised to F32) + LoRA r=16",
        code_paths=[
            "benchmarks/user_lm_recipe.py",
            "src/simulacra/datasets/_export.py",
            "src/simulacra/datasets/_multiwoz_adapter.py",
            "src/simulacra/training/_config.py",
            "src/simulacra/training/_data.py",
            "src/simulacra/training/_perplexity.py",
            "src/simulacra/training/_trainers.py",
        ],
        details={
            "base_perplexity": round(base_ppl, 3),
            "trained_perplexity": round(tuned_ppl, 3),
            "ratio_ci95": [round(low, 4), round(high, 4)],
            "held_out": {"source": "MultiWOZ 2.1 test", "dialogues": n_test, "target_tokens": t_n},
            "train": {
                "source": "MultiWOZ 2.1 val",
                "dialogues": n_train,
                "epochs": args.epochs,
                "steps": trainer.state.global_step,
                "batch_size": args.batch_size,
                "learning_rate": args.lr,
                "max_length": args.max_length,
                "lora": {"r": 16, "alpha": 32, "targets": "all 7 projections"},
            },
            "train_seconds": round(train_s, 1),
            "eval_seconds_per_pass": round(eval_s, 1),
            "total_seconds": round(time.perf_counter() - t0, 1),
            "threads": args.threads,
            "loss_curve": losses,
        },
    )


if __name__ == "__main__":
    main()
