"""A second process for the state store tests: takes locks or writes, then reports.

Usage: python state_worker.py COMMAND STATE_PATH [ARGS...]. Each report is one JSON
object per line on stdout, flushed at once so that the test can act on it.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from actionplane.state.errors import LockHeldError
from actionplane.state.sqlite import SQLiteStateStore


def report(**message: Any) -> None:
    print(json.dumps(message), flush=True)


def race_lock(store: SQLiteStateStore, go_file: str, holder: str, hold: str) -> None:
    """Report ready, wait for go_file, then try the lock once without waiting."""
    report(event="ready", holder=holder)
    while not Path(go_file).exists():
        time.sleep(0.001)
    try:
        lock = store.acquire_lock("apply", holder, f"race by {holder}", 60)
    except LockHeldError as exc:
        report(event="held", holder=holder, message=exc.message)
        return
    report(event="acquired", holder=holder, lock_id=lock.id)
    time.sleep(float(hold))
    store.release_lock(lock.id, holder)
    report(event="released", holder=holder)


def hold_lock(store: SQLiteStateStore, holder: str, ttl: str, hold: str) -> None:
    lock = store.acquire_lock("apply", holder, "apply revision 2", float(ttl))
    report(event="acquired", holder=holder, lock_id=lock.id)
    time.sleep(float(hold))
    store.release_lock(lock.id, holder)
    report(event="released", holder=holder)


def crash_in_apply(store: SQLiteStateStore) -> None:
    """Write a revision and its audit entry, then wait inside the open transaction."""
    with store.transaction():
        store.record_revision(
            expected_serial=1,
            git_commit="c0ffee2",
            config_digest="sha256:config-2",
            metadata_digests={"zoho-sandbox": "sha256:meta-2"},
            config_snapshot={"version": 1},
            plan_id="plan-2",
            plan_digest="sha256:plan-2",
            applied_by="worker",
        )
        store.append_audit("revision.applied", "worker", "revision:2", {"serial": 2})
        report(event="inside")
        time.sleep(60)


def write_runs(store: SQLiteStateStore) -> None:
    """Record runs, each with three evidence rows and two audit entries, until killed."""
    count = 0
    while True:
        with store.transaction():
            run = store.create_run(
                connector="zoho-sandbox",
                object="Deals",
                record_id=str(count),
                actor_id="worker",
                actor_kind="service",
                status="previewed",
                dry_run=True,
                digest="sha256:run",
                revision_serial=None,
                request={"changes": {"Stage": {"before": "a", "after": "b"}}},
            )
            for name in ("request", "preview", "decision"):
                store.add_evidence(run.id, name, name, {"run": run.id, "name": name})
            store.append_audit("run.created", "worker", run.id, {"n": count})
            store.append_audit("run.previewed", "worker", run.id, {"n": count})
        count += 1
        if count == 20:
            report(event="writing")


COMMANDS: dict[str, Callable[..., None]] = {
    "race-lock": race_lock,
    "hold-lock": hold_lock,
    "crash-in-apply": crash_in_apply,
    "write-runs": write_runs,
}

if __name__ == "__main__":
    command, state_path, *arguments = sys.argv[1:]
    with SQLiteStateStore(Path(state_path)) as opened:
        COMMANDS[command](opened, *arguments)
