"""Participants: one async protocol for everything that speaks.

A :class:`Participant` has ``info`` and ``async respond(view) -> Reply``. Simulated users
(:class:`PromptedUser`), systems under test (:class:`CallableTarget`, :class:`ModelTarget`,
:class:`HTTPTarget`) and scripted test participants all fit, so human–AI, human–human, AI–AI and
group conversations fall out of one loop.
"""

from simulacra.participants._protocol import Participant, Reply, call_ref
from simulacra.participants._simulated_user import (
    STOP_SENTINEL,
    PromptedUser,
    Prompting,
    clean_utterance,
    render_profile,
)
from simulacra.participants._targets import CallableTarget, HTTPTarget, ModelTarget, TargetError

__all__ = [
    "STOP_SENTINEL",
    "CallableTarget",
    "HTTPTarget",
    "ModelTarget",
    "Participant",
    "PromptedUser",
    "Prompting",
    "Reply",
    "TargetError",
    "call_ref",
    "clean_utterance",
    "render_profile",
]
