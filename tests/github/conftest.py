from __future__ import annotations

import logging
import os
from collections.abc import Iterator

import pytest
from fake_github import FakeGitHub, RunningFakeGitHub
from github_testing import READ_TOKEN, WRITE_TOKEN


@pytest.fixture(autouse=True)
def clean_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop GitHub Actions and proxy variables of the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "ACTIONPLANE_")) or name.lower().endswith(
            "_proxy"
        ):
            monkeypatch.delenv(name)


@pytest.fixture
def github() -> Iterator[RunningFakeGitHub]:
    state = FakeGitHub(tokens={WRITE_TOKEN: "write", READ_TOKEN: "read"})
    with RunningFakeGitHub(state) as server:
        yield server


@pytest.fixture(autouse=True)
def restore_actionplane_logger() -> Iterator[None]:
    """Undo the handler and level that the CLI installs on each run."""
    logger = logging.getLogger("actionplane")
    handlers, level = list(logger.handlers), logger.level
    yield
    logger.handlers[:] = handlers
    logger.setLevel(level)
