"""``simulacra counterfactual LOG --policy POLICY.yaml``: off-policy value of a new policy from
logged decisions (a JSONL log or a run directory). Everything is checked before anything is
written."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from simulacra._atomic import write_json_atomic
from simulacra.cli._paths import OutputPath
from simulacra.errors import ConfigError


def _write_json(path: Path, data: dict[str, object]) -> None:
    write_json_atomic(path, data, mkdir=True)


@click.command("counterfactual")
@click.argument("log", type=click.Path(path_type=Path))
@click.option(
    "--policy",
    "policy_path",
    required=True,
    type=click.Path(path_type=Path),
    help="YAML policy file (actions, default, rules).",
)
@click.option(
    "--estimator",
    "estimators",
    multiple=True,
    help="ips, clipped_ips, snips, dr (repeatable; default: all).",
)
@click.option("--clip", default=10.0, show_default=True, help="Weight cap of clipped IPS.")
@click.option("--resamples", default=1000, show_default=True, help="Bootstrap resamples.")
@click.option("--seed", default=0, show_default=True)
@click.option("-o", "--output", type=OutputPath(), help="Write the report as JSON.")
def counterfactual_command(
    log: Path,
    policy_path: Path,
    estimators: Sequence[str],
    clip: float,
    resamples: int,
    seed: int,
    output: Path | None,
) -> None:
    """Estimate the value of the policy in POLICY from the decisions logged in LOG.

    LOG is a JSONL file (one {context, action, propensity, reward} object per line) or a run
    directory whose target recorded 'action' and 'propensity' in its turn metadata.
    """
    from simulacra.evaluation import load_policy
    from simulacra.evaluation._counterfactual import (
        ESTIMATORS,
        check_support,
        decisions_from_run,
        off_policy_evaluate,
        read_decisions,
    )

    chosen = [e.strip() for raw in estimators for e in raw.split(",") if e.strip()] or list(
        ESTIMATORS
    )
    for name in chosen:
        if name not in ESTIMATORS:
            raise ConfigError(f"--estimator: unknown {name!r} (known: {', '.join(ESTIMATORS)})")
    if resamples < 10:
        raise ConfigError("--resamples: give at least 10")
    policy = load_policy(policy_path)
    decisions = decisions_from_run(log) if log.is_dir() else read_decisions(log)
    check_support(decisions, policy, actions=policy.actions)
    report = off_policy_evaluate(
        decisions, policy, clip=clip, estimators=chosen, resamples=resamples, seed=seed
    )
    lg = report.logged
    click.echo(f"{log}: {report.n} logged decisions; max importance weight {report.max_weight:.3g}")
    click.echo(f"  {'logged policy':<14} {lg.value:.4f} [{lg.low:.4f}, {lg.high:.4f}]")
    for name, est in report.estimates.items():
        e = est.estimate
        click.echo(
            f"  {name:<14} {e.value:.4f} [{e.low:.4f}, {e.high:.4f}]  ESS {est.ess:.1f} of {e.n}"
        )
    if report.reward_model:
        click.echo(f"  dr reward model: {report.reward_model}")
    if output:
        data: dict[str, object] = {"log": str(log), "policy": str(policy_path)}
        data.update(report.to_dict())
        _write_json(output, data)
        click.echo(f"report -> {output}")
