"""User-voice scorer: does a turn sound like the real user, or like the assistant/agent side?

Leave-one-corpus-out (LOCO): for each training corpus, fit the scorer on the *other* training
corpora and classify every sampled turn of the held-out one (user vs other side). Reported per
corpus: n, accuracy with a 95% Wilson interval, AUC, and two baselines under the same LOCO
protocol: a length-only logistic regression (log word count) and the majority class of the
training turns. Then the shipped model is fit on all training corpora and scored on MultiWOZ 2.1
**test** (never used for training or tuning), on a fixed seeded sample of it (the sample the
test suite re-scores), and on the two peer corpora as a diagnostic.

Training corpora (original files in ../shared/data, read through the corpus adapters):
MultiWOZ 2.1 **val**, Taskmaster (TM-4 data_07 + TM-1 sample), the ABCD sample, MovieBot, and
PersuasionForGood (persuadee = user, persuader = the other side: the persuader has a task to get
done, like an agent). CaSiNo and Topical-Chat are left out of training: both sides are peers with
the same role, so "which worker is called user" is not a user-vs-assistant label; they are only
scored as a diagnostic. AB-ReDial is not read: no corpus adapter fits its wide per-turn CSV.

Run: python benchmarks/user_voice.py [--limit 4000] [--seed 0] [--no-package]
Writes benchmarks/results/user_voice.json (value = mean LOCO accuracy, ratio = that ÷ the mean
LOCO accuracy of the length-only baseline) and, unless --no-package, the package data
src/simulacra/participants/data/user_voice.json (weights + card) that
UserVoiceScorer.default() loads. A rerun with the same corpora and scikit-learn reproduces it.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from _common import write_result

from simulacra.evaluation import wilson
from simulacra.participants._voice import UserVoiceScorer, VoiceExample, train_user_voice
from simulacra.participants._voice_data import voice_examples

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
PACKAGE = ROOT / "src" / "simulacra" / "participants" / "data" / "user_voice.json"

TRAIN: dict[str, list[tuple[str, str]]] = {
    "multiwoz21": [("multiwoz21", "multiwoz21/val.json.zip")],
    "taskmaster": [
        ("taskmaster", "taskmaster/TM-4-2024/data/data_07.json"),
        ("taskmaster", "taskmaster/TM-1-2019/sample.json"),
    ],
    "abcd": [("abcd", "abcd/data/abcd_sample.json")],
    "moviebot": [
        ("moviebot", "moviebot-usersimcrs/data/datasets/moviebot/annotated_dialogues.json")
    ],
    "persuasionforgood": [("persuasionforgood", "persuasionforgood/data/FullData/full_dialog.csv")],
}
PEERS: dict[str, list[tuple[str, str]]] = {
    "casino": [("casino", "casino/data/split")],
    "topical-chat": [("topical-chat", "topical-chat/conversations")],
}
TEST = [("multiwoz21", "multiwoz21/test.json.zip")]
LICENCES = {
    "multiwoz21": "MIT (MultiWOZ; ConvLab-2/3 packaging Apache-2.0)",
    "taskmaster": "CC BY 4.0",
    "abcd": "MIT",
    "moviebot": "Apache-2.0 (UserSimCRS)",
    "persuasionforgood": "Apache-2.0",
    "casino": "CC BY 4.0",
    "topical-chat": "CDLA-Sharing-1.0",
}
TEST_SAMPLE = {"limit": 2000, "seed": 0}
C = 1.0
MAX_FEATURES = 20_000
HAND_WRITTEN = {
    "assistant": [
        "Sure! I'd be happy to help you book a room. What dates?",
        "Is there anything else I can help you with?",
    ],
    "user": ["hi, i need a cheap hotel in the north", "yes please book it for 2 people"],
}


def auc(labels: Sequence[bool], scores: Sequence[float]) -> float:
    """ROC AUC (Mann-Whitney U with average ranks for ties)."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    pos = sum(labels)
    neg = len(labels) - pos
    if not pos or not neg:
        return float("nan")
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - pos * (pos + 1) / 2) / (pos * neg)


def evaluate(scorer: UserVoiceScorer, examples: Sequence[VoiceExample]) -> dict[str, Any]:
    scores = scorer.scores([e.text for e in examples])
    labels = [e.user for e in examples]
    correct = sum((s >= scorer.threshold) == y for s, y in zip(scores, labels, strict=True))
    est = wilson(correct, len(examples))
    return {
        "n": len(examples),
        "user": sum(labels),
        "other": len(labels) - sum(labels),
        "correct": correct,
        "accuracy": round(est.value, 4),
        "accuracy_95ci": [round(est.low, 4), round(est.high, 4)],
        "auc": round(auc(labels, scores), 4),
    }


def length_baseline(train: Sequence[VoiceExample], test: Sequence[VoiceExample]) -> float:
    """Accuracy of logistic regression on log(1 + word count) alone (balanced classes)."""
    from sklearn.linear_model import LogisticRegression

    def x(items: Sequence[VoiceExample]) -> list[list[float]]:
        return [[math.log1p(len(e.text.split()))] for e in items]

    model = LogisticRegression(class_weight="balanced").fit(x(train), [e.user for e in train])
    predicted = model.predict(x(test))
    return sum(bool(p) == e.user for p, e in zip(predicted, test, strict=True)) / len(test)


def majority_baseline(train: Sequence[VoiceExample], test: Sequence[VoiceExample]) -> float:
    """Accuracy of always answering the training turns' majority label."""
    label = sum(e.user for e in train) * 2 >= len(train)
    return sum(e.user == label for e in test) / len(test)


def load(specs: Sequence[tuple[str, str]], limit: int | None, seed: int) -> list[VoiceExample]:
    return voice_examples([(k, DATA / p) for k, p in specs], limit_per_corpus=limit, seed=seed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=4000, help="turns per corpus (seeded)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-package", action="store_true", help="do not rewrite package data")
    args = parser.parse_args()
    start = time.perf_counter()

    corpora = {name: load(specs, args.limit, args.seed) for name, specs in TRAIN.items()}
    loco: dict[str, dict[str, Any]] = {}
    for held in corpora:
        train = [e for name, items in corpora.items() if name != held for e in items]
        scorer = train_user_voice(train, C=C, max_features=MAX_FEATURES)
        row = evaluate(scorer, corpora[held])
        row["length_baseline_accuracy"] = round(length_baseline(train, corpora[held]), 4)
        row["majority_baseline_accuracy"] = round(majority_baseline(train, corpora[held]), 4)
        loco[held] = row
        print(f"held out {held}: {row}", flush=True)
    mean = sum(r["accuracy"] for r in loco.values()) / len(loco)
    mean_length = sum(r["length_baseline_accuracy"] for r in loco.values()) / len(loco)
    mean_majority = sum(r["majority_baseline_accuracy"] for r in loco.values()) / len(loco)

    everything = [e for items in corpora.values() for e in items]
    final = train_user_voice(everything, C=C, max_features=MAX_FEATURES)
    test_all = load(TEST, None, args.seed)
    test_result = evaluate(final, test_all)
    sample = load(TEST, TEST_SAMPLE["limit"], TEST_SAMPLE["seed"])
    sample_result = evaluate(final, sample)
    peers = {}
    for name, specs in PEERS.items():
        items = load(specs, args.limit, args.seed)
        scores = final.scores([e.text for e in items])
        sides = {}
        for side, flag in (("user", True), ("other", False)):
            mine = [s for s, e in zip(scores, items, strict=True) if e.user == flag]
            sides[side] = {
                "n": len(mine),
                "mean_score": round(sum(mine) / len(mine), 4),
                "scored_user": round(sum(s >= final.threshold for s in mine) / len(mine), 4),
            }
        peers[name] = {**sides, "auc_user_vs_other": round(auc([e.user for e in items], scores), 4)}
    hand = {
        kind: {t: round(final.score(t), 4) for t in texts} for kind, texts in HAND_WRITTEN.items()
    }

    files = {name: [p for _, p in specs] for name, specs in {**TRAIN, **PEERS}.items()}
    final.card.update(
        {
            "name": "simulacra user-voice scorer",
            "corpora": {
                name: {
                    "files": files[name],
                    "licence": LICENCES[name],
                    "use": "train" if name in TRAIN else "diagnostic only (peers on both sides)",
                }
                for name in files
            },
            "labels": (
                "user = the corpus's user/customer side (participant 'user' of the adapter); "
                "other = the assistant/agent/wizard/bot side; PersuasionForGood: persuadee = "
                "user, persuader = other. CaSiNo and Topical-Chat are not trained on (peers); "
                "AB-ReDial is not read (no adapter fits)."
            ),
            "sampling": f"at most {args.limit} turns per corpus, seed {args.seed}",
            "leave_one_corpus_out": {
                name: {k: r[k] for k in ("n", "accuracy", "accuracy_95ci", "auc")}
                for name, r in loco.items()
            },
            "leave_one_corpus_out_mean_accuracy": round(mean, 4),
            "multiwoz21_test": {k: test_result[k] for k in ("n", "accuracy", "auc")},
            "multiwoz21_test_sample": {
                "file": TEST[0][1],
                "limit_per_corpus": TEST_SAMPLE["limit"],
                "seed": TEST_SAMPLE["seed"],
                "n": sample_result["n"],
                "correct": sample_result["correct"],
                "accuracy": sample_result["accuracy"],
            },
            "benchmark": "benchmarks/user_voice.py -> benchmarks/results/user_voice.json",
        }
    )
    if not args.no_package:
        final.save(PACKAGE)
        print(f"wrote {PACKAGE} ({PACKAGE.stat().st_size / 1e6:.2f} MB)")
    elapsed = time.perf_counter() - start
    goal_met = mean >= 0.75 and all(
        r["accuracy"] > r["length_baseline_accuracy"] for r in loco.values()
    )
    write_result(
        "user_voice",
        value=round(mean, 4),
        unit="accuracy",
        ratio=round(mean / mean_length, 3),
        goal=(
            "tell real user turns from assistant/agent turns on a corpus never trained on "
            "(leave-one-corpus-out): mean accuracy >= 0.75 and above the length-only baseline "
            "on every held-out corpus"
        ),
        goal_met=goal_met,
        code_paths=[
            "benchmarks/user_voice.py",
            "src/simulacra/participants/_voice.py",
            "src/simulacra/participants/_voice_data.py",
        ],
        model="user-voice linear (this file)",
        details={
            "protocol": (
                "leave-one-corpus-out over the training corpora; "
                f"at most {args.limit} turns per corpus, seed {args.seed}; threshold 0.5"
            ),
            "leave_one_corpus_out": loco,
            "mean_length_baseline_accuracy": round(mean_length, 4),
            "mean_majority_baseline_accuracy": round(mean_majority, 4),
            "final_model": {
                "train_turns": len(everything),
                "weights": len(final.weights),
                "multiwoz21_test": test_result,
                "multiwoz21_test_sample": final.card["multiwoz21_test_sample"],
                "peer_corpora_diagnostic": peers,
                "hand_written": hand,
            },
            "package_file": "src/simulacra/participants/data/user_voice.json",
            "seconds": round(elapsed, 1),
        },
    )


if __name__ == "__main__":
    main()
