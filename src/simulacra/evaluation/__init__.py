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
from simulacra.evaluation._bias import (
    BiasReport,
    BiasTest,
    bias_audit,
    bias_audit_runs,
    holm,
    swap_profiles,
    swapped_configs,
)
from simulacra.evaluation._calibrate import (
    CalibratedJudge,
    Calibration,
    fit_calibration,
    leave_one_group_out,
    load_calibrations,
)
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
    RealBaseline,
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
from simulacra.evaluation._length_bias import (
    LengthBias,
    debias_length,
    length_bias,
    partial_spearman,
)
from simulacra.evaluation._likelihood import LikelihoodJudge, likelihood_features
from simulacra.evaluation._logprob import EmbeddedScorer, OpenAIScorer, TokenScorer
from simulacra.evaluation._meta import MetaReport, correlate, meta_evaluate
from simulacra.evaluation._metrics import (
    METRICS,
    MetricsReport,
    compute_metrics,
    distinct_n,
    pass_hat_k,
)
from simulacra.evaluation._perplexity import (
    PerplexityComparison,
    PerplexityReport,
    ReferenceLM,
    compare_perplexity,
    perplexity,
)
from simulacra.evaluation._population import Population, corpus_population, load_population
from simulacra.evaluation._probes import Interviewer, Probe, ProbeRun, knowledge_probes, run_probes
from simulacra.evaluation._psychometric import (
    PsychometricReport,
    administer,
    administer_population,
    psychometric_report,
)
from simulacra.evaluation._ratings import (
    RatedItem,
    read_ab_redial,
    read_predictive_engagement,
    read_ratings,
)
from simulacra.evaluation._ratings_topical import read_topical_chat_ratings
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
from simulacra.evaluation._text_measures import TurnMeasures, bias_lexicon, measure_turn
from simulacra.evaluation._weighted import (
    WeightedPair,
    WeightedRubricJudge,
    compare_weighted,
)

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
    "BiasReport",
    "BiasTest",
    "CalibratedJudge",
    "Calibration",
    "Comparison",
    "ConsistencyReport",
    "ConversationSimulator",
    "CounterfactualReport",
    "CurvePoint",
    "Distinguishability",
    "DiversityReport",
    "DriftReport",
    "EmbeddedScorer",
    "Estimate",
    "FidelityReport",
    "Flag",
    "InlineJudge",
    "InlineJudging",
    "Interviewer",
    "JudgeItem",
    "LengthBias",
    "LikelihoodJudge",
    "LinearRewardModel",
    "LoggedDecision",
    "MetaReport",
    "MetricShift",
    "MetricsReport",
    "OffPolicyEstimate",
    "OpenAIScorer",
    "PerplexityComparison",
    "PerplexityReport",
    "PolicyRule",
    "Population",
    "Probe",
    "ProbeRun",
    "PsychometricReport",
    "Ranking",
    "RatedItem",
    "Rating",
    "RealBaseline",
    "ReferenceLM",
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
    "TokenScorer",
    "TurnCheck",
    "TurnMeasures",
    "Verdict",
    "WeightedPair",
    "WeightedRubricJudge",
    "WinRates",
    "administer",
    "administer_population",
    "agreement",
    "arena",
    "audit_report",
    "bias_audit",
    "bias_audit_runs",
    "bias_lexicon",
    "blind_transcript",
    "bootstrap_correlation",
    "bootstrap_mean",
    "bootstrap_mean_difference",
    "bradley_terry",
    "check_consistency",
    "check_support",
    "cohen_kappa",
    "compare_pair",
    "compare_perplexity",
    "compare_runs",
    "compare_weighted",
    "compute_metrics",
    "conversation_items",
    "corpus_population",
    "correlate",
    "debias_length",
    "decisions_from_run",
    "distinct_n",
    "diversity_report",
    "drift_items",
    "drift_report",
    "elo",
    "ensemble",
    "export_csv",
    "fidelity_report",
    "fit_calibration",
    "fit_reward_model",
    "fleiss_kappa",
    "holm",
    "human_scores",
    "import_csv",
    "judge_consistency",
    "judge_run",
    "knowledge_probes",
    "krippendorff_alpha",
    "leave_one_group_out",
    "length_bias",
    "likelihood_features",
    "likert_study",
    "list_rubrics",
    "load_calibrations",
    "load_policy",
    "load_population",
    "load_rubric",
    "measure_turn",
    "meta_evaluate",
    "off_policy_evaluate",
    "pairwise_study",
    "partial_spearman",
    "pass_hat_k",
    "perplexity",
    "position_bias",
    "psychometric_report",
    "read_ab_redial",
    "read_annotations",
    "read_decisions",
    "read_key",
    "read_predictive_engagement",
    "read_ratings",
    "read_study",
    "read_topical_chat_ratings",
    "role_adherence",
    "role_violation",
    "run_probes",
    "self_bleu",
    "swap_profiles",
    "swapped_configs",
    "validate_estimators",
    "wilson",
    "win_rates",
]
