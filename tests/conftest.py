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


def catalog_snapshot(
    connector: str = "zoho-sandbox", host: str = "https://sandbox.zohoapis.com"
):
    """A metadata snapshot of the embedded Zoho sandbox's seeded org."""
    from actionplane.metadata.snapshot import Snapshot, module_entry
    from actionplane.zoho.sandbox.catalog import load_catalog

    catalog = load_catalog()
    modules = {
        module["api_name"]: module_entry(
            module, list(catalog.fields.get(module["api_name"], ())) or None
        )
        for module in catalog.modules
    }
    return Snapshot(connector, host, "v8", "2026-01-01T00:00:00Z", modules)


@pytest.fixture
def synced_workspace(workspace: Path) -> Path:
    """The repo's workspace with a metadata snapshot of the sandbox org."""
    from actionplane.metadata.snapshot import write_snapshot

    write_snapshot(workspace, catalog_snapshot())
    return workspace


@pytest.fixture
def git_workspace(synced_workspace: Path) -> Path:
    """The synced workspace as the first commit of a new git repository."""
    import git

    repo = git.Repo.init(synced_workspace, initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Test User")
        config.set_value("user", "email", "test@example.com")
    repo.git.add(A=True)
    repo.index.commit("Add the workspace")
    return synced_workspace


@pytest.fixture
def zoho_sandbox():
    """The embedded Zoho sandbox on a free loopback port."""
    from actionplane.zoho.sandbox import SandboxServer

    server = SandboxServer(port=0)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox_env(monkeypatch, tmp_path: Path) -> dict[str, str]:
    """Environment with the sandbox credentials and a private token cache."""
    from actionplane.zoho.sandbox import seed

    for name, value in seed.ENV_VARS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ACTIONPLANE_CACHE_DIR", str(tmp_path / "token-cache"))
    return dict(seed.ENV_VARS)


def point_at(root: Path, url: str) -> None:
    """Point the workspace's connector at `url` for both accounts and API calls."""
    path = root / "connectors.yaml"
    text = path.read_text()
    text = text.replace("https://accounts.zoho.com", url).replace(
        "https://sandbox.zohoapis.com", url
    )
    path.write_text(text)
