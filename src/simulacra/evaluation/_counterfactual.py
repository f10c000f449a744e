"""Counterfactual (off-policy) evaluation from logged conversations (survey §6, Appendix A.1).

An old policy chose an action ``a`` (a strategy, a prompt, a recommendation) in a context ``x``
with a known probability — its *propensity* ``p(a|x)`` — and the conversation that followed
earned a reward ``r``. From such logs we estimate the value ``V(π) = E_x Σ_a π(a|x) μ(x, a)`` of
a *new* policy π without deploying it:

- **IPS** (Horvitz–Thompson): ``mean(w·r)`` with ``w = π(a|x) / p(a|x)``; unbiased when the
  propensities are right and every action π takes was possible under the old policy;
- **clipped IPS** (Ionides 2008): ``mean(min(w, M)·r)``; less variance, biased downwards when
  weights exceed ``M``;
- **SNIPS** (self-normalised): ``Σ w·r / Σ w``; slightly biased, far less variance when weights
  are uneven;
- **DR** (doubly robust, Dudík et al. 2014): ``mean(Σ_a π(a|x) q̂(x,a) + w·(r − q̂(x,a_i)))``
  with a reward model ``q̂``; unbiased if either the propensities or ``q̂`` are right, and with a
  good ``q̂`` lower variance than IPS.

``q̂`` is a ridge regression fitted on the logs (:func:`fit_reward_model`) or any
:class:`RewardModel` — e.g. :class:`SimulatedRewardModel`, which imputes the outcome of an
untried (context, action) by running simulated conversations. Every estimate comes with a
percentile-bootstrap interval over logged rows and the effective sample size of its weights
``(Σw)² / Σw²``.

The JSONL log format (one decision per line)::

    {"id": "d1", "context": {"segment": "new", "hour": 9}, "action": "offer_help",
     "propensity": 0.25, "reward": 1.0}

``context`` values are strings, numbers or booleans; ``id`` is optional. Run directories are
read by :func:`decisions_from_run` (the target records ``action`` and ``propensity`` in its
turn metadata).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, runtime_checkable

from simulacra.conversation import Conversation, ParticipantKind, TerminationReason
from simulacra.errors import ConfigError, MissingExtraError
from simulacra.evaluation._stats import Estimate, _estimate_dict
from simulacra.log import read_conversations

__all__ = [
    "ESTIMATORS",
    "Context",
    "CounterfactualReport",
    "LinearRewardModel",
    "LoggedDecision",
    "OffPolicyEstimate",
    "Policy",
    "RewardModel",
    "check_support",
    "decisions_from_run",
    "fit_reward_model",
    "off_policy_evaluate",
    "read_decisions",
]

Context = Mapping[str, str | int | float | bool]
ESTIMATORS = ("ips", "clipped_ips", "snips", "dr")
"""The estimators :func:`off_policy_evaluate` computes (``dr`` and ``dm`` need a reward model)."""


def _np() -> ModuleType:
    try:
        import numpy
    except ImportError:
        raise MissingExtraError("eval", "counterfactual estimators (numpy)") from None
    return numpy


@dataclass(frozen=True)
class LoggedDecision:
    """One logged decision of the old policy.

    Attributes:
        context: The features the policy saw.
        action: The action it took.
        propensity: Its probability of taking that action there, in (0, 1].
        reward: The outcome that followed.
        id: A row id (e.g. the conversation id).
        source: Where the row came from (``file:line``), for error messages.
    """

    context: Context
    action: str
    propensity: float
    reward: float
    id: str = ""
    source: str = ""


@runtime_checkable
class Policy(Protocol):
    """A (new) policy: a distribution over actions for a context."""

    def probabilities(self, context: Context) -> Mapping[str, float]:
        """Action → probability (missing actions have probability 0)."""
        ...


@runtime_checkable
class RewardModel(Protocol):
    """An estimate ``q̂(x, a)`` of the expected reward of an action in a context."""

    def predict(self, context: Context, action: str) -> float:
        """The expected reward of ``action`` in ``context``."""
        ...


def _is_scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and not (
        isinstance(value, float) and not math.isfinite(value)
    )


def _decision(row: object, where: str) -> LoggedDecision:
    if not isinstance(row, dict):
        raise ConfigError(f"{where}: expected a JSON object, got {type(row).__name__}")
    for key in ("context", "action", "propensity", "reward"):
        if key not in row:
            raise ConfigError(f"{where}: missing field {key!r}")
    context, action, p, r = row["context"], row["action"], row["propensity"], row["reward"]
    if not isinstance(context, dict) or not all(_is_scalar(v) for v in context.values()):
        raise ConfigError(f"{where}: context must be an object of strings, numbers or booleans")
    if not isinstance(action, str) or not action:
        raise ConfigError(f"{where}: action must be a non-empty string, got {action!r}")
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 < p <= 1:
        raise ConfigError(f"{where}: propensity {p!r} is outside (0, 1]")
    if isinstance(r, bool) or not isinstance(r, int | float) or not math.isfinite(r):
        raise ConfigError(f"{where}: reward must be a finite number, got {r!r}")
    return LoggedDecision(
        context={str(k): v for k, v in context.items()},
        action=action,
        propensity=float(p),
        reward=float(r),
        id=str(row.get("id", where)),
        source=where,
    )


def read_decisions(path: str | Path) -> list[LoggedDecision]:
    """Read a JSONL decision log (format in the module docstring).

    Raises:
        ConfigError: One line naming the file and row of the first bad row (missing field,
            propensity of zero or outside (0, 1], non-numeric reward), or an empty log.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read ({exc})") from None
    out: list[LoggedDecision] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            row = json.loads(line)
        except ValueError:
            raise ConfigError(f"{where}: not valid JSON") from None
        out.append(_decision(row, where))
    if not out:
        raise ConfigError(f"{path}: no decisions in the log")
    return out


def _conversation_reward(conversation: Conversation) -> float:
    value = conversation.metadata.get("reward")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return 1.0 if conversation.termination == TerminationReason.GOAL_REACHED else 0.0


def decisions_from_run(
    run_dir: str | Path,
    *,
    reward: Callable[[Conversation], float] | None = None,
    action_key: str = "action",
    propensity_key: str = "propensity",
) -> list[LoggedDecision]:
    """The logged decisions of a run directory: one per conversation.

    The decision is the first turn of an ``ai_system`` participant whose metadata has
    ``action_key`` and ``propensity_key`` (a target records them in ``Reply.metadata``). Its
    context is the conversation's ``scenario_id``, ``profile_id`` and every ``context.<name>``
    key of that turn's metadata. The reward is ``reward(conversation)`` (default: the
    conversation's ``metadata["reward"]`` if numeric, else 1 when it ended ``goal_reached``).
    Conversations without a decision and infrastructure failures are left out.

    Raises:
        ConfigError: Not a run directory, a bad propensity (naming the file and line), or no
            decision in the run.
    """
    path = Path(run_dir) / "conversations.jsonl"
    score = reward or _conversation_reward
    out: list[LoggedDecision] = []
    for number, c in enumerate(read_conversations(run_dir), start=1):
        if c.termination == TerminationReason.INFRASTRUCTURE_ERROR:
            continue
        systems = {p.id for p in c.participants if p.kind is ParticipantKind.AI_SYSTEM}
        turn = next(
            (
                t
                for t in c.turns
                if t.speaker in systems
                and action_key in t.metadata
                and propensity_key in t.metadata
            ),
            None,
        )
        if turn is None:
            continue
        context: dict[str, str | int | float | bool] = {
            "scenario_id": c.scenario_id or "",
            "profile_id": str(c.metadata.get("profile_id", "")),
        }
        for key, value in turn.metadata.items():
            if key.startswith("context.") and value is not None:
                context[key.removeprefix("context.")] = value
        row = {
            "id": c.id,
            "context": context,
            "action": turn.metadata[action_key],
            "propensity": turn.metadata[propensity_key],
            "reward": score(c),
        }
        out.append(_decision(row, f"{path}:{number}"))
    if not out:
        raise ConfigError(
            f"{path}: no turn of a target records {action_key!r} and {propensity_key!r} "
            "in its metadata"
        )
    return out


def check_support(
    decisions: Sequence[LoggedDecision], policy: Policy, *, actions: Sequence[str]
) -> None:
    """Check that every logged action is one the policy knows, and its probabilities are valid.

    Raises:
        ConfigError: Naming the source row of the first unknown action or bad distribution.
    """
    known = set(actions)
    for d in decisions:
        if d.action not in known:
            raise ConfigError(
                f"{d.source}: unknown action {d.action!r} (the policy knows: "
                f"{', '.join(sorted(known))})"
            )
        probs = policy.probabilities(d.context)
        bad = [a for a in probs if a not in known]
        total = sum(probs.values())
        if bad or any(p < 0 for p in probs.values()) or abs(total - 1) > 1e-6:
            raise ConfigError(
                f"{d.source}: the policy's probabilities for this context are not a "
                f"distribution over its actions ({dict(probs)})"
            )


def _features(context: Context, keys: Sequence[str]) -> list[float]:
    """Numbers stay numbers; strings and booleans become one-hot ``key=value`` indicators."""
    values: list[float] = []
    for key in keys:
        name, _, level = key.partition("=")
        v = context.get(name)
        if level:
            values.append(1.0 if v is not None and str(v) == level else 0.0)
        else:
            values.append(
                float(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0.0
            )
    return values


@dataclass
class LinearRewardModel:
    """A ridge regression per action on the context features (numbers as they are, strings
    one-hot), falling back to the overall mean for actions never logged.

    Attributes:
        keys: The feature names (``name`` or ``name=value``).
        weights: Action → coefficients (intercept first).
        mean: The mean logged reward.
    """

    keys: list[str]
    weights: dict[str, list[float]]
    mean: float

    def predict(self, context: Context, action: str) -> float:
        w = self.weights.get(action)
        if w is None:
            return self.mean
        x = [1.0, *_features(context, self.keys)]
        return float(sum(a * b for a, b in zip(w, x, strict=True)))


def fit_reward_model(
    decisions: Sequence[LoggedDecision], *, ridge: float = 1.0
) -> LinearRewardModel:
    """Fit :class:`LinearRewardModel` on logged rewards (the direct-method term of DR).

    Raises:
        ValueError: If there are no decisions.
    """
    if not decisions:
        raise ValueError("no decisions")
    np = _np()
    keys: list[str] = []
    for d in decisions:
        for name, v in d.context.items():
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            key = name if numeric else f"{name}={v}"
            if key not in keys:
                keys.append(key)
    keys.sort()
    weights: dict[str, list[float]] = {}
    for action in sorted({d.action for d in decisions}):
        rows = [d for d in decisions if d.action == action]
        x = np.array([[1.0, *_features(d.context, keys)] for d in rows])
        y = np.array([d.reward for d in rows])
        penalty = ridge * np.eye(x.shape[1])
        penalty[0, 0] = 0.0  # the intercept is not shrunk
        w = np.linalg.solve(x.T @ x + penalty, x.T @ y)
        weights[action] = [float(v) for v in w]
    mean = sum(d.reward for d in decisions) / len(decisions)
    return LinearRewardModel(keys=keys, weights=weights, mean=mean)


@dataclass(frozen=True)
class OffPolicyEstimate:
    """One estimator's value of the new policy.

    Attributes:
        estimator: ``ips``, ``clipped_ips``, ``snips`` or ``dr``.
        estimate: Value with its percentile-bootstrap interval and n (logged rows).
        ess: Effective sample size of the weights, ``(Σw)² / Σw²`` (≤ n).
    """

    estimator: str
    estimate: Estimate
    ess: float


@dataclass
class CounterfactualReport:
    """What :func:`off_policy_evaluate` found.

    Attributes:
        n: Logged decisions used.
        logged: Mean reward of the old policy (with CI): the on-policy baseline.
        estimates: Estimator → estimate of the new policy's value.
        max_weight: The largest importance weight.
        clip: The clipping threshold M of clipped IPS.
        reward_model: What produced q̂ for DR (``None``: no DR).
    """

    n: int
    logged: Estimate
    estimates: dict[str, OffPolicyEstimate] = field(default_factory=dict)
    max_weight: float = 0.0
    clip: float = 10.0
    reward_model: str | None = None

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dictionary."""

        return {
            "n": self.n,
            "logged": _estimate_dict(self.logged),
            "max_weight": self.max_weight,
            "clip": self.clip,
            "reward_model": self.reward_model,
            "estimates": {
                k: {**_estimate_dict(v.estimate), "ess": v.ess} for k, v in self.estimates.items()
            },
        }


def _interval(samples: Any, level: float) -> tuple[float, float]:
    np = _np()
    tail = (1 - level) / 2
    return float(np.quantile(samples, tail)), float(np.quantile(samples, 1 - tail))


def off_policy_evaluate(
    decisions: Sequence[LoggedDecision],
    policy: Policy,
    *,
    reward_model: RewardModel | None = None,
    reward_model_name: str | None = None,
    clip: float = 10.0,
    estimators: Sequence[str] = ESTIMATORS,
    resamples: int = 1000,
    level: float = 0.95,
    seed: int = 0,
) -> CounterfactualReport:
    """Estimate the value of ``policy`` from decisions logged under another one.

    Args:
        decisions: The log (see :func:`read_decisions`, :func:`decisions_from_run`).
        policy: The new policy π.
        reward_model: q̂ for ``dr`` (default: :func:`fit_reward_model` on the log).
        reward_model_name: How q̂ was made, for the report.
        clip: The weight cap M of ``clipped_ips``.
        estimators: Which of :data:`ESTIMATORS` to compute.
        resamples: Bootstrap resamples (rows drawn with replacement; q̂ is kept fixed).
        level: Confidence level of the intervals.
        seed: Bootstrap seed.
    """
    if not decisions:
        raise ValueError("no decisions")
    unknown = [e for e in estimators if e not in ESTIMATORS]
    if unknown:
        raise ConfigError(f"unknown estimator {unknown[0]!r} (known: {', '.join(ESTIMATORS)})")
    if clip <= 0:
        raise ConfigError(f"clip must be positive, got {clip}")
    np = _np()
    n = len(decisions)
    probs = [policy.probabilities(d.context) for d in decisions]
    w = np.array(
        [pr.get(d.action, 0.0) / d.propensity for pr, d in zip(probs, decisions, strict=True)]
    )
    r = np.array([d.reward for d in decisions])
    columns: dict[str, tuple[Any, Any]] = {}  # estimator -> (numerator terms, denominator terms)
    ones = np.ones(n)
    if "ips" in estimators:
        columns["ips"] = (w * r, ones)
    if "clipped_ips" in estimators:
        columns["clipped_ips"] = (np.minimum(w, clip) * r, ones)
    if "snips" in estimators:
        columns["snips"] = (w * r, w)
    model_name = None
    if "dr" in estimators:
        model = reward_model
        model_name = reward_model_name or (
            "given" if model is not None else "ridge fitted on the log"
        )
        if model is None:
            model = fit_reward_model(decisions)
        dm = np.array(
            [
                sum(p * model.predict(d.context, a) for a, p in pr.items() if p > 0)
                for pr, d in zip(probs, decisions, strict=True)
            ]
        )
        q = np.array([model.predict(d.context, d.action) for d in decisions])
        columns["dr"] = (dm + w * (r - q), ones)
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    report = CounterfactualReport(
        n=n,
        logged=_mean_estimate(r, index, level),
        max_weight=float(w.max()),
        clip=clip,
        reward_model=model_name,
    )
    for name in ESTIMATORS:
        if name not in columns:
            continue
        num, den = columns[name]
        value = float(num.sum() / den.sum()) if den.sum() > 0 else float("nan")
        boot = num[index].sum(axis=1) / np.maximum(den[index].sum(axis=1), 1e-12)
        low, high = _interval(boot, level)
        weights = np.minimum(w, clip) if name == "clipped_ips" else w
        ess = float(weights.sum() ** 2 / (weights**2).sum()) if (weights > 0).any() else 0.0
        report.estimates[name] = OffPolicyEstimate(name, Estimate(value, low, high, level, n), ess)
    return report


def _mean_estimate(values: Any, index: Any, level: float) -> Estimate:
    low, high = _interval(values[index].mean(axis=1), level)
    return Estimate(float(values.mean()), low, high, level, len(values))
