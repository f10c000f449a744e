"""Adapters from real corpora (read in their original formats) to Simulacra's shapes, and
exports of conversations as training data with provenance.

Real personas from the questionnaires of CaSiNo and PersuasionForGood; MultiWOZ 2.1 user goals
and real turns (for the agenda-based user and fidelity comparisons); whole corpora as
:class:`~simulacra.Conversation` s (:func:`import_corpus`, :data:`ADAPTERS`); chat-messages,
prompt/completion and DPO rows from the simulated user's side, Hugging Face datasets and
dataset cards (see docs/datasets.md).
"""

from simulacra.datasets._adapters import ADAPTERS, Adapter, import_corpus
from simulacra.datasets._card import corpus_stats, dataset_card
from simulacra.datasets._casino_json import casino_records
from simulacra.datasets._export import (
    FORMAT_VERSION,
    chat_examples,
    save_hf_dataset,
    system_prompt,
    write_jsonl,
)
from simulacra.datasets._generic import GenericMapping, load_mapping
from simulacra.datasets._multiwoz import (
    MultiWOZDialogue,
    MultiWOZScenario,
    multiwoz_dialogues,
    multiwoz_goals,
    multiwoz_scenarios,
)
from simulacra.datasets._pairs import (
    Candidate,
    Scores,
    preference_pairs,
    read_judgments,
    segment_pairs,
    turn_pairs,
)
from simulacra.datasets._personas import casino_personas, persuasionforgood_personas
from simulacra.datasets._source import (
    ConversationSource,
    Provenance,
    load_source,
    user_participant,
)

__all__ = [
    "ADAPTERS",
    "FORMAT_VERSION",
    "Adapter",
    "Candidate",
    "ConversationSource",
    "GenericMapping",
    "MultiWOZDialogue",
    "MultiWOZScenario",
    "Provenance",
    "Scores",
    "casino_personas",
    "casino_records",
    "chat_examples",
    "corpus_stats",
    "dataset_card",
    "import_corpus",
    "load_mapping",
    "load_source",
    "multiwoz_dialogues",
    "multiwoz_goals",
    "multiwoz_scenarios",
    "persuasionforgood_personas",
    "preference_pairs",
    "read_judgments",
    "save_hf_dataset",
    "segment_pairs",
    "system_prompt",
    "turn_pairs",
    "user_participant",
    "write_jsonl",
]
