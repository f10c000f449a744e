"""Simulacra: LLM-based conversational user simulation.

The curated public API. Subpackages: :mod:`simulacra.models`, :mod:`simulacra.participants`,
:mod:`simulacra.profiles`, :mod:`simulacra.orchestration`, :mod:`simulacra.runs`,
:mod:`simulacra.testing`.
"""

# First: a Ctrl-C while the `simulacra` command starts is one line, not a traceback.
from simulacra import _signals  # noqa: F401

# isort: split
from simulacra._version import __version__
from simulacra.conversation import (
    SCHEMA_VERSION,
    Conversation,
    ModelCallRef,
    ParticipantInfo,
    ParticipantKind,
    TerminationReason,
    Turn,
    View,
    ViewMessage,
)
from simulacra.models import ChatMessage, GenerateConfig, Model, get_model
from simulacra.orchestration import StopConditions, run_conversation
from simulacra.participants import (
    CallableTarget,
    HTTPTarget,
    ModelTarget,
    Participant,
    PromptedUser,
    Reply,
)
from simulacra.profiles import GeneralUser, Individual, Persona, RolePlay

__all__ = [
    "SCHEMA_VERSION",
    "CallableTarget",
    "ChatMessage",
    "Conversation",
    "GeneralUser",
    "GenerateConfig",
    "HTTPTarget",
    "Individual",
    "Model",
    "ModelCallRef",
    "ModelTarget",
    "Participant",
    "ParticipantInfo",
    "ParticipantKind",
    "Persona",
    "PromptedUser",
    "Reply",
    "RolePlay",
    "StopConditions",
    "TerminationReason",
    "Turn",
    "View",
    "ViewMessage",
    "__version__",
    "get_model",
    "run_conversation",
]
