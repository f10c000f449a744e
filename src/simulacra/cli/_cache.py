from __future__ import annotations

import json
from pathlib import Path

import click

from simulacra.models import CallCache, cache_dir


def _open(path: Path | None) -> CallCache:
    return CallCache(path or cache_dir() / "calls.sqlite")


@click.group("cache")
def cache_command() -> None:
    """Inspect or clear the model-call cache."""


@cache_command.command("stats")
@click.option("--path", type=click.Path(path_type=Path), help="Cache file (default: user cache).")
def cache_stats(path: Path | None) -> None:
    """Entries per model and size on disk."""
    cache = _open(path)
    click.echo(json.dumps(cache.stats(), indent=2))
    cache.close()


@cache_command.command("clear")
@click.option("--path", type=click.Path(path_type=Path), help="Cache file (default: user cache).")
@click.option("--model", help="Only this model's entries (e.g. openai:gpt-x@http://...).")
def cache_clear(path: Path | None, model: str | None) -> None:
    """Delete cached calls."""
    cache = _open(path)
    n = cache.clear(model)
    cache.close()
    click.echo(f"deleted {n} cached calls")
