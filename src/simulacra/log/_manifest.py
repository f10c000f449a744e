"""``run.json`` as a type: :class:`RunManifest` and :func:`read_manifest`.

The runner writes ``run.json`` as a JSON object and merges fields into it as the run goes
(``status``, ``resumed_at``, ``summary``, ``finished_at``; ``configs`` when a resume switched
config). :class:`RunManifest` names the fields every reader relies on, with their types; fields
it does not name (an imported corpus's provenance, fields of a later minor version) are kept, not
refused, so that a run written by any 0.x version with ``schema_version`` 1 still reads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from simulacra._validation import summarise
from simulacra.errors import ConfigError
from simulacra.log._run import RUN_FILE, RUN_SCHEMA_VERSION, read_run

__all__ = ["RunManifest", "read_manifest"]


class RunManifest(BaseModel):
    """What ``run.json`` records about a run.

    Attributes:
        schema_version: Version of the run directory format (:data:`RUN_SCHEMA_VERSION`).
        name: The run's name (the config's ``name``; an imported corpus's name).
        status: ``running`` while it runs, then ``complete``, ``interrupted`` or ``failed``.
        created_at: Unix time the run directory was created.
        resumed_at: Unix time of the last resume, if any.
        finished_at: Unix time the run last stopped.
        config_path: The config file the run was started from, if any.
        config_sha256: sha256 of the validated config; a resume with another config is refused.
        config: The validated config, as JSON.
        configs: Config switches of a forced resume (which records ran under which config).
        versions: Package versions of the process that wrote the run.
        models: Role → the model's description (spec, provider, GGUF path and sha256, ...).
        templates: ``id@version`` of every prompt template the process had.
        seed: The run's seed.
        work_items: Conversations the config asks for.
        summary: Counts, terminations, errors, wall time and per-role accounting at the end.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    schema_version: int
    name: str | None = None
    status: str | None = None
    created_at: float | None = None
    resumed_at: float | None = None
    finished_at: float | None = None
    config_path: str | None = None
    config_sha256: str | None = None
    config: dict[str, Any] | None = None
    configs: list[dict[str, Any]] | None = None
    versions: dict[str, str | None] = {}
    models: dict[str, Any] = {}
    templates: list[str] = []
    seed: int | None = None
    work_items: int | None = None
    summary: dict[str, Any] | None = None

    @property
    def extra(self) -> dict[str, Any]:
        """Fields of ``run.json`` this type does not name."""
        return dict(self.model_extra or {})


def read_manifest(directory: str | Path) -> RunManifest:
    """Read and check ``run.json`` of a run directory.

    Raises:
        ConfigError: One line naming the file and the field: not a run directory, not JSON, a
            field of the wrong type, no ``schema_version``, or a ``schema_version`` this
            version of Simulacra does not know (written by a newer one).
    """
    data = read_run(directory)
    path = Path(directory) / RUN_FILE
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
    version = data.get("schema_version")
    if isinstance(version, int) and version > RUN_SCHEMA_VERSION:
        raise ConfigError(
            f"{path}: schema_version {version} was written by a newer Simulacra (this one reads "
            f"{RUN_SCHEMA_VERSION}); upgrade simulacra to read it"
        )
    try:
        return RunManifest.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {summarise(exc)}") from None
