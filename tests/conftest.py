from __future__ import annotations

from pathlib import Path

import pytest

import seedforms
from xlkpi.merge import MergeResult, merge

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "returns"


@pytest.fixture(scope="session")
def samples_result() -> MergeResult:
    return merge([SAMPLES])


@pytest.fixture(scope="session")
def seed_returns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed's 32 tables as printed, as department workbooks."""
    folder = tmp_path_factory.mktemp("seed_returns")
    seedforms.write_seed_returns(folder)
    return folder


@pytest.fixture(scope="session")
def seed_result(seed_returns: Path) -> MergeResult:
    return merge([seed_returns])
