"""The state store: revisions, locks, audit trail, runs, onboarding and metering."""

from __future__ import annotations

import os
from pathlib import Path

from actionplane.errors import StateError
from actionplane.state.base import StateStore
from actionplane.state.errors import (
    ApprovalExistsError,
    LockHeldError,
    RunNotFoundError,
    RunStatusConflictError,
    StaleRevisionError,
)
from actionplane.state.redact import redact
from actionplane.state.sqlite import SQLiteStateStore

STATE_ENV_VAR = "ACTIONPLANE_STATE"

__all__ = [
    "STATE_ENV_VAR",
    "ApprovalExistsError",
    "LockHeldError",
    "RunNotFoundError",
    "RunStatusConflictError",
    "SQLiteStateStore",
    "StaleRevisionError",
    "StateStore",
    "default_state_path",
    "open_state",
    "redact",
]


def default_state_path(workspace_root: Path) -> Path:
    return workspace_root / ".actionplane" / "state.db"


def open_state(path: Path | None, workspace_root: Path) -> StateStore:
    """Open the SQLite store at ``path``, else $ACTIONPLANE_STATE, else the default.

    The default, ``<workspace>/.actionplane/state.db``, gets its folder created. An
    explicit path must be in an existing folder, so that a mistyped path fails rather
    than quietly starting an empty state with no revisions and no lock.
    """
    if path is None and os.environ.get(STATE_ENV_VAR):
        path = Path(os.environ[STATE_ENV_VAR])
    if path is None:
        path = default_state_path(workspace_root)
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    elif not path.parent.is_dir():
        raise StateError(
            f"state file {path} is in a folder that does not exist. Create"
            f" {path.parent} first, or fix the --state path or {STATE_ENV_VAR}."
        )
    return SQLiteStateStore(path)


def maybe_open_state(path: Path | None, workspace_root: Path) -> StateStore | None:
    """Open the state only when one was named or already exists; else return None.

    Read-only callers such as pull-request plans use it, so they never create an
    empty state next to a workspace that keeps its state elsewhere.
    """
    named = path is not None or bool(os.environ.get(STATE_ENV_VAR))
    if not named and not default_state_path(workspace_root).is_file():
        return None
    return open_state(path, workspace_root)
