from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from runs_testing import (
    FAST_RETRY,
    REQUESTER,
    RunsEnv,
    apply_workspace,
    build_workspace,
)

from actionplane.runs import context
from actionplane.zoho.sandbox import SandboxServer, seed


@pytest.fixture(scope="module")
def running_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(running_sandbox: SandboxServer) -> SandboxServer:
    """The module's sandbox, back in its seeded state with an empty call log."""
    running_sandbox.reset()
    return running_sandbox


@pytest.fixture
def runs_env(
    tmp_path: Path, sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> RunsEnv:
    """A workspace whose applied revision points its connector at the sandbox."""
    for name, value in seed.ENV_VARS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ACTIONPLANE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("ACTIONPLANE_ACTOR", REQUESTER)
    monkeypatch.delenv("ACTIONPLANE_STATE", raising=False)
    monkeypatch.setattr(context, "DEFAULT_RETRY", FAST_RETRY)

    root = tmp_path / "workspace"
    state = tmp_path / "state.db"
    build_workspace(root, state, sandbox.url)
    apply_workspace(root, state, tmp_path)
    sandbox.clear_calls()
    return RunsEnv(root=root, state=state, sandbox=sandbox, tmp=tmp_path)
