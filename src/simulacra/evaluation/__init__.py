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
    "MetaReport",
    "MetricsReport",
    "Population",
    "Probe",
    "ProbeRun",
    "Ranking",
    "RatedItem",
    "Rating",
    "RoleAdherence",
    "Rubric",
    "RubricJudge",
    "Study",
    "SystemRating",
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
    "cohen_kappa",
    "compare_pair",
    "compute_metrics",
    "conversation_items",
    "corpus_population",
    "correlate",
    "distinct_n",
    "diversity_report",
    "drift_items",
    "drift_report",
    "elo",
    "ensemble",
    "export_csv",
    "fidelity_report",
    "fleiss_kappa",
    "human_scores",
    "import_csv",
    "judge_consistency",
    "judge_run",
    "knowledge_probes",
    "krippendorff_alpha",
    "likert_study",
    "list_rubrics",
    "load_population",
    "load_rubric",
    "meta_evaluate",
    "pairwise_study",
    "pass_hat_k",
    "position_bias",
    "read_ab_redial",
    "read_annotations",
    "read_key",
    "read_predictive_engagement",
    "read_ratings",
    "read_study",
    "role_adherence",
    "role_violation",
    "run_probes",
    "self_bleu",
    "wilson",
    "win_rates",
]
