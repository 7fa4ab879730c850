from __future__ import annotations

import signal
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from state_testing import ManualClock, read_message, start_worker

from actionplane.errors import StateError
from actionplane.state.errors import LockHeldError
from actionplane.state.models import Lock
from actionplane.state.sqlite import SQLiteStateStore


def test_acquire_and_release(store: SQLiteStateStore, clock: ManualClock) -> None:
    lock = store.acquire_lock("apply", "alice@laptop", "apply revision 2", 300)

    assert lock.id.startswith("lock_")
    assert lock.name == "apply"
    assert lock.acquired_at == clock.now
    assert (lock.expires_at - lock.acquired_at).total_seconds() == 300
    assert lock.replaced is None
    assert store.list_locks() == [lock]

    store.release_lock(lock.id, "alice@laptop")
    assert store.list_locks() == []


def test_held_lock_error_names_holder(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    lock = store.acquire_lock("apply", "alice@laptop", "apply revision 2", 300)

    with pytest.raises(LockHeldError) as raised:
        store.acquire_lock("apply", "bob@ci", "apply revision 3", 300)

    message = raised.value.message
    assert raised.value.lock == lock
    assert "held by alice@laptop" in message
    assert "'apply revision 2'" in message
    assert "acquired at 2026-01-15T12:00:00.000000Z" in message
    assert "expiring at 2026-01-15T12:05:00.000000Z" in message
    assert f"actionplane unlock {lock.id}" in message


def test_locks_with_other_names_coexist(store: SQLiteStateStore) -> None:
    store.acquire_lock("apply", "alice", "apply", 60)
    store.acquire_lock("sync-metadata", "bob", "sync", 60)
    assert [lock.name for lock in store.list_locks()] == ["apply", "sync-metadata"]


def test_expired_lock_is_taken_over(
    state_path: Path, store: SQLiteStateStore, clock: ManualClock
) -> None:
    old = store.acquire_lock("apply", "alice@laptop", "apply revision 2", 60)
    later = ManualClock(clock.now)
    later.advance(61)

    with SQLiteStateStore(state_path, clock=later) as other:
        new = other.acquire_lock("apply", "bob@ci", "apply revision 3", 60)

    assert new.replaced == old
    assert new.holder == "bob@ci"
    [takeover] = store.audit_events(kind="lock.taken_over")
    assert takeover.actor == "bob@ci"
    assert takeover.subject == "lock:apply"
    assert takeover.payload["expired"]["holder"] == "alice@laptop"
    assert takeover.payload["expired"]["lock_id"] == old.id
    with pytest.raises(StateError, match="took it over"):
        store.release_lock(old.id, "alice@laptop")


def test_ended_holder_is_taken_over(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    old = store.acquire_lock("apply", "alice@laptop pid 7", "apply revision 2", 600)
    clock.advance(1)

    new = store.acquire_lock(
        "apply",
        "bob@laptop pid 8",
        "apply revision 3",
        600,
        holder_ended=lambda lock: lock.holder == "alice@laptop pid 7",
    )

    assert new.replaced == old
    assert new.holder == "bob@laptop pid 8"
    assert store.list_locks() == [replace(new, replaced=None)]
    [takeover] = store.audit_events(kind="lock.taken_over")
    assert takeover.actor == "bob@laptop pid 8"
    assert takeover.payload["holder_ended"]["holder"] == "alice@laptop pid 7"
    assert takeover.payload["holder_ended"]["lock_id"] == old.id
    assert "expired" not in takeover.payload
    with pytest.raises(StateError, match="took it over"):
        store.release_lock(old.id, "alice@laptop pid 7")


def test_live_holder_keeps_lock(store: SQLiteStateStore) -> None:
    checked = []

    def holder_ended(lock: Lock) -> bool:
        checked.append(lock.holder)
        return False

    store.acquire_lock("apply", "alice", "apply", 600)

    with pytest.raises(LockHeldError):
        store.acquire_lock("apply", "bob", "apply", 600, holder_ended=holder_ended)
    assert checked == ["alice"]
    assert store.audit_events(kind="lock.taken_over") == []


def test_lock_is_live_until_expiry(store: SQLiteStateStore, clock: ManualClock) -> None:
    store.acquire_lock("apply", "alice", "apply", 60)
    clock.advance(59.9)
    with pytest.raises(LockHeldError):
        store.acquire_lock("apply", "bob", "apply", 60)


def test_renew_moves_expiry(store: SQLiteStateStore, clock: ManualClock) -> None:
    lock = store.acquire_lock("apply", "alice", "apply", 60)
    clock.advance(50)
    renewed = store.renew_lock(lock.id, "alice", 60)
    clock.advance(50)

    assert renewed.expires_at == lock.acquired_at + timedelta(seconds=110)
    with pytest.raises(LockHeldError):
        store.acquire_lock("apply", "bob", "apply", 60)


def test_release_by_other_holder_fails(store: SQLiteStateStore) -> None:
    lock = store.acquire_lock("apply", "alice", "apply", 60)
    with pytest.raises(StateError, match="held by alice, not bob"):
        store.release_lock(lock.id, "bob")
    assert store.list_locks() == [lock]


def test_force_unlock_is_audited(store: SQLiteStateStore) -> None:
    lock = store.acquire_lock("apply", "alice", "apply", 60)

    assert store.force_unlock(lock.id, actor="bob") == lock
    assert store.list_locks() == []
    [event] = store.audit_events(kind="lock.force_unlocked")
    assert event.actor == "bob"
    assert event.payload["holder"] == "alice"
    with pytest.raises(StateError, match=f"no lock with id {lock.id}"):
        store.force_unlock(lock.id)


def test_wait_inside_transaction_is_rejected(store: SQLiteStateStore) -> None:
    with pytest.raises(ValueError, match="inside a transaction"), store.transaction():
        store.acquire_lock("apply", "alice", "apply", 60, wait_seconds=1)


@pytest.mark.parametrize("processes", [2, 4], ids=["two", "four"])
def test_racing_processes_one_wins(
    state_path: Path, tmp_path: Path, processes: int
) -> None:
    SQLiteStateStore(state_path).close()
    go_file = tmp_path / "go"
    workers = [
        start_worker("race-lock", str(state_path), str(go_file), f"worker-{n}", "0.5")
        for n in range(processes)
    ]
    for worker in workers:
        assert read_message(worker)["event"] == "ready"
    go_file.touch()

    outcomes = [read_message(worker) for worker in workers]
    winners = [message for message in outcomes if message["event"] == "acquired"]
    losers = [message for message in outcomes if message["event"] == "held"]
    assert len(winners) == 1, outcomes
    assert len(losers) == processes - 1, outcomes
    for loser in losers:
        assert f"held by {winners[0]['holder']}" in loser["message"]
    for worker in workers:
        assert worker.wait(timeout=10) == 0


def test_waiter_fails_after_wait(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    holder = start_worker("hold-lock", str(state_path), "worker-a", "60", "3")
    acquired = read_message(holder)
    assert acquired["event"] == "acquired"

    with SQLiteStateStore(state_path) as store:
        started = time.monotonic()
        with pytest.raises(LockHeldError, match="held by worker-a") as raised:
            store.acquire_lock("apply", "me", "apply", 60, wait_seconds=0.5)
        waited = time.monotonic() - started

    assert waited >= 0.5
    assert waited < 2.5
    assert "Waited 0.5s" in raised.value.message
    assert raised.value.lock.id == acquired["lock_id"]
    holder.kill()
    holder.wait(timeout=10)


def test_waiter_gets_released_lock(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    holder = start_worker("hold-lock", str(state_path), "worker-a", "60", "0.5")
    assert read_message(holder)["event"] == "acquired"

    with SQLiteStateStore(state_path) as store:
        lock = store.acquire_lock("apply", "me", "apply", 60, wait_seconds=10)
        assert lock.holder == "me"
        assert lock.replaced is None
    assert read_message(holder)["event"] == "released"
    assert holder.wait(timeout=10) == 0


def test_killed_holder_lock_expires(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    holder = start_worker("hold-lock", str(state_path), "worker-a", "0.5", "60")
    acquired = read_message(holder)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)

    with SQLiteStateStore(state_path) as store:
        lock = store.acquire_lock("apply", "me", "apply", 60, wait_seconds=5)
        assert lock.replaced is not None
        assert lock.replaced.id == acquired["lock_id"]
        assert lock.replaced.holder == "worker-a"
