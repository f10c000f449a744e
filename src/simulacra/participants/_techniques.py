"""User-simulator techniques declared in config, and the pipeline that stacks them (§5.5).

``user: {techniques: [persona, {few_shot: {multiwoz: PATH, k: 3}}, {retrieval: {...}},
{state: {}}, {verifier: {max_rejections: 2}}]}`` — see ``docs/techniques.md``.
"""

from __future__ import annotations

import functools
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from simulacra.errors import ConfigError
from simulacra.memory import (
    PreferenceState,
    Retriever,
    TrainedGate,
    load_corpus,
    load_gate,
    make_retriever,
)
from simulacra.models import GenerateConfig, Model
from simulacra.participants._agenda_goal import TaskGoal
from simulacra.participants._agenda_ontology import DOMAINS, did_you_mean
from simulacra.participants._augmented import (
    AugmentedUser,
    ClassifierGate,
    ContextStage,
    Gate,
    LLMGate,
    RetrievalStage,
    StateStage,
)
from simulacra.participants._protocol import Participant
from simulacra.participants._simulated_user import PromptedUser, Prompting
from simulacra.participants._strategies import GeneratorVerifierUser
from simulacra.profiles import Profile

__all__ = [
    "TECHNIQUES",
    "FewShotTechnique",
    "PersonaTechnique",
    "ReasoningTechnique",
    "RetrievalTechnique",
    "StateTechnique",
    "Technique",
    "VerifierTechnique",
    "build_technique_user",
    "multiwoz_exemplars",
    "normalise_techniques",
    "prepare_techniques",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PersonaTechnique(_Strict):
    """The profile in the prompt (always on; listed to record it in the pipeline)."""

    kind: Literal["persona"] = "persona"


class ReasoningTechnique(_Strict):
    """Hidden chain-of-thought (JSON), logged on the turn."""

    kind: Literal["reasoning"] = "reasoning"


class FewShotTechnique(_Strict):
    """Exemplars: real MultiWOZ user turns from dialogues in the scenario's domain(s).

    Attributes:
        multiwoz: A MultiWOZ file (relative to the config file).
        k: Exemplars per conversation (seeded choice per work item).
    """

    kind: Literal["few_shot"] = "few_shot"
    multiwoz: str
    k: int = Field(default=3, ge=1, le=20)


class RetrievalTechnique(_Strict):
    """Retrieval-augmented user.

    Attributes:
        corpus: ``.jsonl``/``.txt`` passages or a MultiWOZ file (real exchanges).
        method: ``bm25`` or ``embedding``.
        k: Passages per turn.
        trigger: ``always`` (KAUCUS/SRAG), ``gate`` (trained classifier, ``gate_model``) or
            ``llm_gate`` (the user model judges).
        gate_model: A gate file from ``simulacra gate train`` (for ``trigger: gate``).
        threshold: Override the gate's probability threshold.
        limit: Read at most this many passages.
    """

    kind: Literal["retrieval"] = "retrieval"
    corpus: str
    method: Literal["bm25", "embedding"] = "bm25"
    k: int = Field(default=2, ge=1, le=20)
    trigger: Literal["always", "gate", "llm_gate"] = "always"
    gate_model: str | None = None
    threshold: float | None = Field(default=None, ge=0, le=1)
    limit: int | None = Field(default=None, ge=1)


class StateTechnique(_Strict):
    """Goal/preference memory (CSHI): from the scenario's ``task``, or ``preferences``."""

    kind: Literal["state"] = "state"
    preferences: dict[str, str] = Field(default_factory=dict)


class VerifierTechnique(_Strict):
    """Generator–verifier (DuetSim): propose acts, verify, verbalise."""

    kind: Literal["verifier"] = "verifier"
    max_rejections: int = Field(default=2, ge=0, le=10)


Technique = Annotated[
    PersonaTechnique
    | ReasoningTechnique
    | FewShotTechnique
    | RetrievalTechnique
    | StateTechnique
    | VerifierTechnique,
    Field(discriminator="kind"),
]
TECHNIQUES = ("persona", "reasoning", "few_shot", "retrieval", "state", "verifier")


def normalise_techniques(value: Any) -> Any:
    """Turn ``[name, {name: {options}}]`` into ``[{kind: name, ...}]``; raises ``ValueError``
    on an unknown name (with "did you mean")."""
    if not isinstance(value, list):
        return value
    out: list[Any] = []
    for item in value:
        options: Any
        if isinstance(item, str):
            name, options = item, {}
        elif isinstance(item, dict) and "kind" not in item and len(item) == 1:
            name, options = next(iter(item.items()))
            options = options or {}
        else:
            out.append(item)
            continue
        if name not in TECHNIQUES:
            raise ValueError(
                f"unknown technique {name!r}{did_you_mean(str(name), TECHNIQUES)}; "
                f"known: {', '.join(TECHNIQUES)}"
            )
        if not isinstance(options, dict):
            raise ValueError(f"technique {name!r}: options must be a mapping")
        out.append({"kind": name, **options})
    return out


def _resolve(path: str, base: Path | None) -> str:
    p = Path(path)
    return str(p if p.is_absolute() or base is None else base / p)


@functools.lru_cache(maxsize=8)
def _retriever(corpus: str, method: str, limit: int | None) -> Retriever:
    passages = load_corpus(corpus, limit=limit)
    return make_retriever("embedding" if method == "embedding" else "bm25", passages)


@functools.lru_cache(maxsize=8)
def _gate(path: str) -> TrainedGate:
    return load_gate(path)


@functools.lru_cache(maxsize=4)
def _user_turns(path: str) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:
    from simulacra.datasets import multiwoz_dialogues

    return tuple(
        (frozenset(d.goal.domain_names), tuple(t.text for t in d.user_turns if t.text))
        for d in multiwoz_dialogues(path, with_turns=True)
    )


def multiwoz_exemplars(
    path: str | Path, *, domains: Sequence[str], k: int = 3, seed: int = 0
) -> list[str]:
    """``k`` real user turns (seeded choice) from MultiWOZ dialogues whose goal uses any of
    ``domains`` (all dialogues when none is given or none matches).

    Raises:
        ConfigError: If the file cannot be read.
    """
    data = _user_turns(str(path))
    wanted = set(domains)
    pool = [t for names, turns in data if not wanted or names & wanted for t in turns]
    if not pool:
        pool = [t for _, turns in data for t in turns]
    rng = random.Random(seed)
    return rng.sample(pool, min(k, len(pool)))


def prepare_techniques(techniques: Sequence[Technique], *, base: Path | None) -> list[Technique]:
    """Resolve paths against ``base`` and load what the techniques need now (corpus index,
    gate file), so bad input fails before a run starts.

    Raises:
        ConfigError: One line naming the technique and the problem.
    """
    out: list[Technique] = []
    for n, t in enumerate(techniques):
        where = f"user.techniques.{n}.{t.kind}"
        try:
            if isinstance(t, FewShotTechnique):
                t = t.model_copy(update={"multiwoz": _resolve(t.multiwoz, base)})
                _user_turns(t.multiwoz)
            elif isinstance(t, RetrievalTechnique):
                gate = _resolve(t.gate_model, base) if t.gate_model else None
                t = t.model_copy(update={"corpus": _resolve(t.corpus, base), "gate_model": gate})
                if t.trigger == "gate" and gate is None:
                    raise ConfigError("trigger 'gate' needs gate_model (simulacra gate train)")
                _retriever(t.corpus, t.method, t.limit)
                if t.trigger == "gate" and gate is not None:
                    _gate(gate)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        out.append(t)
    return out


def _domains(goal: str, task: TaskGoal | None) -> list[str]:
    if task is not None:
        return list(task.domain_names)
    low = goal.lower()
    return [d for d in DOMAINS if re.search(rf"\b{d}", low)]


def build_technique_user(
    techniques: Sequence[Technique],
    *,
    model: Model,
    goal: str,
    profile: Profile,
    task: TaskGoal | None = None,
    instructions: str | None = None,
    prompting: Prompting = "transcript",
    exemplars: Sequence[str] = (),
    reasoning: bool = False,
    seed: int | None = None,
) -> Participant:
    """A user built from a technique list: context stages in the listed order, then the
    generator (:class:`GeneratorVerifierUser` with ``verifier``, else :class:`PromptedUser`).

    Raises:
        ConfigError: On a technique that cannot be built (e.g. ``state`` with neither a
            structured task nor ``preferences``).
    """
    config = GenerateConfig(seed=seed)
    shots = list(exemplars)
    stages: list[ContextStage] = []
    verifier: VerifierTechnique | None = None
    for t in techniques:
        if isinstance(t, ReasoningTechnique):
            reasoning = True
        elif isinstance(t, FewShotTechnique):
            shots += multiwoz_exemplars(
                t.multiwoz, domains=_domains(goal, task), k=t.k, seed=seed or 0
            )
        elif isinstance(t, RetrievalTechnique):
            gate: Gate | None = None
            if t.trigger == "gate":
                assert t.gate_model is not None
                trained = _gate(t.gate_model)
                if t.threshold is not None:
                    trained.threshold = t.threshold
                gate = ClassifierGate(trained)
            elif t.trigger == "llm_gate":
                gate = LLMGate(model, name=profile.name, config=config)
            retriever = _retriever(t.corpus, t.method, t.limit)
            stages.append(RetrievalStage(retriever, k=t.k, gate=gate))
        elif isinstance(t, StateTechnique):
            if t.preferences:
                state = PreferenceState.from_preferences(t.preferences)
            elif task is not None:
                state = PreferenceState.from_task(task)
            else:
                raise ConfigError(
                    "technique 'state' needs a scenario with a structured task (or preferences)"
                )
            stages.append(StateStage(state))
        elif isinstance(t, VerifierTechnique):
            verifier = t
    generator: PromptedUser | GeneratorVerifierUser
    if verifier is not None:
        generator = GeneratorVerifierUser(
            model,
            goal=goal,
            profile=profile,
            max_rejections=verifier.max_rejections,
            instructions=instructions,
            config=config,
        )
    else:
        generator = PromptedUser(
            model,
            goal=goal,
            profile=profile,
            prompting=prompting,
            exemplars=shots,
            reasoning=reasoning,
            instructions=instructions,
            config=config,
        )
    return AugmentedUser(generator, stages=stages, goal=goal, pipeline=[t.kind for t in techniques])
