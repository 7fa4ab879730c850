from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def state(tmp_path: Path) -> str:
    """Path of a SQLite state file in the test's temporary folder."""
    return str(tmp_path / "state.db")
