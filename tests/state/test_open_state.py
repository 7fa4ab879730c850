from __future__ import annotations

import stat
from pathlib import Path

import pytest

from actionplane.errors import StateError
from actionplane.state import STATE_ENV_VAR, open_state


@pytest.fixture(autouse=True)
def no_state_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(STATE_ENV_VAR, raising=False)


def test_default_path_is_in_workspace(tmp_path: Path) -> None:
    store = open_state(None, tmp_path)
    store.close()

    assert store.location == str(tmp_path / ".actionplane" / "state.db")
    assert (tmp_path / ".actionplane" / "state.db").is_file()


def test_state_file_is_owner_only(tmp_path: Path) -> None:
    open_state(None, tmp_path).close()
    mode = (tmp_path / ".actionplane" / "state.db").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


def test_env_var_overrides_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_ENV_VAR, str(tmp_path / "from-env.db"))
    store = open_state(None, tmp_path / "workspace")
    store.close()

    assert store.location == str(tmp_path / "from-env.db")
    assert not (tmp_path / "workspace").exists()


def test_explicit_path_overrides_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(STATE_ENV_VAR, str(tmp_path / "from-env.db"))
    store = open_state(tmp_path / "explicit.db", tmp_path)
    store.close()

    assert store.location == str(tmp_path / "explicit.db")
    assert not (tmp_path / "from-env.db").exists()


def test_explicit_path_needs_existing_folder(tmp_path: Path) -> None:
    missing = tmp_path / "typo" / "state.db"
    with pytest.raises(StateError, match="folder that does not exist"):
        open_state(missing, tmp_path)
    assert not missing.parent.exists()


def test_reopened_store_keeps_data(tmp_path: Path) -> None:
    with open_state(None, tmp_path) as store:
        store.append_audit("workspace.created", "alice", "acme-revops", {})

    with open_state(None, tmp_path) as reopened:
        events = reopened.audit_events()
    assert [event.kind for event in events] == ["workspace.created"]
