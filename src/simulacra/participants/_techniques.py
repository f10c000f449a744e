"""User-simulator techniques declared in config, and the pipeline that stacks them (§5.5).

``user: {techniques: [persona, {few_shot: {corpus: PATH, k: 3}}, {retrieval: {...}},
{state: {}}, {verifier: {max_rejections: 2}}]}`` — see ``docs/techniques.md``.
"""

from __future__ import annotations

import functools
import json
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from simulacra.datasets import ADAPTERS, multiwoz_dialogues
from simulacra.datasets._real_turns import real_conversations, real_user_turns
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
from simulacra.scenarios import DOMAINS, TaskGoal, did_you_mean

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
    "few_shot_exemplars",
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


class _CorpusSource(_Strict):
    """Where real conversations come from: ``corpus`` (a run directory from ``simulacra data
    import``, a JSONL file of conversation records, or a corpus file with ``adapter`` or
    ``mapping``)."""

    adapter: str | None = None
    """The adapter that reads ``corpus`` (``abcd``, ``taskmaster``, ...)."""
    mapping: str | dict[str, Any] | None = None
    """The generic adapter's field mapping for ``corpus`` (a YAML file, or inline)."""

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # configs that name no corpus options keep the hash they had before them
        data: dict[str, Any] = handler(self)
        for key in ("adapter", "mapping", "corpus", "multiwoz"):
            if key in data and data[key] is None:
                del data[key]
        return data

    @model_validator(mode="after")
    def _adapter_known(self) -> _CorpusSource:
        if self.adapter is not None and self.adapter not in ADAPTERS:
            known = ", ".join(ADAPTERS)
            raise ValueError(f"adapter: unknown {self.adapter!r} (known: {known})")
        if self.adapter is not None and self.mapping is not None:
            raise ValueError("give 'adapter' or 'mapping', not both")
        return self

    def mapping_key(self) -> str | None:
        """The mapping as a hashable cache key."""
        if isinstance(self.mapping, dict):
            return json.dumps(self.mapping, sort_keys=True)
        return self.mapping


class FewShotTechnique(_CorpusSource):
    """Exemplars: real user turns from dialogues of the scenario's domain(s) / service(s).

    Attributes:
        multiwoz: A MultiWOZ file (relative to the config file).
        corpus: Any other corpus: a run directory (``simulacra data import``), a JSONL file of
            conversation records, or a corpus file with ``adapter`` / ``mapping``.
        k: Exemplars per conversation (seeded choice per work item).
    """

    kind: Literal["few_shot"] = "few_shot"
    multiwoz: str | None = None
    corpus: str | None = None
    k: int = Field(default=3, ge=1, le=20)

    @model_validator(mode="after")
    def _one_source(self) -> FewShotTechnique:
        if (self.multiwoz is None) == (self.corpus is None):
            raise ValueError("give one of 'multiwoz' (a MultiWOZ file) or 'corpus' (any corpus)")
        if self.multiwoz is not None and (self.adapter or self.mapping):
            raise ValueError("'adapter' and 'mapping' go with 'corpus'")
        return self


class RetrievalTechnique(_CorpusSource):
    """Retrieval-augmented user.

    Attributes:
        corpus: ``.jsonl``/``.txt`` passages, a MultiWOZ file (real exchanges), or real
            exchanges of any corpus: a run directory (``simulacra data import``), a JSONL file
            of conversation records, or a corpus file with ``adapter`` / ``mapping``.
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


def _mapping(key: str | None) -> str | dict[str, Any] | None:
    return json.loads(key) if key is not None and key.startswith("{") else key


@functools.lru_cache(maxsize=8)
def _retriever(
    corpus: str,
    method: str,
    limit: int | None,
    adapter: str | None = None,
    mapping: str | None = None,
) -> Retriever:
    passages = load_corpus(corpus, limit=limit, adapter=adapter, mapping=_mapping(mapping))
    return make_retriever("embedding" if method == "embedding" else "bm25", passages)


@functools.lru_cache(maxsize=8)
def _gate(path: str) -> TrainedGate:
    return load_gate(path)


@functools.lru_cache(maxsize=4)
def _user_turns(path: str) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:

    return tuple(
        (frozenset(d.goal.domain_names), tuple(t.text for t in d.user_turns if t.text))
        for d in multiwoz_dialogues(path, with_turns=True)
    )


@functools.lru_cache(maxsize=4)
def _corpus_turns(
    path: str, adapter: str | None, mapping: str | None
) -> tuple[tuple[frozenset[str], tuple[str, ...]], ...]:

    found = real_user_turns(real_conversations(path, adapter=adapter, mapping=_mapping(mapping)))
    if not found:
        raise ConfigError(f"{path}: holds no user turns to take exemplars from")
    return tuple(found)


def _exemplars(
    data: Sequence[tuple[frozenset[str], tuple[str, ...]]],
    domains: Sequence[str],
    k: int,
    seed: int,
) -> list[str]:
    wanted = {d.lower() for d in domains}
    pool = [t for names, turns in data if not wanted or names & wanted for t in turns]
    if not pool:
        pool = [t for _, turns in data for t in turns]
    rng = random.Random(seed)
    return rng.sample(pool, min(k, len(pool)))


def few_shot_exemplars(
    technique: FewShotTechnique, *, domains: Sequence[str], seed: int = 0
) -> list[str]:
    """``technique.k`` real user turns (seeded choice) from dialogues of ``domains`` (services;
    all dialogues when none is given or none matches), from its MultiWOZ file or corpus.

    Raises:
        ConfigError: If the corpus cannot be read.
    """
    if technique.multiwoz is not None:
        data = _user_turns(technique.multiwoz)
    else:
        assert technique.corpus is not None
        data = _corpus_turns(technique.corpus, technique.adapter, technique.mapping_key())
    return _exemplars(data, domains, technique.k, seed)


def multiwoz_exemplars(
    path: str | Path, *, domains: Sequence[str], k: int = 3, seed: int = 0
) -> list[str]:
    """``k`` real user turns (seeded choice) from MultiWOZ dialogues whose goal uses any of
    ``domains`` (all dialogues when none is given or none matches).

    Raises:
        ConfigError: If the file cannot be read.
    """
    return _exemplars(_user_turns(str(path)), domains, k, seed)


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
                t = _resolved_source(t, base)
                if t.multiwoz is not None:
                    _multiwoz_file(t.multiwoz)
                    _user_turns(t.multiwoz)
                else:
                    assert t.corpus is not None
                    _corpus_turns(t.corpus, t.adapter, t.mapping_key())
            elif isinstance(t, RetrievalTechnique):
                gate = _resolve(t.gate_model, base) if t.gate_model else None
                t = _resolved_source(t, base).model_copy(update={"gate_model": gate})
                if t.trigger == "gate" and gate is None:
                    raise ConfigError("trigger 'gate' needs gate_model (simulacra gate train)")
                _retriever(t.corpus, t.method, t.limit, t.adapter, t.mapping_key())
                if t.trigger == "gate" and gate is not None:
                    _gate(gate)
        except ConfigError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        out.append(t)
    return out


_T = Any


def _resolved_source(t: _T, base: Path | None) -> _T:
    """``t`` with its corpus, MultiWOZ file and mapping file resolved against ``base``."""
    update: dict[str, Any] = {}
    for key in ("multiwoz", "corpus"):
        value = getattr(t, key, None)
        if value is not None:
            update[key] = _resolve(value, base)
    if isinstance(t.mapping, str):
        update["mapping"] = _resolve(t.mapping, base)
    return t.model_copy(update=update)


def _multiwoz_file(path: str) -> None:
    p = Path(path)
    if p.is_dir() or p.suffix.lower() in (".jsonl", ".csv", ".tsv"):
        raise ConfigError(
            f"{p}: not a MultiWOZ file; for another corpus (an imported run directory, "
            "or a file with 'adapter'/'mapping') use 'corpus:'"
        )


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
            shots += few_shot_exemplars(t, domains=_domains(goal, task), seed=seed or 0)
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
            retriever = _retriever(t.corpus, t.method, t.limit, t.adapter, t.mapping_key())
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
