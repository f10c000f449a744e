"""Declarative distribution shifts of a run config (survey §6: robustness to distribution shifts
and adversarial prompts, generalisation across topics and user profiles).

A shift is ``KIND[:ARG]``:

- ``typos:RATE`` — about RATE of the simulated user's words get a typo (the persona knob
  ``behaviour.typo_rate``, applied mechanically by the goal-state and prompted users; a general
  user becomes an
  attribute-less persona that keeps the general user's description), and the user's scripted
  opening line, if any, is corrupted at the same rate;
- ``paraphrase[:template|llm]`` — every scenario goal is rewritten: by packaged phrase rules
  (seeded), or by a model whose rewrite must keep every number and slot value (else the template
  rewrite is used, and noted);
- ``persona:PRESET|FILE.yaml`` — the persona mix moves: each profile's attributes named by the
  preset (``older``, ``younger``, ``novice``, ``expert``, ``impatient``) or by the file (attribute
  path → distribution, as in a population spec) are resampled from the new distribution;
- ``adversarial:KIND`` — the simulated user attacks (``prompt_injection``, ``jailbreak``,
  ``role_break``; package data ``robustness/data/adversarial.yaml``): the attack's instructions
  are appended to each scenario's, and when the user speaks first without an opening, the
  attack's scripted first line becomes the opening.

Ids of scenarios and profiles never change, so a shifted run's conversations have the same
work-item ids as the baseline's and pair up one to one. :func:`config_diff` lists what a shift
changed; every shift must change something, and none may leave an empty goal.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simulacra._validation import read_yaml, summarise
from simulacra.conversation import Conversation, ParticipantKind
from simulacra.errors import ConfigError
from simulacra.models import Model
from simulacra.participants import GoalStateOptions, render_profile
from simulacra.participants._noise import add_typos, knob_rng
from simulacra.profiles import (
    AttributeSpec,
    GeneralUser,
    Hybrid,
    Persona,
    PopulationSpec,
    Profile,
    sample_population,
)
from simulacra.robustness._paraphrase import llm_paraphrase, template_paraphrase
from simulacra.runs import RunConfig, ScenarioConfig, UserConfig

__all__ = [
    "PERSONA_PRESETS",
    "SHIFT_KINDS",
    "Attack",
    "Shift",
    "ShiftedConfig",
    "apply_shift",
    "attack_succeeded",
    "config_diff",
    "load_attacks",
    "parse_shift",
]

SHIFT_KINDS = {
    "typos": "typos:RATE — typo rate of the simulated user, in (0, 1]",
    "paraphrase": "paraphrase[:template|llm] — rewritten scenario goals",
    "persona": "persona:PRESET|FILE.yaml — resampled persona attributes",
    "adversarial": "adversarial:KIND — an attacking user",
}

PERSONA_PRESETS: dict[str, dict[str, dict[str, Any]]] = {
    "older": {
        "demographics.age": {"normal": {"mean": 72, "sd": 6}, "clip": [60, 95], "integer": True}
    },
    "younger": {
        "demographics.age": {"normal": {"mean": 21, "sd": 3}, "clip": [16, 29], "integer": True}
    },
    "novice": {"behaviour.expertise": {"uniform": [0.0, 0.2]}},
    "expert": {"behaviour.expertise": {"uniform": [0.8, 1.0]}},
    "impatient": {"behaviour.patience": {"uniform": [0.0, 0.2]}},
}
"""Built-in persona shifts: attribute path → new distribution (population-spec syntax)."""


@dataclass(frozen=True)
class Attack:
    """An adversarial user (package data).

    Attributes:
        kind: ``prompt_injection``, ``jailbreak`` or ``role_break``.
        instructions: Added to the simulated user's scenario instructions.
        opening: The scripted first user line.
        success_patterns: Case-insensitive regexes; a target turn matching one = attack succeeded.
        ref: ``robustness/adversarial@<version>``.
    """

    kind: str
    instructions: str
    opening: str
    success_patterns: tuple[str, ...]
    ref: str


@functools.cache
def load_attacks() -> dict[str, Attack]:
    """The packaged adversarial users, by kind."""
    text = resources.files("simulacra.robustness").joinpath("data/adversarial.yaml")
    data = yaml.safe_load(text.read_text(encoding="utf-8"))
    ref = f"{data['id']}@{data['version']}"
    return {
        kind: Attack(
            kind=kind,
            instructions=" ".join(str(a["instructions"]).split()),
            opening=" ".join(str(a["opening"]).split()),
            success_patterns=tuple(a["success_patterns"]),
            ref=ref,
        )
        for kind, a in data["attacks"].items()
    }


def attack_succeeded(conversation: Conversation, kind: str) -> bool:
    """Whether a target turn matches one of the attack's success patterns."""
    attack = load_attacks()[kind]
    systems = {
        p.id for p in conversation.participants if p.kind is not ParticipantKind.SIMULATED_HUMAN
    }
    patterns = [re.compile(p, re.IGNORECASE) for p in attack.success_patterns]
    return any(
        p.search(t.utterance) for t in conversation.turns if t.speaker in systems for p in patterns
    )


@dataclass(frozen=True)
class Shift:
    """One declared shift: ``kind`` and its argument."""

    kind: str
    arg: str | None = None

    @property
    def label(self) -> str:
        """``kind:arg`` as written."""
        return self.kind if self.arg is None else f"{self.kind}:{self.arg}"

    @property
    def slug(self) -> str:
        """A file-name-safe label."""
        return re.sub(r"[^A-Za-z0-9._-]+", "-", self.label.replace(":", "-")).strip("-")


def _did_you_mean(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def parse_shift(text: str) -> Shift:
    """Parse ``KIND[:ARG]``.

    Raises:
        ConfigError: Unknown kind or argument, or a rate outside (0, 1].
    """
    kind, _, arg = text.strip().partition(":")
    where = f"--shift {text}"
    if kind not in SHIFT_KINDS:
        known = ", ".join(SHIFT_KINDS)
        raise ConfigError(
            f"{where}: unknown shift {kind!r}{_did_you_mean(kind, list(SHIFT_KINDS))} "
            f"(known: {known})"
        )
    if kind == "typos":
        try:
            rate = float(arg)
        except ValueError:
            raise ConfigError(f"{where}: give a typo rate, e.g. typos:0.1") from None
        if not 0 < rate <= 1:
            raise ConfigError(f"{where}: the typo rate must be in (0, 1], got {arg}")
    elif kind == "paraphrase":
        arg = arg or "template"
        if arg not in ("template", "llm"):
            raise ConfigError(f"{where}: paraphrase is 'template' or 'llm', got {arg!r}")
    elif kind == "persona":
        if not arg:
            raise ConfigError(
                f"{where}: give a preset ({', '.join(PERSONA_PRESETS)}) or a YAML file"
            )
        if arg not in PERSONA_PRESETS and not arg.endswith((".yaml", ".yml")):
            raise ConfigError(
                f"{where}: unknown preset {arg!r}{_did_you_mean(arg, list(PERSONA_PRESETS))} "
                f"(presets: {', '.join(PERSONA_PRESETS)}; or a .yaml file)"
            )
    elif kind == "adversarial":
        attacks = list(load_attacks())
        if arg not in attacks:
            raise ConfigError(
                f"{where}: unknown attack {arg!r}{_did_you_mean(arg, attacks)} "
                f"(known: {', '.join(attacks)})"
            )
    return Shift(kind, arg or None)


@dataclass
class ShiftedConfig:
    """A shifted config and what changed.

    Attributes:
        shift: The shift.
        config: The shifted config (same name, seeds and ids as the baseline).
        changes: The changed fields (:func:`config_diff` against the baseline).
        notes: Anything worth knowing (a paraphrase that fell back to the rules...).
    """

    shift: Shift
    config: RunConfig
    changes: list[str]
    notes: list[str] = field(default_factory=list)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            # Profiles without an id are keyed as their profile_id() ("general:User").
            key = v.get("id") or (f"{v['kind']}:{v.get('name', 'User')}" if "kind" in v else i)
            _flatten(v, f"{prefix}[{key}]", out)
    else:
        out[prefix] = value


def config_diff(before: RunConfig, after: RunConfig) -> list[str]:
    """The leaf fields that differ, e.g. ``scenarios[s1].goal`` or
    ``profiles[p1].behaviour.typo_rate``."""
    a: dict[str, Any] = {}
    b: dict[str, Any] = {}
    _flatten(before.model_dump(mode="json"), "", a)
    _flatten(after.model_dump(mode="json"), "", b)
    return sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))


def _set_path(data: dict[str, Any], path: str, value: Any) -> None:
    head, _, tail = path.partition(".")
    if not tail:
        data[head] = value
        return
    section = data.get(head)
    if not isinstance(section, dict):
        section = {}
        data[head] = section
    section[tail] = value


def _with_attributes(profile: Profile, values: Mapping[str, Any], where: str) -> Profile:
    """The profile with these persona attribute paths set (a general user becomes a persona)."""
    if isinstance(profile, GeneralUser):
        text, _ = render_profile(profile)
        profile = Persona(
            id=profile.profile_id(), name=profile.name, description=" ".join(text.split())
        )
    if isinstance(profile, Persona):
        data = profile.model_dump()
        for path, value in values.items():
            _set_path(data, path, value)
        try:
            return Persona.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(f"{where}: {summarise(exc, model=Persona)}") from None
    if isinstance(profile, Hybrid):
        parts = list(profile.parts)
        for i, part in enumerate(parts):
            if isinstance(part, Persona):
                new = _with_attributes(part, values, where)
                assert isinstance(new, Persona)
                parts[i] = new
                return profile.model_copy(update={"parts": parts})
    raise ConfigError(
        f"{where}: profile {profile.profile_id()!r} ({profile.kind}) has no persona attributes "
        "to shift; use a general user, a persona or a hybrid with a persona part"
    )


def _persona_specs(shift: Shift, base: Path | None) -> dict[str, AttributeSpec]:
    assert shift.arg is not None
    where = f"--shift {shift.label}"
    raw: object
    if shift.arg in PERSONA_PRESETS:
        raw = PERSONA_PRESETS[shift.arg]
    else:
        path = Path(shift.arg)
        if not path.is_absolute() and base is not None and not path.exists():
            path = base / path
        raw = read_yaml(path)
        where = str(path)
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(
            f"{where}: expected a mapping of attribute path -> distribution, got none"
        )
    try:
        spec = PopulationSpec.model_validate({"n": 1, "attributes": raw})
    except ValidationError as exc:
        raise ConfigError(f"{where}: {summarise(exc, model=PopulationSpec)}") from None
    return spec.attributes


async def apply_shift(
    config: RunConfig,
    shift: Shift,
    *,
    paraphrase_model: Model | None = None,
    base_dir: Path | None = None,
) -> ShiftedConfig:
    """The config with ``shift`` applied.

    Args:
        config: The baseline (a prompted-user, human–AI config).
        shift: What to change.
        paraphrase_model: The model of ``paraphrase:llm``.
        base_dir: Where relative persona files are looked up (the config's folder).

    Raises:
        ConfigError: The shift does not apply to this config, would leave an empty goal, or
            changes nothing.
    """
    where = f"--shift {shift.label}"
    if config.paradigm is not None or not isinstance(config.user, UserConfig | GoalStateOptions):
        raise ConfigError(
            f"{where}: shifts apply to a goal-state or prompted simulated user against a target "
            "(no paradigm, no agenda user)"
        )
    notes: list[str] = []
    scenarios = list(config.scenarios)
    profiles = list(config.profiles)
    if shift.kind == "typos":
        rate = float(shift.arg or 0)
        profiles = [
            _with_attributes(p, {"behaviour.typo_rate": rate}, f"{where}: profiles[{i}]")
            for i, p in enumerate(profiles)
        ]
        scenarios = [
            s.model_copy(
                update={"opening": add_typos(s.opening, rate, knob_rng(config.seed, s.id, 0))}
            )
            if s.opening and s.first_speaker == "user"
            else s
            for s in scenarios
        ]
    elif shift.kind == "paraphrase":
        scenarios = []
        for s in config.scenarios:
            goal = template_paraphrase(s.goal, seed=f"{config.seed}:{s.id}")
            if shift.arg == "llm":
                if paraphrase_model is None:
                    raise ConfigError(f"{where}: needs a paraphrase model")
                values = _task_values(s)
                rewritten, lost = await llm_paraphrase(
                    paraphrase_model, s.goal, values=values, seed=config.seed
                )
                if rewritten and not lost and rewritten != s.goal:
                    goal = rewritten
                else:
                    why = f"lost {', '.join(lost)}" if lost else "empty or unchanged"
                    notes.append(f"scenarios[{s.id}]: model paraphrase {why}; template rules used")
            if not goal.strip():
                raise ConfigError(f"{where}: scenarios[{s.id}]: the paraphrase is empty")
            scenarios.append(s.model_copy(update={"goal": goal}))
    elif shift.kind == "persona":
        specs = _persona_specs(shift, base_dir)
        population = sample_population(
            PopulationSpec(n=len(profiles), seed=config.seed, attributes=specs)
        )
        profiles = []
        for i, (p, drawn) in enumerate(zip(config.profiles, population, strict=True)):
            drawn_values = {path: _get_path(drawn.model_dump(), path) for path in specs}
            profiles.append(_with_attributes(p, drawn_values, f"{where}: profiles[{i}]"))
    else:
        attack = load_attacks()[shift.arg or ""]
        scenarios = []
        for s in config.scenarios:
            instructions = (
                f"{s.instructions}\n\n{attack.instructions}"
                if s.instructions
                else attack.instructions
            )
            update: dict[str, Any] = {"instructions": instructions}
            if s.first_speaker == "user" and not s.opening:
                update["opening"] = attack.opening
            scenarios.append(s.model_copy(update=update))
        notes.append(f"attack {attack.kind} from {attack.ref}")
    shifted = config.model_copy(update={"scenarios": scenarios, "profiles": profiles})
    changes = config_diff(config, shifted)
    if not changes:
        raise ConfigError(f"{where}: changes nothing in this config (no rule or attribute applies)")
    return ShiftedConfig(shift, shifted, changes, notes)


def _get_path(data: dict[str, Any], path: str) -> Any:
    head, _, tail = path.partition(".")
    value = data.get(head)
    return value.get(tail) if tail and isinstance(value, dict) else value


def _task_values(scenario: ScenarioConfig) -> list[str]:
    if scenario.task is None:
        return []
    out: list[str] = []
    for d in scenario.task.domains:
        out.extend(str(v) for v in d.inform.values())
        out.extend(str(v) for v in d.book.values())
    return [v for v in out if v and v != "dontcare"]
