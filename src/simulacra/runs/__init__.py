"""Runs: a YAML config becomes a run directory of conversations.

Layers: :func:`load_config` (file → :class:`RunConfig`), :func:`build_models` (names → objects),
:func:`execute_run` (work items → ``conversations.jsonl`` + ``run.json``); each work item runs
through its paradigm's registered runner (:mod:`simulacra.paradigms`; ``human_ai`` by default).
"""

from simulacra.log import RUN_SCHEMA_VERSION, read_conversations, read_run
from simulacra.runs._config import (
    RunConfig,
    ScenarioConfig,
    StopConfig,
    TargetConfig,
    UserConfig,
    load_config,
    parse_config,
)
from simulacra.runs._items import WorkItem, build_models, count_items, work_item_id, work_items
from simulacra.runs._play import PlayResult, Seat, parse_seat, play
from simulacra.runs._runner import RunControl, RunResult, execute_run
from simulacra.runs._store import RunWriter
from simulacra.runs._swaps import run_swapped

__all__ = [
    "RUN_SCHEMA_VERSION",
    "PlayResult",
    "RunConfig",
    "RunControl",
    "RunResult",
    "RunWriter",
    "ScenarioConfig",
    "Seat",
    "StopConfig",
    "TargetConfig",
    "UserConfig",
    "WorkItem",
    "build_models",
    "count_items",
    "execute_run",
    "load_config",
    "parse_config",
    "parse_seat",
    "play",
    "read_conversations",
    "read_run",
    "run_swapped",
    "work_item_id",
    "work_items",
]
