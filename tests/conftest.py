from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A copy of the repo's own workspace that a test may change."""
    root = tmp_path / "workspace"
    root.mkdir()
    shutil.copy(REPO_ROOT / "connectors.yaml", root / "connectors.yaml")
    shutil.copytree(REPO_ROOT / "policies", root / "policies")
    return root
