"""Helpers shared by the state store tests."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from actionplane.state.models import Revision, Run
from actionplane.state.sqlite import SQLiteStateStore

WORKER = Path(__file__).with_name("state_worker.py")


class ManualClock:
    """A clock that moves only when the test advances it."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 1, 15, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def record_revision(
    store: SQLiteStateStore, expected: int | None, commit: str
) -> Revision:
    return store.record_revision(
        expected_serial=expected,
        git_commit=commit,
        config_digest=f"sha256:config-{commit}",
        metadata_digests={"zoho-sandbox": f"sha256:meta-{commit}"},
        config_snapshot={"version": 1, "workspace": "acme-revops"},
        plan_id=f"plan-{commit}",
        plan_digest=f"sha256:plan-{commit}",
        applied_by="alice",
        reason="quarterly limits",
    )


def create_run(store: SQLiteStateStore, **overrides: Any) -> Run:
    fields: dict[str, Any] = {
        "connector": "zoho-sandbox",
        "object": "Deals",
        "record_id": "5725767000000411001",
        "actor_id": "alice",
        "actor_kind": "human",
        "status": "previewed",
        "dry_run": False,
        "digest": "sha256:run",
        "revision_serial": None,
        "request": {"changes": {"Amount": {"before": 1000, "after": 2000}}},
    }
    fields.update(overrides)
    return store.create_run(**fields)


def start_worker(*args: str) -> subprocess.Popen[str]:
    """Start state_worker.py in a new process; it prints one JSON object per line."""
    return subprocess.Popen(
        [sys.executable, str(WORKER), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_message(worker: subprocess.Popen[str]) -> dict[str, Any]:
    assert worker.stdout is not None
    line = worker.stdout.readline()
    if not line:
        assert worker.stderr is not None
        raise AssertionError(f"worker exited early: {worker.stderr.read()}")
    message: dict[str, Any] = json.loads(line)
    return message
