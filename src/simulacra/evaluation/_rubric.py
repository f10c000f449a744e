"""Judge rubrics: versioned YAML package data (``evaluation/data/rubric__<id>.yaml``).

A rubric has an ``id``, an integer ``version`` (bumped on every change of wording), a ``level``
(``turn``: judge one response given its context; ``dialogue``: judge a whole conversation), an
integer ``scale``, one or more ``dimensions`` with anchor descriptions, and optional few-shot
calibration ``examples``. :meth:`Rubric.prompt` builds the explain-then-score prompt and
:meth:`Rubric.answer_schema` the JSON schema the judge's answer is constrained to.
"""

from __future__ import annotations

import difflib
import functools
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simulacra.errors import ConfigError

__all__ = ["Dimension", "Example", "Rubric", "Scale", "list_rubrics", "load_rubric"]

_PREFIX = "rubric__"


class Scale(BaseModel):
    """An integer rating scale ``min..max``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    min: int = 1
    max: int = 5


class Dimension(BaseModel):
    """One rated aspect, with anchor descriptions of (some of) its scale points."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    description: str
    anchors: dict[int, str] = Field(default_factory=dict)


class Example(BaseModel):
    """A few-shot calibration example: an input and the expected answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    context: list[str] = Field(default_factory=list)
    response: str = ""
    explanation: str
    scores: dict[str, int]


class Rubric(BaseModel):
    """A versioned judge rubric."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    version: int
    level: Literal["turn", "dialogue"]
    description: str = ""
    instructions: str
    scale: Scale = Scale()
    dimensions: list[Dimension] = Field(min_length=1)
    examples: list[Example] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Rubric:
        names = [d.name for d in self.dimensions]
        if "explanation" in names or len(set(names)) != len(names):
            raise ValueError("dimension names must be unique and not 'explanation'")
        for d in self.dimensions:
            bad = [a for a in d.anchors if not self.scale.min <= a <= self.scale.max]
            if bad:
                raise ValueError(f"dimension {d.name!r}: anchors {bad} are outside the scale")
        for e in self.examples:
            if set(e.scores) != set(names):
                raise ValueError(f"an example must score exactly the dimensions {names}")
        return self

    @property
    def ref(self) -> str:
        """``rubric/<id>@<version>``, recorded with every verdict."""
        return f"rubric/{self.id}@{self.version}"

    def answer_schema(self, *, explanation_chars: int = 200) -> dict[str, object]:
        """The JSON schema of an answer: ``explanation`` first, then one integer per dimension."""
        props: dict[str, object] = {
            "explanation": {"type": "string", "maxLength": explanation_chars}
        }
        for d in self.dimensions:
            props[d.name] = {
                "type": "integer",
                "minimum": self.scale.min,
                "maximum": self.scale.max,
            }
        return {"type": "object", "properties": props, "required": list(props)}

    def prompt(self, *, context: list[str], response: str | None) -> str:
        """The explain-then-score prompt for one item.

        Args:
            context: The conversation so far (``turn``) or the whole conversation
                (``dialogue``), one ``"Speaker: text"`` line per turn.
            response: The judged response (``turn`` level only).
        """
        lo, hi = self.scale.min, self.scale.max
        lines = [self.instructions.strip(), "", f"Rate on a scale from {lo} to {hi}:"]
        for d in self.dimensions:
            lines.append(f"- {d.name}: {d.description}")
            lines.extend(f"    {score} = {text}" for score, text in sorted(d.anchors.items()))
        for i, e in enumerate(self.examples, start=1):
            lines += ["", f"Example {i}:", *e.context]
            if e.response:
                lines.append(f"Response: {e.response}")
            answer = {"explanation": e.explanation, **e.scores}
            lines.append(f"Answer: {_json(answer)}")
        lines += ["", "Conversation:" if self.level == "dialogue" else "Conversation so far:"]
        lines.extend(context or ["(nothing yet)"])
        if response is not None:
            lines += ["", f"Response: {response}"]
        keys = ", ".join(f'"{d.name}"' for d in self.dimensions)
        lines += [
            "",
            'Answer in JSON: first "explanation" (one short sentence), then '
            f"{keys} (integers {lo}-{hi}).",
        ]
        return "\n".join(lines)


def _json(data: dict[str, object]) -> str:
    import json

    return json.dumps(data, ensure_ascii=False)


def _root() -> Path:
    return Path(str(resources.files("simulacra.evaluation").joinpath("data")))


def list_rubrics() -> list[str]:
    """Ids of the packaged rubrics."""
    return sorted(p.name[len(_PREFIX) : -5] for p in _root().glob(f"{_PREFIX}*.yaml"))


@functools.lru_cache(maxsize=32)
def load_rubric(rubric: str) -> Rubric:
    """Load a packaged rubric by id, or a rubric file by path (``.yaml``).

    Raises:
        ConfigError: If there is no such rubric (with a did-you-mean suggestion) or it is invalid.
    """
    path = (
        Path(rubric) if rubric.endswith((".yaml", ".yml")) else _root() / f"{_PREFIX}{rubric}.yaml"
    )
    if not path.is_file():
        known = list_rubrics()
        close = difflib.get_close_matches(rubric, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(f"rubric {rubric!r} not found{hint} (known: {', '.join(known)})")
    try:
        return Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (ValidationError, yaml.YAMLError) as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(f"{path}: invalid rubric ({first})") from None
