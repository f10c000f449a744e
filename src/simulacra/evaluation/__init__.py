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
from simulacra.evaluation._consistency import ConsistencyReport, Flag, TurnCheck, check_consistency
from simulacra.evaluation._consistency_judge import judge_consistency
from simulacra.evaluation._fidelity import (
    Comparison,
    Distinguishability,
    FidelityReport,
    fidelity_report,
)
from simulacra.evaluation._judge import (
    BaselineJudge,
    JudgeItem,
    RubricJudge,
    Verdict,
    conversation_items,
    judge_run,
)
from simulacra.evaluation._meta import MetaReport, correlate, meta_evaluate
from simulacra.evaluation._metrics import METRICS, MetricsReport, compute_metrics, pass_hat_k
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
    "METRICS",
    "ROLE_VIOLATIONS",
    "AgreementReport",
    "ArenaReport",
    "BaselineJudge",
    "Battle",
    "Comparison",
    "ConsistencyReport",
    "Distinguishability",
    "Estimate",
    "FidelityReport",
    "Flag",
    "Interviewer",
    "JudgeItem",
    "MetaReport",
    "MetricsReport",
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
    "blind_transcript",
    "bootstrap_mean",
    "bootstrap_mean_difference",
    "bradley_terry",
    "check_consistency",
    "cohen_kappa",
    "compare_pair",
    "compute_metrics",
    "conversation_items",
    "correlate",
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
    "wilson",
    "win_rates",
]
