"""Evaluation. So far: role adherence of simulated users (does the simulated user speak as the
user?) and bootstrap intervals for small samples. The evaluation issue adds metrics, judges,
fidelity, drift and audits."""

from simulacra.evaluation._consistency import ConsistencyReport, Flag, TurnCheck, check_consistency
from simulacra.evaluation._consistency_judge import judge_consistency
from simulacra.evaluation._probes import Interviewer, Probe, ProbeRun, knowledge_probes, run_probes
from simulacra.evaluation._role import (
    ROLE_VIOLATIONS,
    RoleAdherence,
    role_adherence,
    role_violation,
)
from simulacra.evaluation._stats import Estimate, bootstrap_mean, bootstrap_mean_difference, wilson

__all__ = [
    "ROLE_VIOLATIONS",
    "ConsistencyReport",
    "Estimate",
    "Flag",
    "Interviewer",
    "Probe",
    "ProbeRun",
    "RoleAdherence",
    "TurnCheck",
    "bootstrap_mean",
    "bootstrap_mean_difference",
    "check_consistency",
    "judge_consistency",
    "knowledge_probes",
    "role_adherence",
    "role_violation",
    "run_probes",
    "wilson",
]
