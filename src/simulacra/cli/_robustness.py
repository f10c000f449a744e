"""``simulacra robustness CONFIG --shift KIND[:ARG] ... -o REPORT_DIR``: run a config and its
shifted variants and report the change of every metric with bootstrap CIs. Every shift is
checked before anything runs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import click

from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError


@click.command("robustness")
@click.argument("config", type=click.Path(path_type=Path))
@click.option(
    "--shift",
    "shifts",
    multiple=True,
    required=True,
    help="typos:RATE, paraphrase[:template|llm], persona:PRESET|FILE.yaml, adversarial:KIND.",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=OutputPath("folder"),
    help="Report directory (report.json, report.md, runs/).",
)
@click.option("--judge", "judge_spec", help="Judge target turns: a model spec or 'baseline'.")
@click.option("--rubric", "rubric_id", help="Rubric of a model judge (e.g. satisfaction).")
@click.option("--paraphrase-model", help="Model spec of paraphrase:llm (default: the user's).")
@click.option("--max-tokens", default=120, show_default=True, help="Judge answer budget.")
def robustness_command(
    config: Path,
    shifts: Sequence[str],
    output: Path,
    judge_spec: str | None,
    rubric_id: str | None,
    paraphrase_model: str | None,
    max_tokens: int,
) -> None:
    """Run CONFIG as a baseline and once per --shift; report each metric's change."""
    from simulacra.cli._eval_common import build_judge
    from simulacra.models import get_model
    from simulacra.robustness import parse_shift, run_robustness
    from simulacra.runs import UserConfig, load_config

    parsed = [parse_shift(s) for s in shifts]
    labels = [s.label for s in parsed]
    if len(set(labels)) != len(labels):
        raise ConfigError("--shift: the same shift is given twice")
    cfg = load_config(config)
    judge = build_judge(judge_spec, rubric_id, max_tokens=max_tokens) if judge_spec else None
    model = None
    if any(s.kind == "paraphrase" and s.arg == "llm" for s in parsed):
        spec = paraphrase_model
        if spec is None and isinstance(cfg.user, UserConfig):
            spec = cfg.models[cfg.user.model].model
        if spec is None:
            raise ConfigError("--paraphrase-model: needed for paraphrase:llm")
        model = get_model(spec, role="paraphrase")

    def on_run(label: str, directory: Path) -> None:
        click.echo(f"  {label:<28} -> {directory}")

    click.echo(f"{config}: baseline + {len(parsed)} shift(s)")
    report = asyncio.run(
        run_robustness(
            cfg,
            parsed,
            output,
            config_path=config,
            judge=judge,
            paraphrase_model=model,
            on_run=on_run,
        )
    )
    for s in report.shifts:
        click.echo(
            f"{s.shift}: changed {', '.join(s.changes[:4])}{' ...' if len(s.changes) > 4 else ''}"
        )
        for name, m in s.metrics.items():
            d = m.difference
            click.echo(
                f"  {name:<24} {m.baseline.value:8.3f} -> {m.shifted.value:8.3f}  "
                f"diff {d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}] n={m.shifted.n}"
            )
    click.echo(f"report -> {output / 'report.json'}, {output / 'report.md'}")
