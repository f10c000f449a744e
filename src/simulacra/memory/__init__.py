"""Retrieval over passages (survey §5.2): the memories of individuals, knowledge for
retrieval-augmented users.

- :class:`Passage`, :class:`Hit` and the :class:`Retriever` protocol
  (``search(query, k) -> list[Hit]``);
- :class:`BM25Retriever` — lexical, on ``bm25s`` (extra ``memory``);
- :class:`DenseRetriever` — sentence embeddings, on ``sentence-transformers`` with the packaged
  all-MiniLM-L6-v2, offline (extra ``embeddings``);
- :func:`make_retriever` — one of them by name.
"""

from __future__ import annotations

from simulacra.memory._base import Hit, Passage, Retriever
from simulacra.memory._bm25 import BM25Retriever
from simulacra.memory._corpus import load_corpus, multiwoz_reply_passages
from simulacra.memory._dense import (
    DenseRetriever,
    default_embedding_model_path,
    load_embedding_model,
)
from simulacra.memory._factory import make_retriever
from simulacra.memory._gate import (
    GateExample,
    TrainedGate,
    load_gate,
    multiwoz_gate_examples,
    train_gate,
)
from simulacra.memory._state import PreferenceState, SlotMemory

__all__ = [
    "BM25Retriever",
    "DenseRetriever",
    "GateExample",
    "Hit",
    "Passage",
    "PreferenceState",
    "Retriever",
    "SlotMemory",
    "TrainedGate",
    "default_embedding_model_path",
    "load_corpus",
    "load_embedding_model",
    "load_gate",
    "make_retriever",
    "multiwoz_gate_examples",
    "multiwoz_reply_passages",
    "train_gate",
]
