"""Adapters from real corpora (read in their original formats) to Simulacra's shapes.

Real personas from the questionnaires of CaSiNo and PersuasionForGood; MultiWOZ 2.1 user goals
and real turns (for the agenda-based user and fidelity comparisons).
"""

from simulacra.datasets._multiwoz import (
    MultiWOZDialogue,
    MultiWOZScenario,
    multiwoz_dialogues,
    multiwoz_goals,
    multiwoz_scenarios,
)
from simulacra.datasets._personas import casino_personas, persuasionforgood_personas

__all__ = [
    "MultiWOZDialogue",
    "MultiWOZScenario",
    "casino_personas",
    "multiwoz_dialogues",
    "multiwoz_goals",
    "multiwoz_scenarios",
    "persuasionforgood_personas",
]
