"""Robustness and generalisation (survey §6, H.2): declarative shifts of a run config (typos,
paraphrased goals, persona mix, adversarial users), a report of every metric's change under each
shift, and multi-session runs of users whose profile drifts on a schedule."""

from simulacra.robustness._paraphrase import llm_paraphrase, paraphrase_rules, template_paraphrase
from simulacra.robustness._run import Judge, run_robustness, task_checks
from simulacra.robustness._sessions import adaptation_curve, adaptation_lag, run_sessions
from simulacra.robustness._shifts import (
    PERSONA_PRESETS,
    SHIFT_KINDS,
    Attack,
    Shift,
    ShiftedConfig,
    apply_shift,
    attack_succeeded,
    config_diff,
    load_attacks,
    parse_shift,
)

__all__ = [
    "PERSONA_PRESETS",
    "SHIFT_KINDS",
    "Attack",
    "Judge",
    "Shift",
    "ShiftedConfig",
    "adaptation_curve",
    "adaptation_lag",
    "apply_shift",
    "attack_succeeded",
    "config_diff",
    "llm_paraphrase",
    "load_attacks",
    "paraphrase_rules",
    "parse_shift",
    "run_robustness",
    "run_sessions",
    "task_checks",
    "template_paraphrase",
]
