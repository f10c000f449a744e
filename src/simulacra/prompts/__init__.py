"""Versioned prompt templates, shipped as package data.

Each template is a YAML file under ``templates/`` with an ``id``, an integer ``version`` and a
Jinja2 ``template``. Every model call records the ids and versions of the templates that built it,
so a change of wording is visible in the run log.
"""

from simulacra.prompts._profiles import STOP_SENTINEL, render_profile
from simulacra.prompts._templates import PromptTemplate, get_template, list_templates

__all__ = ["STOP_SENTINEL", "PromptTemplate", "get_template", "list_templates", "render_profile"]
