from __future__ import annotations

from pathlib import Path

import pytest

from tests.viewer._golden import Golden, make_golden


@pytest.fixture(scope="module")
def golden(tmp_path_factory: pytest.TempPathFactory) -> Golden:
    """Runs A and B (with judgments, a metrics report, a drift report and a broken JSON)."""
    return make_golden(tmp_path_factory.mktemp("golden"))


@pytest.fixture(scope="session")
def shared_multiwoz() -> Path:
    path = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "multiwoz21"
    path = path / "val.json.zip"
    assert path.is_file(), f"{path} is missing: the real corpora live beside the checkout"
    return path
