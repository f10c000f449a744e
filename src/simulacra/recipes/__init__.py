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
from simulacra.recipes._video_qa import (
    Cue,
    VideoQASpec,
    VideoSystem,
    captions_text,
    load_video_qa,
    parse_srt,
    parse_vtt,
    read_captions,
    run_video_qa,
    video_qa_table,
)

__all__ = [
    "CatalogueRecommender",
    "Cue",
    "Misconception",
    "MisconceptionSet",
    "VideoQASpec",
    "VideoSystem",
    "accepted_recommendation",
    "captions_text",
    "catalogue_prompt",
    "corrected_by_rule",
    "correction_rubric",
    "debate_report",
    "education_report",
    "focus_group_report",
    "judge_themes",
    "keyword_themes",
    "load_misconceptions",
    "load_video_qa",
    "model_recommender",
    "parse_srt",
    "parse_vtt",
    "preference_goal",
    "read_captions",
    "recommendation_report",
    "run_debates",
    "run_education",
    "run_recommendation",
    "run_video_qa",
    "video_qa_table",
]
