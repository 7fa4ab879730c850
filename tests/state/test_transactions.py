from __future__ import annotations

import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from state_testing import create_run, read_message, record_revision, start_worker

from actionplane.errors import StateError
from actionplane.state.sqlite import SQLiteStateStore


class Boom(Exception):
    pass


def test_exception_rolls_back_every_write(store: SQLiteStateStore) -> None:
    record_revision(store, None, "aaa1111")

    with pytest.raises(Boom), store.transaction():
        record_revision(store, 1, "bbb2222")
        store.append_audit("revision.applied", "alice", "revision:2", {"serial": 2})
        raise Boom

    active = store.active_revision()
    assert active is not None
    assert active.serial == 1
    assert store.audit_events() == []


def test_nested_failure_rolls_back_inner_only(store: SQLiteStateStore) -> None:
    with store.transaction():
        run = create_run(store)
        with pytest.raises(Boom), store.transaction():
            store.add_evidence(run.id, "request", "request", {"a": 1})
            raise Boom
        store.add_evidence(run.id, "preview", "preview", {"b": 2})

    evidence = store.list_evidence(run.id)
    assert [item.kind for item in evidence] == ["preview"]


def test_committed_writes_are_visible_to_others(
    store: SQLiteStateStore, state_path: Path
) -> None:
    with store.transaction():
        record_revision(store, None, "aaa1111")
    with SQLiteStateStore(state_path) as other:
        active = other.active_revision()
        assert active is not None
        assert active.git_commit == "aaa1111"


def test_writer_waits_for_busy_database(
    state_path: Path, store: SQLiteStateStore
) -> None:
    blocker = sqlite3.connect(state_path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: blocker.execute("COMMIT"))
    release.start()

    started = time.monotonic()
    record_revision(store, None, "aaa1111")
    assert time.monotonic() - started >= 0.25
    release.join()
    blocker.close()


def test_busy_timeout_names_the_file(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    blocker = sqlite3.connect(state_path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with SQLiteStateStore(state_path, busy_timeout_ms=100) as impatient:
            pass
    except StateError as exc:
        # Opening runs the migration check, which needs the write lock too.
        assert str(state_path) in exc.message
        assert "locked" in exc.message
    else:
        pytest.fail(f"{impatient} opened while another connection held the lock")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()


def test_killed_apply_leaves_previous_revision(state_path: Path) -> None:
    with SQLiteStateStore(state_path) as store:
        record_revision(store, None, "aaa1111")
        store.append_audit("revision.applied", "alice", "revision:1", {"serial": 1})

    worker = start_worker("crash-in-apply", str(state_path))
    assert read_message(worker) == {"event": "inside"}
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    with SQLiteStateStore(state_path) as store:
        active = store.active_revision()
        assert active is not None
        assert active.serial == 1
        assert [event.seq for event in store.audit_events()] == [1]
        assert store.verify_audit().ok
        # The killed writer's lock is gone, so the next apply goes through.
        assert record_revision(store, 1, "ccc3333").serial == 2


def test_killed_writer_leaves_only_whole_runs(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    worker = start_worker("write-runs", str(state_path))
    assert read_message(worker) == {"event": "writing"}
    time.sleep(0.2)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)

    with SQLiteStateStore(state_path) as store:
        runs = store.list_runs()
        assert len(runs) >= 20
        for run in runs:
            assert len(store.list_evidence(run.id)) == 3, run.id
            assert len(store.audit_events(subject=run.id)) == 2, run.id
        verification = store.verify_audit()
        assert verification.ok
        assert verification.checked == 2 * len(runs)
    with sqlite3.connect(state_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
