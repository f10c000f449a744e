"""The run directory format, for readers (issue #17).

A run directory holds ``run.json`` (what was run: name, config, its sha, the schema version,
statistics; typed as :class:`RunManifest` by :func:`read_manifest`) and
``conversations.jsonl`` (what happened: one schema-versioned :class:`~simulacra.Conversation`
per line, append-only; each conversation's model calls typed as :class:`ModelCall` by
:func:`model_calls`). :mod:`simulacra.runs` writes it; evaluation, the viewer and dataset
export read it through this package, so they do not depend on the runner. A truncated last line
(a crash mid-write) is skipped by :func:`read_conversations`; any other bad line is a one-line
error naming the file, the line and the field.
"""

from __future__ import annotations

from simulacra.log._calls import CallError, CallUsage, ModelCall, model_calls
from simulacra.log._manifest import RunManifest, read_manifest
from simulacra.log._records import parse_record, read_records
from simulacra.log._run import (
    CONVERSATIONS_FILE,
    RUN_FILE,
    RUN_SCHEMA_VERSION,
    read_conversations,
    read_run,
)

__all__ = [
    "CONVERSATIONS_FILE",
    "RUN_FILE",
    "RUN_SCHEMA_VERSION",
    "CallError",
    "CallUsage",
    "ModelCall",
    "RunManifest",
    "model_calls",
    "parse_record",
    "read_conversations",
    "read_manifest",
    "read_records",
    "read_run",
]
