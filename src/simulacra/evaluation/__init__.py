"""Evaluation. First part: role adherence of simulated users (does the simulated user speak as
the user?). The evaluation issue adds metrics, judges, fidelity, drift and audits."""

from simulacra.evaluation._role import (
    ROLE_VIOLATIONS,
    RoleAdherence,
    role_adherence,
    role_violation,
)

__all__ = ["ROLE_VIOLATIONS", "RoleAdherence", "role_adherence", "role_violation"]
