"""Counterfactual estimators against a synthetic logged bandit whose true policy value is known.

:class:`~simulacra.evaluation._counterfactual_sim.SyntheticBandit` (3 customer segments, 4
actions, logging propensities 0.10–0.55, Bernoulli rewards with a mean linear in a context
number) logs ``--n`` decisions per draw; a new policy (different action per segment, importance
weights up to 4.7) is evaluated with IPS, clipped IPS (M = ``--clip``), SNIPS and DR (ridge
reward model fitted on the log), and DR with a deliberately wrong reward model (a constant 0.5).
Over ``--draws`` independent draws: coverage of the 95% percentile-bootstrap CIs, bias, RMSE,
SD and mean CI width per estimator.

Run: python benchmarks/counterfactual_validation.py [--draws 200] [--n 500]
Writes benchmarks/results/counterfactual_validation.json (value = DR coverage; goal >= 0.9;
ratio = RMSE(IPS) / RMSE(DR), the variance reduction of a good reward model).
"""

from __future__ import annotations

import argparse
import math
import time

from _common import write_result

from simulacra.evaluation._counterfactual import off_policy_evaluate
from simulacra.evaluation._counterfactual_policy import PolicyRule, TablePolicy
from simulacra.evaluation._counterfactual_sim import SyntheticBandit, validate_estimators


class _Constant:
    def predict(self, context: object, action: str) -> float:
        return 0.5


def _wrong_model_dr(
    bandit: SyntheticBandit, policy: TablePolicy, draws: int, n: int
) -> dict[str, float]:
    truth = bandit.true_value(policy)
    errors, covered = [], 0
    for draw in range(draws):
        log = bandit.sample(n, seed=draw)
        e = (
            off_policy_evaluate(
                log, policy, reward_model=_Constant(), estimators=("dr",), resamples=500, seed=draw
            )
            .estimates["dr"]
            .estimate
        )
        errors.append(e.value - truth)
        covered += e.low <= truth <= e.high
    bias = sum(errors) / draws
    return {
        "true_value": truth,
        "coverage": covered / draws,
        "bias": bias,
        "rmse": math.sqrt(sum(x * x for x in errors) / draws),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=200)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--clip", type=float, default=3.0)
    args = parser.parse_args()
    bandit = SyntheticBandit.default()
    policy = TablePolicy(
        actions=bandit.actions,
        default={"a1": 0.8, "a2": 0.2},
        rules=[
            PolicyRule(when={"segment": "returning"}, action="a0"),
            PolicyRule(when={"segment": "vip"}, probabilities={"a2": 0.7, "a3": 0.3}),
        ],
    )
    started = time.perf_counter()
    cpu = time.process_time()
    result = validate_estimators(
        bandit, policy, draws=args.draws, n=args.n, clip=args.clip, resamples=500
    )
    result["dr_constant_model"] = _wrong_model_dr(bandit, policy, args.draws, args.n)
    for name, row in result.items():
        print(f"{name:<18} " + "  ".join(f"{k}={v:.4f}" for k, v in row.items()))
    write_result(
        "counterfactual_validation",
        value=result["dr"]["coverage"],
        unit="coverage of 95% CIs",
        ratio=result["ips"]["rmse"] / result["dr"]["rmse"],
        goal=(
            "DR 95% CIs hold the true value in >= 90% of draws; IPS unbiased (|bias| within 2"
            " standard errors over the draws); DR RMSE < IPS"
        ),
        model="none (synthetic logged bandit)",
        goal_met=(
            result["dr"]["coverage"] >= 0.9
            and result["dr"]["rmse"] < result["ips"]["rmse"]
            and abs(result["ips"]["bias"]) <= 2 * result["ips"]["sd"] / math.sqrt(args.draws)
        ),
        code_paths=[
            "benchmarks/counterfactual_validation.py",
            "src/simulacra/evaluation/_counterfactual.py",
            "src/simulacra/evaluation/_counterfactual_policy.py",
            "src/simulacra/evaluation/_counterfactual_sim.py",
        ],
        details={
            "draws": args.draws,
            "n_per_draw": args.n,
            "clip": args.clip,
            "logged_policy_value": bandit.true_value(bandit.logging),
            "estimators": result,
            "wall_seconds": round(time.perf_counter() - started, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
        },
    )


if __name__ == "__main__":
    main()
