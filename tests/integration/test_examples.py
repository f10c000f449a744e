"""Every runnable example config runs on the real embedded model.

The examples name the default (1.5B) model; here each is run on the tiny model with short turns
and at most two turns per conversation, so every profile kind they use (general, persona,
role-play, individual, hybrid) goes through a real conversation in CI, on the default engine and
on the ``server`` engine.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulacra.runs import count_items, execute_run, load_config, read_conversations, work_items

pytestmark = pytest.mark.embedded

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# Examples that need something besides the embedded model (a server) are tested elsewhere.
SKIP = {"batch_fake_server.yaml"}


def _examples() -> list[Path]:
    return sorted(p for p in EXAMPLES.glob("*.yaml") if p.name not in SKIP)


# ``server``: the same on a managed llama-server (scripts/test.sh builds the binary).
ENGINES = {"single": {}, "server": {"engine": "server", "n_slots": 4, "n_threads": 1}}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.stem)
async def test_example_runs_on_the_embedded_model(
    path: Path, engine: str, tiny_gguf: str, tmp_path: Path
) -> None:
    config = load_config(path)
    update = {"model": "embedded:tiny", "max_tokens": 16, **ENGINES[engine]}
    models = {role: spec.model_copy(update=update) for role, spec in config.models.items()}
    config = config.model_copy(
        update={
            "models": models,
            "scenarios": config.scenarios[:1],
            "epochs": 1,
            "stop": config.stop.model_copy(update={"max_turns": 2}),
        }
    )
    result = await execute_run(config, config_path=path, output_dir=tmp_path)
    conversations = list(read_conversations(result.directory))
    # One per scenario × profile, or per scenario for a paradigm with its own participants.
    assert len(conversations) == count_items(config)
    kinds = {c.metadata["profile_id"] for c in conversations}
    assert kinds == {item.profile.profile_id() for item in work_items(config)}
    for c in conversations:
        assert c.termination is not None and not c.termination.is_error, (c.termination, c.error)
        assert c.turns and c.turns[0].utterance is not None
