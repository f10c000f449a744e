"""Helpers shared by the ``simulacra eval`` commands: writing reports, printing estimates, and the
``--judge`` spellings (checked before anything is loaded, then built)."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from simulacra._atomic import write_json_atomic
from simulacra.cli._eval_judges import check_judge_spec, make_judge
from simulacra.errors import ConfigError

__all__ = ["BASELINES", "JUDGE_HELP", "build_judge", "check_eval_judge", "estimate", "write_json"]


def write_json(path: Path, data: dict[str, Any]) -> None:
    write_json_atomic(path, data, mkdir=True)


def estimate(e: Any) -> str:
    return "—" if e is None else f"{e.value:.3f} [{e.low:.3f}, {e.high:.3f}] n={e.n}"


BASELINES = ("baseline", "baseline:minilm", "baseline:lexical")
JUDGE_HELP = (
    "'baseline' (= 'baseline:minilm', MiniLM features), 'baseline:lexical' (no model "
    "download), 'calibrated' (the shipped calibrated judge on embedded:default) or "
    "'calibrated:FILE.json' (from eval calibrate), a model spec such as 'embedded:default', "
    "'gguf:PATH' or 'openai:NAME' with --rubric (explain-then-score), 'weighted:MODEL' with "
    "--rubric (probability-weighted score), or 'likelihood:MODEL' (FED follow-ups)."
)


def check_eval_judge(spec: str, rubric_id: str | None) -> None:
    """One-line errors for a ``--judge`` spec, before anything is loaded: an unknown spelling
    (with a did-you-mean), an invalid model spec, a model judge without ``--rubric``."""
    from pydantic import ValidationError

    from simulacra._validation import summarise
    from simulacra.models import parse_model_spec, provider_schemes
    from simulacra.models._catalogue import CATALOGUE

    if spec in BASELINES or check_judge_spec(spec, rubric_id):
        return
    prefix, sep, _ = spec.partition(":")
    if not sep or prefix not in provider_schemes():
        known = [*BASELINES, "calibrated", *(f"embedded:{tier}" for tier in CATALOGUE)]
        close = [k for k in known if k.endswith(f":{spec}")] or difflib.get_close_matches(
            spec, known, n=1
        )
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(
            f"unknown judge {spec!r}{hint}; --judge takes baseline, baseline:minilm, "
            "baseline:lexical, calibrated[:FILE], a model spec (embedded:default, gguf:PATH, "
            "openai:NAME, transformers:PATH) with --rubric, weighted:MODEL with --rubric, or "
            "likelihood:MODEL"
        )
    try:
        parse_model_spec(spec)
    except ValidationError as exc:
        raise ConfigError(f"--judge {spec!r}: {summarise(exc).removeprefix('model: ')}") from None
    if rubric_id is None:
        raise ConfigError(
            f"--judge {spec!r} is a model judge: it needs --rubric (e.g. --rubric engagement)"
        )


def build_judge(spec: str, rubric_id: str | None, *, max_tokens: int) -> Any:
    from simulacra.evaluation._judge import BaselineJudge, RubricJudge
    from simulacra.evaluation._rubric import load_rubric
    from simulacra.models import GenerateConfig, get_model

    check_eval_judge(spec, rubric_id)
    judge = make_judge(spec, rubric_id)
    if judge is not None:
        return judge
    if spec in ("baseline", "baseline:minilm"):
        return BaselineJudge(embeddings=True)
    if spec == "baseline:lexical":
        return BaselineJudge(embeddings=False)
    assert rubric_id is not None
    rubric = load_rubric(rubric_id)
    return RubricJudge(
        get_model(spec, role="judge"), rubric, config=GenerateConfig(max_tokens=max_tokens)
    )
