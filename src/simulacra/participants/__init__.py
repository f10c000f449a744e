"""Participants: one async protocol for everything that speaks.

A :class:`Participant` has ``info`` and ``async respond(view) -> Reply``. Simulated users
(:class:`PromptedUser`), systems under test (:class:`CallableTarget`, :class:`ModelTarget`,
:class:`HTTPTarget`) and scripted test participants all fit, so human–AI, human–human, AI–AI and
group conversations fall out of one loop.
"""

from simulacra.participants._agenda import AgendaUser, AgendaUserOptions, agenda_user_from_options
from simulacra.participants._agenda_success import TaskSuccess, task_goal_check, task_success
from simulacra.participants._augmented import (
    AugmentedUser,
    ClassifierGate,
    LLMGate,
    RetrievalStage,
    StateStage,
    retrieval_rate,
)
from simulacra.participants._checklist import (
    Checklist,
    ChecklistItem,
    extract_checklist,
    rule_checklist,
)
from simulacra.participants._gated import gate_user
from simulacra.participants._goal_state import GoalStateOptions, GoalStateUser
from simulacra.participants._human import HUMAN_COMMANDS, HumanParticipant
from simulacra.participants._protocol import Participant, Reply, call_ref
from simulacra.participants._simulated_user import (
    STOP_SENTINEL,
    PromptedUser,
    Prompting,
    clean_utterance,
    render_profile,
)
from simulacra.participants._strategies import GeneratorVerifierUser
from simulacra.participants._style import StyleBank
from simulacra.participants._targets import CallableTarget, HTTPTarget, ModelTarget, TargetError
from simulacra.participants._techniques import (
    Technique,
    build_technique_user,
    multiwoz_exemplars,
    normalise_techniques,
    prepare_techniques,
)
from simulacra.participants._validity import (
    DETECTORS,
    GatedUser,
    Regenerable,
    ValidityGate,
    ValidityOptions,
    is_simulator_invalid,
    mark_simulator_validity,
    simulator_validity,
)
from simulacra.participants._voice import UserVoiceScorer, VoiceExample, train_user_voice
from simulacra.scenarios import DialogueAct, DomainGoal, TaskGoal

__all__ = [
    "DETECTORS",
    "HUMAN_COMMANDS",
    "STOP_SENTINEL",
    "AgendaUser",
    "AgendaUserOptions",
    "AugmentedUser",
    "CallableTarget",
    "Checklist",
    "ChecklistItem",
    "ClassifierGate",
    "DialogueAct",
    "DomainGoal",
    "GatedUser",
    "GeneratorVerifierUser",
    "GoalStateOptions",
    "GoalStateUser",
    "HTTPTarget",
    "HumanParticipant",
    "LLMGate",
    "ModelTarget",
    "Participant",
    "PromptedUser",
    "Prompting",
    "Regenerable",
    "Reply",
    "RetrievalStage",
    "StateStage",
    "StyleBank",
    "TargetError",
    "TaskGoal",
    "TaskSuccess",
    "Technique",
    "UserVoiceScorer",
    "ValidityGate",
    "ValidityOptions",
    "VoiceExample",
    "agenda_user_from_options",
    "build_technique_user",
    "call_ref",
    "clean_utterance",
    "extract_checklist",
    "gate_user",
    "is_simulator_invalid",
    "mark_simulator_validity",
    "multiwoz_exemplars",
    "normalise_techniques",
    "prepare_techniques",
    "render_profile",
    "retrieval_rate",
    "rule_checklist",
    "simulator_validity",
    "task_goal_check",
    "task_success",
    "train_user_voice",
]
