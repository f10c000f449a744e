"""Ray executor (filled in below in this session)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from simulacra.conversation import Conversation
from simulacra.errors import MissingExtraError

if TYPE_CHECKING:
    from simulacra.runs._config import RunConfig
    from simulacra.runs._runner import RunControl
    from simulacra.runs._store import RunWriter


def check_ray(config: RunConfig) -> None:
    """Fail early if Ray is not usable."""
    raise MissingExtraError("ray", "executor: ray")


async def run_on_ray(
    config: RunConfig,
    config_path: Path | None,
    writer: RunWriter,
    done_ids: set[str],
    on_done: Callable[[Conversation], None],
    control: RunControl,
) -> None:
    raise MissingExtraError("ray", "executor: ray")
