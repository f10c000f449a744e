"""The new policy of a counterfactual evaluation as data: a YAML table of action probabilities.

::

    actions: [offer_help, ask_question, recommend]
    default: {offer_help: 0.2, ask_question: 0.3, recommend: 0.5}
    rules:                                  # first match wins
      - when: {segment: returning}          # equality on context features
        action: recommend                   # deterministic
      - when: {segment: [new, unknown], hour: 9}   # a list: any of these values
        probabilities: {offer_help: 0.7, ask_question: 0.3}

Any object with ``probabilities(context)`` is a policy too (:class:`Policy`); this is the one the
``simulacra counterfactual`` command reads.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulacra._validation import read_yaml, summarise
from simulacra.errors import ConfigError
from simulacra.evaluation._counterfactual import Context

__all__ = ["PolicyRule", "TablePolicy", "load_policy"]

_Value = str | int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _as_probabilities(
    action: str | None, probabilities: dict[str, float] | None
) -> dict[str, float]:
    if (action is None) == (probabilities is None):
        raise ValueError("give exactly one of 'action' or 'probabilities'")
    if action is not None:
        return {action: 1.0}
    assert probabilities is not None
    if any(p < 0 or not math.isfinite(p) for p in probabilities.values()):
        raise ValueError("probabilities must be finite and non-negative")
    total = sum(probabilities.values())
    if abs(total - 1) > 1e-6:
        raise ValueError(f"probabilities sum to {total:g}, not 1")
    return dict(probabilities)


class PolicyRule(_Strict):
    """``when`` the context matches, use these probabilities (or this one action)."""

    when: dict[str, _Value | list[_Value]] = Field(default_factory=dict)
    action: str | None = None
    probabilities: dict[str, float] | None = None

    @model_validator(mode="after")
    def _one(self) -> PolicyRule:
        _as_probabilities(self.action, self.probabilities)
        return self

    def matches(self, context: Context) -> bool:
        for key, wanted in self.when.items():
            options = wanted if isinstance(wanted, list) else [wanted]
            if key not in context or str(context[key]) not in {str(o) for o in options}:
                return False
        return True

    def distribution(self) -> dict[str, float]:
        return _as_probabilities(self.action, self.probabilities)


class TablePolicy(_Strict):
    """A policy given as rules over context features with a default distribution.

    Attributes:
        actions: Every action the policy knows (logged actions must be among them).
        default: The distribution when no rule matches (or ``default_action``).
        default_action: A deterministic default instead of ``default``.
        rules: Checked in order; the first whose ``when`` matches decides.
    """

    actions: list[str] = Field(min_length=1)
    default: dict[str, float] | None = None
    default_action: str | None = None
    rules: list[PolicyRule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_actions(self) -> TablePolicy:
        known = set(self.actions)
        dists = [("default", _as_probabilities(self.default_action, self.default))]
        dists += [(f"rules.{i}", r.distribution()) for i, r in enumerate(self.rules)]
        for where, dist in dists:
            bad = sorted(a for a in dist if a not in known)
            if bad:
                raise ValueError(
                    f"{where}: unknown action {bad[0]!r} (actions: {', '.join(self.actions)})"
                )
        return self

    def probabilities(self, context: Context) -> Mapping[str, float]:
        """Action → probability for this context."""
        for rule in self.rules:
            if rule.matches(context):
                return rule.distribution()
        return _as_probabilities(self.default_action, self.default)


def parse_policy(data: Any, *, source: str = "<policy>") -> TablePolicy:
    """Validate a mapping as a :class:`TablePolicy`.

    Raises:
        ConfigError: One line naming ``source`` and the field.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping with 'actions', got {type(data).__name__}")
    try:
        return TablePolicy.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{source}: {summarise(exc, model=TablePolicy)}") from None


def load_policy(path: str | Path) -> TablePolicy:
    """Read a YAML policy file (format in the module docstring).

    Raises:
        ConfigError: Missing file, malformed YAML or an invalid policy.
    """
    path = Path(path)
    return parse_policy(read_yaml(path), source=str(path))
