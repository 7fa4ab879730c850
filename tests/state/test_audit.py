from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from state_testing import ManualClock

from actionplane.state.audit_chain import GENESIS_HASH, entry_hash
from actionplane.state.sqlite import SQLiteStateStore

Tamper = Callable[[sqlite3.Connection], object]


def append_five(store: SQLiteStateStore, clock: ManualClock) -> None:
    for number in range(1, 6):
        store.append_audit(
            "run.created", f"actor-{number}", f"run_{number}", {"number": number}
        )
        clock.advance(1)


def tamper(path: Path, change: Tamper) -> None:
    """Edit the file directly, as someone with write access to it could."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER audit_events_no_update")
    conn.execute("DROP TRIGGER audit_events_no_delete")
    change(conn)
    conn.close()


def edit_payload(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_events SET payload = '{\"number\":99}' WHERE seq = 3")


def edit_actor(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")


def delete_middle(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit_events WHERE seq = 3")


def insert_middle(conn: sqlite3.Connection) -> None:
    """Shift entries 3..5 up by one and put a well-formed forged entry at 3."""
    for seq in (5, 4, 3):
        conn.execute("UPDATE audit_events SET seq = seq + 1 WHERE seq = ?", (seq,))
    prev_hash = conn.execute("SELECT hash FROM audit_events WHERE seq = 2").fetchone()
    at = "2026-01-15T12:00:02.500000Z"
    forged = entry_hash(3, at, "run.created", "mallory", "run_x", {}, prev_hash[0])
    conn.execute(
        "INSERT INTO audit_events VALUES (3, ?, 'run.created', 'mallory', 'run_x',"
        " '{}', ?, ?)",
        (at, prev_hash[0], forged),
    )


def swap_rows(conn: sqlite3.Connection) -> None:
    """Swap the contents of entries 2 and 3 and keep their seq numbers."""
    columns = "at, kind, actor, subject, payload, prev_hash, hash"
    second = conn.execute(
        f"SELECT {columns} FROM audit_events WHERE seq = 2"
    ).fetchone()
    third = conn.execute(f"SELECT {columns} FROM audit_events WHERE seq = 3").fetchone()
    assignments = ", ".join(f"{name} = ?" for name in columns.split(", "))
    conn.execute("UPDATE audit_events SET hash = 'x' WHERE seq = 3")
    conn.execute(f"UPDATE audit_events SET {assignments} WHERE seq = 2", third)
    conn.execute(f"UPDATE audit_events SET {assignments} WHERE seq = 3", second)


def renumber_rows(conn: sqlite3.Connection) -> None:
    """Swap the seq numbers of entries 2 and 3, which moves them in seq order."""
    conn.execute("UPDATE audit_events SET seq = 100 WHERE seq = 2")
    conn.execute("UPDATE audit_events SET seq = 2 WHERE seq = 3")
    conn.execute("UPDATE audit_events SET seq = 3 WHERE seq = 100")


@pytest.mark.parametrize(
    ("change", "seq", "problem"),
    [
        (edit_payload, 3, "entry was edited"),
        (edit_actor, 3, "entry was edited"),
        (delete_middle, 4, "entries 3..3 are missing"),
        (delete_middle, 4, "prev_hash is not the hash of the entry before it"),
        (insert_middle, 4, "entry was edited"),
        (insert_middle, 4, "prev_hash is not the hash"),
        (swap_rows, 2, "prev_hash is not the hash"),
        (swap_rows, 3, "entry was edited"),
        (renumber_rows, 2, "entry was edited"),
        (renumber_rows, 3, "prev_hash is not the hash"),
    ],
    ids=[
        "edited-payload",
        "edited-actor",
        "deleted-gap",
        "deleted-link",
        "inserted-shifted",
        "inserted-link",
        "swapped-link",
        "swapped-content",
        "reordered-content",
        "reordered-link",
    ],
)
def test_verify_names_tampered_entry(
    store: SQLiteStateStore,
    clock: ManualClock,
    change: Tamper,
    seq: int,
    problem: str,
) -> None:
    append_five(store, clock)
    assert store.verify_audit().ok

    tamper(store.path, change)
    result = store.verify_audit()

    assert not result.ok
    found = [item.problem for item in result.problems if item.seq == seq]
    assert any(problem in text for text in found), result.problems


def test_intact_chain_verifies(store: SQLiteStateStore, clock: ManualClock) -> None:
    append_five(store, clock)
    result = store.verify_audit()
    assert result.ok
    assert result.checked == 5
    assert result.head_hash == store.audit_events()[-1].hash


def test_empty_chain_verifies(store: SQLiteStateStore) -> None:
    result = store.verify_audit()
    assert result.ok
    assert result.checked == 0
    assert result.head_hash == GENESIS_HASH


def test_truncation_needs_expected_head(
    store: SQLiteStateStore, clock: ManualClock
) -> None:
    append_five(store, clock)
    head = store.verify_audit().head_hash
    tamper(
        store.path, lambda conn: conn.execute("DELETE FROM audit_events WHERE seq = 5")
    )

    assert store.verify_audit().ok
    result = store.verify_audit(expected_head=head)
    assert [item.seq for item in result.problems] == [4]
    assert "not the expected" in result.problems[0].problem


def test_entries_link_to_previous(store: SQLiteStateStore, clock: ManualClock) -> None:
    append_five(store, clock)
    events = store.audit_events()
    assert events[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
        assert after.seq == before.seq + 1


def test_store_rejects_update_and_delete(store: SQLiteStateStore) -> None:
    store.append_audit("run.created", "alice", "run_1", {})
    conn = sqlite3.connect(store.path)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit_events SET actor = 'mallory'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit_events")
    conn.close()


def test_append_in_failed_transaction_vanishes(store: SQLiteStateStore) -> None:
    store.append_audit("run.created", "alice", "run_1", {})
    with pytest.raises(RuntimeError), store.transaction():
        store.append_audit("run.created", "alice", "run_2", {})
        raise RuntimeError("apply failed")
    store.append_audit("run.created", "alice", "run_3", {})

    assert [event.subject for event in store.audit_events()] == ["run_1", "run_3"]
    assert store.verify_audit().ok


def test_payload_is_redacted_before_hashing(store: SQLiteStateStore) -> None:
    event = store.append_audit(
        "connector.validated", "alice", "zoho-sandbox", {"access_token": "1000.ab.cd"}
    )
    assert event.payload == {"access_token": "[REDACTED]"}
    assert store.verify_audit().ok


@pytest.mark.parametrize(
    ("filters", "subjects"),
    [
        ({}, ["run_1", "run_2", "run_3", "run_4", "run_5"]),
        ({"subject": "run_2"}, ["run_2"]),
        ({"actor": "actor-4"}, ["run_4"]),
        ({"kind": "run.created"}, ["run_1", "run_2", "run_3", "run_4", "run_5"]),
        ({"kind": "run.executed"}, []),
        ({"after_seq": 3}, ["run_4", "run_5"]),
        ({"limit": 2}, ["run_1", "run_2"]),
        ({"since": 2, "until": 4}, ["run_3", "run_4"]),
    ],
    ids=["all", "subject", "actor", "kind", "no-kind", "after-seq", "limit", "window"],
)
def test_audit_event_filters(
    store: SQLiteStateStore,
    clock: ManualClock,
    filters: dict[str, Any],
    subjects: list[str],
) -> None:
    start = clock.now
    append_five(store, clock)
    # The table gives since and until as seconds after the first entry.
    arguments = {
        key: start + timedelta(seconds=value) if key in ("since", "until") else value
        for key, value in filters.items()
    }

    events = store.audit_events(**arguments)
    assert [event.subject for event in events] == subjects
