"""The probability-based judges on the command line: their ``--judge`` spellings, the length-bias
section of ``simulacra eval meta`` and ``simulacra eval calibrate`` (issue #19).

Spellings handled here (the others stay in :mod:`simulacra.cli._eval`):

- ``calibrated``: the shipped calibrated judge (package data; its model is the one it was fit
  with, ``embedded:default``); ``calibrated:FILE.json``: a calibration fitted with
  ``simulacra eval calibrate``;
- ``weighted:MODEL`` with ``--rubric``: the probability-weighted rubric judge (MODEL:
  ``embedded:<tier>``, ``gguf:PATH`` or ``openai:NAME`` of a server that returns logprobs);
- ``likelihood:MODEL``: the FED follow-up likelihood score (``embedded:<tier>`` or ``gguf:PATH``).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError

__all__ = ["check_judge_spec", "length_section", "make_judge", "read_rated", "register"]

_PREFIXES = ("weighted:", "likelihood:")


def _model_part(spec: str) -> str:
    return spec.partition(":")[2]


def check_judge_spec(spec: str, rubric_id: str | None) -> bool:
    """Check a spelling of this module; ``False`` if the spec is not one of them.

    Raises:
        ConfigError: A one-line error for a malformed spec of this module.
    """
    if spec == "calibrated":
        return True
    if spec.startswith("calibrated:"):
        path = Path(_model_part(spec))
        if not path.is_file():
            raise ConfigError(f"--judge {spec!r}: calibration file not found: {path}")
        return True
    if not spec.startswith(_PREFIXES):
        return False
    kind, model = spec.split(":", 1)
    allowed = ("embedded:", "gguf:") + (("openai:",) if kind == "weighted" else ())
    if not model.startswith(allowed):
        raise ConfigError(
            f"--judge {spec!r}: {kind} needs a model spec starting with "
            + " or ".join(allowed)
            + (" (a server gives no likelihood of given text)" if kind == "likelihood" else "")
        )
    if kind == "weighted" and rubric_id is None:
        raise ConfigError(f"--judge {spec!r} needs --rubric (e.g. --rubric engagement)")
    return True


def make_judge(spec: str, rubric_id: str | None) -> Any | None:
    """The judge of a spelling of this module, or ``None`` if it is not one of them."""
    if not check_judge_spec(spec, rubric_id):
        return None
    from simulacra.evaluation import (
        CalibratedJudge,
        LikelihoodJudge,
        WeightedRubricJudge,
        load_calibrations,
        load_rubric,
    )
    from simulacra.evaluation._logprob import EmbeddedScorer, scorer_from_spec

    if spec.startswith("calibrated"):
        path = _model_part(spec) or None
        model, levels = load_calibrations(path)
        name = f"calibrated:{Path(path).name}" if path else "calibrated"
        return CalibratedJudge(EmbeddedScorer.from_spec(model), levels, name=f"{name}@{model}")
    kind, model = spec.split(":", 1)
    if kind == "weighted":
        assert rubric_id is not None
        return WeightedRubricJudge(scorer_from_spec(model), load_rubric(rubric_id))
    return LikelihoodJudge(EmbeddedScorer.from_spec(model))


def length_section(
    rated: Sequence[Any], scores: Sequence[float | None], verdicts: Sequence[Any]
) -> tuple[list[str], dict[str, Any]]:
    """The printed lines and JSON of the length bias, and the per-item scores."""
    from simulacra.evaluation._length_bias import item_length, length_bias

    lengths = [item_length(r.item) for r in rated]
    lb = length_bias(scores, [r.human for r in rated], lengths)

    def fmt(e: Any) -> str:
        return "—" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}]"

    lines = [
        f"  length bias (words; n={lb.n}): judge~length {fmt(lb.judge_length)}, "
        f"humans~length {fmt(lb.human_length)}",
        f"  judge~humans {fmt(lb.judge_human)}; with length held fixed (partial) {fmt(lb.partial)}",
    ]
    if lb.over_uses_length:
        lines.append("  the judge's scores follow length more than the humans' do")
    items = [
        {
            "id": r.item.id,
            "human": r.human,
            "judge": s,
            "length": n,
            **({"details": v.details} if getattr(v, "details", None) else {}),
        }
        for r, s, n, v in zip(rated, scores, lengths, verdicts, strict=True)
    ]
    return lines, {"length_bias": lb.to_dict(), "items": items}


def read_rated(
    ratings: Path, adapter: str, subset: str | None, mapping: Sequence[str], level: str
) -> list[Any]:
    """The rated items of a ratings file or an adapter's folder (one-line errors)."""
    from simulacra.evaluation import (
        read_ab_redial,
        read_predictive_engagement,
        read_ratings,
        read_topical_chat_ratings,
    )
    from simulacra.evaluation._ratings_file import check_ratings_file

    if not ratings.exists():
        raise ConfigError(f"{ratings}: ratings file not found")
    if adapter == "predictive-engagement":
        if subset not in (None, "dailydialog", "convai"):
            raise ConfigError(
                f"--subset for predictive-engagement: dailydialog or convai, not {subset!r}"
            )
        return read_predictive_engagement(
            ratings, subset="convai" if subset == "convai" else "dailydialog"
        )
    if adapter in ("ab-redial", "topical-chat"):
        if subset not in (None, "turn", "dialogue"):
            raise ConfigError(f"--subset for {adapter}: turn or dialogue, not {subset!r}")
        lv: Literal["turn", "dialogue"] = "dialogue" if subset == "dialogue" else "turn"
        if adapter == "ab-redial":
            return read_ab_redial(ratings, level=lv)
        return read_topical_chat_ratings(ratings, level=lv)
    cols: dict[str, str] = {}
    for m in mapping:
        field, sep, column = m.partition("=")
        if not sep or not field or not column:
            raise ConfigError(f"--map expects FIELD=COLUMN, got {m!r}")
        cols[field] = column
    check_ratings_file(ratings)  # a folder, not UTF-8, malformed JSON/CSV: file and line
    return read_ratings(ratings, mapping=cols, level="dialogue" if level == "dialogue" else "turn")


def _read_sets(
    paths: Sequence[Path], adapter: str, subset: str | None, mapping: Sequence[str], level: str
) -> dict[str, list[Any]]:
    sets: dict[str, list[Any]] = {}
    for p in paths:
        name = p.stem if p.is_file() else p.name
        while name in sets:
            name += "'"
        sets[name] = read_rated(p, adapter, subset, mapping, level)
    return sets


def register(group: click.Group) -> None:
    """Add ``calibrate`` to the ``eval`` group."""

    @group.command("calibrate")
    @click.argument("ratings", nargs=-1, required=True, type=click.Path(path_type=Path))
    @click.option(
        "--adapter",
        type=click.Choice(["generic", "predictive-engagement", "ab-redial", "topical-chat"]),
        default="generic",
        show_default=True,
    )
    @click.option("--subset", help="As for eval meta.")
    @click.option("--map", "mapping", multiple=True, help="generic: FIELD=COLUMN.")
    @click.option(
        "--level", type=click.Choice(["turn", "dialogue"]), default="turn", show_default=True
    )
    @click.option("--model", default="embedded:default", show_default=True)
    @click.option("--limit", type=int, default=50, show_default=True, help="Items per set.")
    @click.option("--seed", default=0, show_default=True)
    @click.option("--alpha", default=10.0, show_default=True, help="Ridge penalty.")
    @click.option("--max-turns", default=6, show_default=True, help="Dialogue items: last turns.")
    @click.option(
        "--folds",
        type=click.IntRange(min=2),
        default=5,
        show_default=True,
        help="Within-set cross-validation folds (the estimate for more ratings of the same kind).",
    )
    @click.option("-o", "--output", type=OutputPath(), required=True, help="Calibration file.")
    def eval_calibrate_command(
        ratings: Sequence[Path],
        adapter: str,
        subset: str | None,
        mapping: Sequence[str],
        level: str,
        model: str,
        limit: int,
        seed: int,
        alpha: float,
        max_turns: int,
        folds: int,
        output: Path,
    ) -> None:
        """Fit the calibrated judge on your own ratings (each RATINGS file or folder is one
        rating set) and write a calibration file for ``--judge calibrated:FILE``. Reports each
        set's cross-validated Spearman (--folds folds within the set: how the calibration does
        on new items like these) and, with two or more sets, leave-one-set-out Spearman (how it
        does on another kind of data)."""
        from simulacra.evaluation import EmbeddedScorer
        from simulacra.evaluation._calibrate import (
            fit_calibration,
            item_features,
            leave_one_group_out,
            save_calibrations,
        )
        from simulacra.evaluation._calibrate_cv import k_fold_within_groups
        from simulacra.evaluation._correlation import spearman

        if not model.startswith(("embedded:", "gguf:")):
            raise ConfigError(f"--model {model!r}: calibration needs embedded:<tier> or gguf:PATH")
        sets = _read_sets(ratings, adapter, subset, mapping, level)
        levels = {r.level for rs in sets.values() for r in rs}
        if len(levels) != 1:
            raise ConfigError(f"the rating sets mix levels ({', '.join(sorted(levels))})")
        (lv,) = levels
        sets = {n: random.Random(seed).sample(rs, min(limit, len(rs))) for n, rs in sets.items()}
        scorer = EmbeddedScorer.from_spec(model)
        rows, humans, groups = [], [], []
        for name, rs in sets.items():
            feats = asyncio.run(
                item_features(scorer, [r.item for r in rs], level=lv, max_turns=max_turns)
            )
            rows += feats
            humans += [r.human for r in rs]
            groups += [name] * len(rs)
            click.echo(f"{name}: {len(rs)} items")
        if len(rows) < 3:
            raise ConfigError(f"too few rated items to fit ({len(rows)})")
        cal = fit_calibration(rows, humans, groups, level=lv, alpha=alpha)
        within = k_fold_within_groups(rows, humans, groups, level=lv, k=folds, alpha=alpha)
        in_set: dict[str, float | None] = {}
        for name in sets:
            own = [h for h, g in zip(humans, groups, strict=True) if g == name]
            if name not in within:
                click.echo(f"  {name}: too few items for {folds}-fold cross-validation")
                continue
            in_set[name] = spearman(within[name], own)
            value = "—" if in_set[name] is None else f"{in_set[name]:.3f}"
            click.echo(f"  {name}: {folds}-fold within-set Spearman {value} (n={len(own)})")
        lodo = leave_one_group_out(rows, humans, groups, level=lv, alpha=alpha)
        held: dict[str, float | None] = {}
        for name, preds in lodo.items():
            own = [h for h, g in zip(humans, groups, strict=True) if g == name]
            held[name] = spearman(preds, own)
            value = "—" if held[name] is None else f"{held[name]:.3f}"
            click.echo(f"  left out {name}: Spearman {value} (n={len(own)})")
        fitted = spearman(cal.predict(rows), humans)
        click.echo(f"  in-sample Spearman {fitted if fitted is None else round(fitted, 3)}")
        card = {
            "what": "ridge regression fitted with simulacra eval calibrate",
            "training_sets": {n: len(rs) for n, rs in sets.items()},
            "leave_one_set_out_spearman": held,
            "within_set_cross_validated_spearman": in_set,
            "folds": folds,
            "sample": f"seed {seed}, at most {limit} items per set",
        }
        save_calibrations(output, {lv: cal}, model=model, card=card)
        click.echo(f"calibration -> {output} (use --judge calibrated:{output})")
