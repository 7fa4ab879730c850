from __future__ import annotations

import shutil
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


@pytest.fixture(scope="session")
def running_sandbox() -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        yield server


@pytest.fixture
def sandbox(running_sandbox: SandboxServer) -> SandboxServer:
    """The session's sandbox, back in its seeded state with an empty call log."""
    running_sandbox.reset()
    return running_sandbox


def sandbox_env(monkeypatch: pytest.MonkeyPatch, cache: Path) -> None:
    for name, value in seed.ENV_VARS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ACTIONPLANE_CACHE_DIR", str(cache))
    monkeypatch.setenv("ACTIONPLANE_ACTOR", REQUESTER)
    monkeypatch.delenv("ACTIONPLANE_STATE", raising=False)


@pytest.fixture(scope="session")
def applied_template(
    tmp_path_factory: pytest.TempPathFactory, running_sandbox: SandboxServer
) -> Path:
    """A validated, synced and applied workspace with its state, made once.

    Building it takes plan and apply; tests copy it instead.
    """
    base = tmp_path_factory.mktemp("applied")
    with pytest.MonkeyPatch.context() as monkeypatch:
        sandbox_env(monkeypatch, base / "cache")
        build_workspace(base / "workspace", base / "state.db", running_sandbox.url)
        apply_workspace(base / "workspace", base / "state.db", base)
    return base


@pytest.fixture
def runs_env(
    tmp_path: Path,
    sandbox: SandboxServer,
    applied_template: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> RunsEnv:
    """A workspace whose applied revision points its connector at the sandbox."""
    sandbox_env(monkeypatch, tmp_path / "cache")
    monkeypatch.setattr(context, "DEFAULT_RETRY", FAST_RETRY)
    root = tmp_path / "workspace"
    shutil.copytree(applied_template / "workspace", root)
    for path in applied_template.glob("state.db*"):
        shutil.copy(path, tmp_path / path.name)
    return RunsEnv(
        root=root, state=tmp_path / "state.db", sandbox=sandbox, tmp=tmp_path
    )
