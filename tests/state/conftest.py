from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from state_testing import ManualClock

from actionplane.state.sqlite import SQLiteStateStore


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def store(state_path: Path, clock: ManualClock) -> Iterator[SQLiteStateStore]:
    with SQLiteStateStore(state_path, clock=clock) as opened:
        yield opened
