"""Goals and scenarios: what a simulated user wants.

The data floor for tasks, below the corpora that produce goals (:mod:`simulacra.datasets`) and the
participants that pursue them (:mod:`simulacra.participants`):

- :class:`TaskGoal` / :class:`DomainGoal`: a structured goal per domain (service): intents,
  constraints, requests, booking (MultiWOZ-style; any schema with ``open_goals``);
- the MultiWOZ ontology (:data:`DOMAINS`, :data:`BOOK_SLOTS`, :data:`REQUESTABLE`) and
  :class:`DialogueAct` with its text form (:func:`format_acts`, :func:`parse_acts`);
- :class:`Schema`: which services and slots a goal may use (:func:`load_schema` reads a schema
  file);
- :class:`ScenarioConfig`: one ``scenarios:`` entry of a run config, and the ``{name}`` templates
  it fills (:func:`render_template`).
"""

from simulacra.scenarios._config import ScenarioConfig, ScenarioTarget, render_template
from simulacra.scenarios._goal import DONTCARE, DomainGoal, TaskGoal, task_from_record
from simulacra.scenarios._ontology import (
    BOOK_SLOTS,
    DOMAINS,
    REQUESTABLE,
    DialogueAct,
    did_you_mean,
    format_acts,
    normalise_slot,
    parse_acts,
)
from simulacra.scenarios._schema import (
    MULTIWOZ_SCHEMA,
    Schema,
    ServiceSchema,
    load_schema,
    schema_from_goals,
    slot_words,
)

__all__ = [
    "BOOK_SLOTS",
    "DOMAINS",
    "DONTCARE",
    "MULTIWOZ_SCHEMA",
    "REQUESTABLE",
    "DialogueAct",
    "DomainGoal",
    "ScenarioConfig",
    "ScenarioTarget",
    "Schema",
    "ServiceSchema",
    "TaskGoal",
    "did_you_mean",
    "format_acts",
    "load_schema",
    "normalise_slot",
    "parse_acts",
    "render_template",
    "schema_from_goals",
    "slot_words",
    "task_from_record",
]
