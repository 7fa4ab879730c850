from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from state_testing import ManualClock

from actionplane.errors import StateError
from actionplane.state import sqlite_schema
from actionplane.state.clock import format_time
from actionplane.state.sqlite import SQLiteStateStore
from actionplane.state.sqlite_schema import (
    LATEST_VERSION,
    MIGRATIONS,
    Migration,
    migrate,
)


def applied_versions(path: Path) -> list[int]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [row[0] for row in rows]


def build_database_at(path: Path, version: int) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    migrate(conn, str(path), ManualClock()(), target=version)
    conn.execute("COMMIT")
    conn.close()


def test_migration_versions_are_consecutive() -> None:
    versions = [migration.version for migration in MIGRATIONS]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_fresh_database_gets_latest_schema(store: SQLiteStateStore) -> None:
    assert store.schema_version == LATEST_VERSION
    assert applied_versions(store.path) == list(range(1, LATEST_VERSION + 1))


def test_fresh_database_uses_wal(store: SQLiteStateStore) -> None:
    with sqlite3.connect(store.path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_foreign_keys_are_enforced(store: SQLiteStateStore) -> None:
    with pytest.raises(StateError, match="names revision 42"):
        store.create_run(
            connector="zoho-sandbox",
            object="Deals",
            record_id="1",
            actor_id="alice",
            actor_kind="human",
            status="previewed",
            dry_run=True,
            digest="sha256:x",
            revision_serial=42,
            request={},
        )


def test_reopening_applies_nothing(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    SQLiteStateStore(state_path).close()
    assert applied_versions(state_path) == list(range(1, LATEST_VERSION + 1))


def test_upgrade_from_v1_keeps_revisions(state_path: Path) -> None:
    build_database_at(state_path, 1)
    with sqlite3.connect(state_path) as conn:
        conn.execute(
            "INSERT INTO revisions VALUES (1, 'abc1234', 'sha256:c', '{}', '{}',"
            " NULL, NULL, 'alice', ?, 'first')",
            (format_time(ManualClock()()),),
        )
    assert applied_versions(state_path) == [1]

    with SQLiteStateStore(state_path) as store:
        assert store.schema_version == LATEST_VERSION
        active = store.active_revision()
        assert active is not None
        assert active.git_commit == "abc1234"
        run = store.create_run(
            connector="zoho-sandbox",
            object="Deals",
            record_id="1",
            actor_id="alice",
            actor_kind="human",
            status="previewed",
            dry_run=True,
            digest="sha256:x",
            revision_serial=1,
            request={},
        )
        assert store.get_run(run.id).revision_serial == 1
    assert applied_versions(state_path) == list(range(1, LATEST_VERSION + 1))


def test_failed_migration_keeps_old_version(
    state_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    SQLiteStateStore(state_path).close()
    broken = Migration(
        LATEST_VERSION + 1,
        "broken",
        ("CREATE TABLE half_done (id INTEGER)", "CREATE TABLE broken ("),
    )
    monkeypatch.setattr(sqlite_schema, "MIGRATIONS", (*MIGRATIONS, broken))
    monkeypatch.setattr(sqlite_schema, "LATEST_VERSION", LATEST_VERSION + 1)

    with pytest.raises(StateError) as raised:
        SQLiteStateStore(state_path)

    message = raised.value.message
    assert f"to schema version {LATEST_VERSION + 1} failed" in message
    assert "file is unchanged" in message
    assert applied_versions(state_path) == list(range(1, LATEST_VERSION + 1))
    with sqlite3.connect(state_path) as conn:
        tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        assert "half_done" not in {row[0] for row in tables}


def test_newer_schema_is_rejected(state_path: Path) -> None:
    SQLiteStateStore(state_path).close()
    with sqlite3.connect(state_path) as conn:
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?, 'from the future', 'later')",
            (LATEST_VERSION + 5,),
        )

    with pytest.raises(StateError) as raised:
        SQLiteStateStore(state_path)
    message = raised.value.message
    assert f"schema version {LATEST_VERSION + 5}" in message
    assert f"up to {LATEST_VERSION}" in message
    assert "Upgrade actionplane" in message


def test_foreign_database_is_rejected(state_path: Path) -> None:
    with sqlite3.connect(state_path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    with pytest.raises(StateError, match=r"tables \(customers\).*not an actionplane"):
        SQLiteStateStore(state_path)


def test_file_that_is_not_sqlite_is_rejected(state_path: Path) -> None:
    state_path.write_text("connectors: []\n" * 200)
    with pytest.raises(StateError, match="not a usable"):
        SQLiteStateStore(state_path)


def test_concurrent_first_opens_migrate_once(state_path: Path) -> None:
    errors: list[BaseException] = []

    def open_store() -> None:
        try:
            SQLiteStateStore(state_path).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert applied_versions(state_path) == list(range(1, LATEST_VERSION + 1))
