"""Evaluation. So far: role adherence of simulated users (does the simulated user speak as the
user?) and bootstrap intervals for small samples. The evaluation issue adds metrics, judges,
fidelity, drift and audits."""

from simulacra.evaluation._agreement import AgreementReport, WinRates, agreement, win_rates
from simulacra.evaluation._annotation import (
    Study,
    blind_transcript,
    likert_study,
    pairwise_study,
    read_key,
    read_study,
)
from simulacra.evaluation._annotation_io import (
    Rating,
    export_csv,
    human_scores,
    import_csv,
    read_annotations,
)
from simulacra.evaluation._arena import (
    ArenaReport,
    Battle,
    Ranking,
    SystemRating,
    arena,
    bradley_terry,
    elo,
)
from simulacra.evaluation._audit import AUDIT_RULES, AuditFlag, AuditReport, audit_report
from simulacra.evaluation._consistency import ConsistencyReport, Flag, TurnCheck, check_consistency
from simulacra.evaluation._consistency_judge import judge_consistency
from simulacra.evaluation._correlation import bootstrap_correlation
from simulacra.evaluation._counterfactual import (
    CounterfactualReport,
    LinearRewardModel,
    LoggedDecision,
    OffPolicyEstimate,
    RewardModel,
    check_support,
    decisions_from_run,
    fit_reward_model,
    off_policy_evaluate,
    read_decisions,
)
from simulacra.evaluation._counterfactual_policy import PolicyRule, TablePolicy, load_policy
from simulacra.evaluation._counterfactual_sim import (
    ConversationSimulator,
    SimulatedRewardModel,
    SyntheticBandit,
    validate_estimators,
)
from simulacra.evaluation._diversity import DiversityReport, diversity_report, self_bleu
from simulacra.evaluation._drift import CurvePoint, DriftReport, drift_items, drift_report
from simulacra.evaluation._fidelity import (
    Comparison,
    Distinguishability,
    FidelityReport,
    fidelity_report,
)
from simulacra.evaluation._inline import InlineJudge, InlineJudging
from simulacra.evaluation._judge import (
    BaselineJudge,
    JudgeItem,
    RubricJudge,
    Verdict,
    conversation_items,
    judge_run,
)
from simulacra.evaluation._meta import MetaReport, correlate, meta_evaluate
from simulacra.evaluation._metrics import (
    METRICS,
    MetricsReport,
    compute_metrics,
    distinct_n,
    pass_hat_k,
)
from simulacra.evaluation._population import Population, corpus_population, load_population
from simulacra.evaluation._probes import Interviewer, Probe, ProbeRun, knowledge_probes, run_probes
from simulacra.evaluation._ratings import (
    RatedItem,
    read_ab_redial,
    read_predictive_engagement,
    read_ratings,
)
from simulacra.evaluation._reliability import (
    cohen_kappa,
    compare_pair,
    ensemble,
    fleiss_kappa,
    krippendorff_alpha,
    position_bias,
)
from simulacra.evaluation._robustness import (
    MetricShift,
    RobustnessReport,
    ShiftReport,
    compare_runs,
)
from simulacra.evaluation._role import (
    ROLE_VIOLATIONS,
    RoleAdherence,
    role_adherence,
    role_violation,
)
from simulacra.evaluation._rubric import Rubric, list_rubrics, load_rubric
from simulacra.evaluation._stats import Estimate, bootstrap_mean, bootstrap_mean_difference, wilson

__all__ = [
    "AUDIT_RULES",
    "METRICS",
    "ROLE_VIOLATIONS",
    "AgreementReport",
    "ArenaReport",
    "AuditFlag",
    "AuditReport",
    "BaselineJudge",
    "Battle",
    "Comparison",
    "ConsistencyReport",
    "ConversationSimulator",
    "CounterfactualReport",
    "CurvePoint",
    "Distinguishability",
    "DiversityReport",
    "DriftReport",
    "Estimate",
    "FidelityReport",
    "Flag",
    "InlineJudge",
    "InlineJudging",
    "Interviewer",
    "JudgeItem",
    "LinearRewardModel",
    "LoggedDecision",
    "MetaReport",
    "MetricShift",
    "MetricsReport",
    "OffPolicyEstimate",
    "PolicyRule",
    "Population",
    "Probe",
    "ProbeRun",
    "Ranking",
    "RatedItem",
    "Rating",
    "RewardModel",
    "RobustnessReport",
    "RoleAdherence",
    "Rubric",
    "RubricJudge",
    "ShiftReport",
    "SimulatedRewardModel",
    "Study",
    "SyntheticBandit",
    "SystemRating",
    "TablePolicy",
    "TurnCheck",
    "Verdict",
    "WinRates",
    "agreement",
    "arena",
    "audit_report",
    "blind_transcript",
    "bootstrap_correlation",
    "bootstrap_mean",
    "bootstrap_mean_difference",
    "bradley_terry",
    "check_consistency",
    "check_support",
    "cohen_kappa",
    "compare_pair",
    "compare_runs",
    "compute_metrics",
    "conversation_items",
    "corpus_population",
    "correlate",
    "decisions_from_run",
    "distinct_n",
    "diversity_report",
    "drift_items",
    "drift_report",
    "elo",
    "ensemble",
    "export_csv",
    "fidelity_report",
    "fit_reward_model",
    "fleiss_kappa",
    "human_scores",
    "import_csv",
    "judge_consistency",
    "judge_run",
    "knowledge_probes",
    "krippendorff_alpha",
    "likert_study",
    "list_rubrics",
    "load_policy",
    "load_population",
    "load_rubric",
    "meta_evaluate",
    "off_policy_evaluate",
    "pairwise_study",
    "pass_hat_k",
    "position_bias",
    "read_ab_redial",
    "read_annotations",
    "read_decisions",
    "read_key",
    "read_predictive_engagement",
    "read_ratings",
    "read_study",
    "role_adherence",
    "role_violation",
    "run_probes",
    "self_bleu",
    "validate_estimators",
    "wilson",
    "win_rates",
]
