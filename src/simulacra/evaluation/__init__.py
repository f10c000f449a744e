"""Evaluation. So far: role adherence of simulated users (does the simulated user speak as the
user?) and bootstrap intervals for small samples. The evaluation issue adds metrics, judges,
fidelity, drift and audits."""

from simulacra.evaluation._role import (
    ROLE_VIOLATIONS,
    RoleAdherence,
    role_adherence,
    role_violation,
)
from simulacra.evaluation._stats import Estimate, bootstrap_mean, bootstrap_mean_difference

__all__ = [
    "ROLE_VIOLATIONS",
    "Estimate",
    "RoleAdherence",
    "bootstrap_mean",
    "bootstrap_mean_difference",
    "role_adherence",
    "role_violation",
]
