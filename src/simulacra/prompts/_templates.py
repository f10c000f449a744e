from __future__ import annotations

import functools
from importlib import resources
from typing import Any

import jinja2
import yaml
from pydantic import BaseModel, ConfigDict

from simulacra.errors import ConfigError

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
    autoescape=False,
)


class PromptTemplate(BaseModel):
    """A versioned prompt template.

    Attributes:
        id: Stable id, e.g. ``"user/transcript"``.
        version: Bumped on every change of wording.
        description: What it is for.
        template: Jinja2 source.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    version: int
    description: str = ""
    template: str

    @property
    def ref(self) -> str:
        """``id@version``, as recorded in run logs."""
        return f"{self.id}@{self.version}"

    def render(self, **variables: Any) -> str:
        """Render with the given variables (undefined variables are an error)."""
        return _compile(self.template).render(**variables).strip()


@functools.lru_cache(maxsize=256)
def _compile(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def _file_name(template_id: str) -> str:
    return template_id.replace("/", "__") + ".yaml"


@functools.lru_cache(maxsize=128)
def get_template(template_id: str) -> PromptTemplate:
    """Load a packaged template by id.

    Raises:
        ConfigError: If no template has this id.
    """
    root = resources.files("simulacra.prompts").joinpath("templates")
    path = root.joinpath(_file_name(template_id))
    if not path.is_file():
        known = ", ".join(list_templates())
        raise ConfigError(f"unknown prompt template {template_id!r} (known: {known})")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    tpl = PromptTemplate.model_validate(data)
    if tpl.id != template_id:
        raise ConfigError(f"template file {path.name} declares id {tpl.id!r}, not {template_id!r}")
    return tpl


def list_templates() -> list[str]:
    """Ids of all packaged templates."""
    root = resources.files("simulacra.prompts").joinpath("templates")
    return sorted(
        p.name.removesuffix(".yaml").replace("__", "/")
        for p in root.iterdir()
        if p.name.endswith(".yaml")
    )
