"""Adapters from real corpora (read in their original formats) to Simulacra's shapes.

First part: real personas from the questionnaires of CaSiNo and PersuasionForGood.
"""

from simulacra.datasets._personas import casino_personas, persuasionforgood_personas

__all__ = ["casino_personas", "persuasionforgood_personas"]
