"""Application recipes (survey §8, Appendix G): small, documented building blocks for testing
a chatbot with simulated users, conversational recommendation, tutoring with misconception
students, focus groups, and judged debates. See ``docs/recipes.md``; each has a CLI entry
(``simulacra recipe NAME``) and an example under ``examples/recipes/``."""

from simulacra.recipes._debate import debate_report, run_debates
from simulacra.recipes._education import (
    Misconception,
    MisconceptionSet,
    corrected_by_rule,
    correction_rubric,
    education_report,
    load_misconceptions,
    run_education,
)
from simulacra.recipes._focus_group import focus_group_report, judge_themes, keyword_themes
from simulacra.recipes._recommendation import (
    CatalogueRecommender,
    accepted_recommendation,
    catalogue_prompt,
    model_recommender,
    preference_goal,
    recommendation_report,
    run_recommendation,
)

__all__ = [
    "CatalogueRecommender",
    "Misconception",
    "MisconceptionSet",
    "accepted_recommendation",
    "catalogue_prompt",
    "corrected_by_rule",
    "correction_rubric",
    "debate_report",
    "education_report",
    "focus_group_report",
    "judge_themes",
    "keyword_themes",
    "load_misconceptions",
    "model_recommender",
    "preference_goal",
    "recommendation_report",
    "run_debates",
    "run_education",
    "run_recommendation",
]
