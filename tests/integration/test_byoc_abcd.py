"""A second task-oriented domain end to end (issue #18), on the real tiny model: the ABCD sample
imported, ``examples/byoc_abcd.yaml`` simulating a customer for each real goal against a
prompt per service (one config, one model load), and ``simulacra fidelity`` pairing every
simulated dialogue with the real one of its goal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests._cli import run_cli

from simulacra.runs import execute_run, load_config, read_conversations

pytestmark = pytest.mark.embedded

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "byoc_abcd.yaml"


async def test_abcd_import_scenarios_simulate_fidelity(
    tiny_gguf: str, shared_data: Path, tmp_path: Path
) -> None:
    sample = shared_data / "abcd" / "data" / "abcd_sample.json"
    reference = tmp_path / "abcd-real"
    imported = run_cli(["data", "import", "abcd", str(sample), "-o", str(reference)], tmp_path)
    assert imported.returncode == 0, imported.stderr
    config = load_config(EXAMPLE)
    raw = json.loads(sample.read_text(encoding="utf-8"))
    assert [s.id for s in config.scenarios] == [f"abcd:{d['convo_id']}" for d in raw]
    assert {s.service for s in config.scenarios} == {"product_defect", "storewide_query"}
    models = {
        role: spec.model_copy(update={"model": "embedded:tiny", "max_tokens": 24})
        for role, spec in config.models.items()
    }
    config = config.model_copy(
        update={
            "models": models,
            "epochs": 2,
            "stop": config.stop.model_copy(update={"max_turns": 6}),
        }
    )
    result = await execute_run(config, config_path=EXAMPLE, output_dir=tmp_path / "runs")
    conversations = list(read_conversations(result.directory))
    assert len(conversations) == 6
    seen: dict[str, set[str]] = {}
    for c in conversations:
        assert c.termination is not None and not c.termination.is_error, (c.termination, c.error)
        system = [m["messages"][0]["content"] for m in c.model_calls if m.get("role") == "target"]
        assert system, "the target was called"
        seen.setdefault(str(c.scenario_id), set()).update(str(s) for s in system)
    # each scenario's target had its service's prompt with the scenario's own intent
    for d in raw:
        prompts = seen[f"abcd:{d['convo_id']}"]
        assert len(prompts) == 1
        prompt = next(iter(prompts))
        assert f"type: {d['scenario']['subflow']})" in prompt
        wanted = "returns and refunds" if d["scenario"]["flow"] == "product_defect" else "store"
        assert wanted in prompt
    out = tmp_path / "fidelity.json"
    report = run_cli(
        [
            "fidelity",
            str(result.directory),
            "--reference",
            str(reference),
            "--no-human-likeness",
            "-o",
            str(out),
        ],
        tmp_path,
    )
    assert report.returncode == 0, report.stderr
    assert "6 simulated vs 3 real dialogues (6 paired by goal)" in report.stdout
    data = json.loads(out.read_text())
    assert data["n_paired"] == 6 and data["paired"] is True
