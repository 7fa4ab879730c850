"""The SQLite schema as numbered migrations, and the code that applies them.

Migrations are append-only: a released migration is never edited, and a schema change
is a new entry at the end. Each one runs in the same transaction as its row in
``schema_migrations``, so a crash leaves the database at the previous version.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from actionplane.errors import StateError
from actionplane.state.clock import format_time


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    statements: tuple[str, ...]


def _append_only(table: str) -> tuple[str, ...]:
    """Triggers that reject UPDATE and DELETE, so only a deliberate edit can change rows."""
    return tuple(
        f"""CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"""
        for action in ("UPDATE", "DELETE")
    )


_REVISIONS_LOCKS_AUDIT = (
    """CREATE TABLE revisions (
        serial INTEGER PRIMARY KEY,
        git_commit TEXT,
        config_digest TEXT NOT NULL,
        metadata_digests TEXT NOT NULL,
        config_snapshot TEXT NOT NULL,
        plan_id TEXT,
        plan_digest TEXT,
        applied_by TEXT NOT NULL,
        applied_at TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    )""",
    *_append_only("revisions"),
    """CREATE TABLE locks (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        holder TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        acquired_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    )""",
    """CREATE TABLE audit_events (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        subject TEXT NOT NULL,
        payload TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    )""",
    *_append_only("audit_events"),
    "CREATE INDEX audit_events_kind ON audit_events (kind)",
    "CREATE INDEX audit_events_subject ON audit_events (subject)",
)

_RUNS = (
    """CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        connector TEXT NOT NULL,
        object TEXT NOT NULL,
        record_id TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        actor_kind TEXT NOT NULL,
        status TEXT NOT NULL,
        dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
        digest TEXT NOT NULL,
        revision_serial INTEGER REFERENCES revisions (serial),
        request TEXT NOT NULL,
        preview TEXT,
        decision TEXT,
        result TEXT
    )""",
    "CREATE INDEX runs_status ON runs (status)",
    "CREATE INDEX runs_connector_object ON runs (connector, object)",
    "CREATE INDEX runs_actor_id ON runs (actor_id)",
    """CREATE TABLE run_transitions (
        run_id TEXT NOT NULL REFERENCES runs (id),
        seq INTEGER NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID""",
    """CREATE TABLE approvals (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs (id),
        approver TEXT NOT NULL,
        decision TEXT NOT NULL CHECK (decision IN ('approve', 'reject')),
        reason TEXT NOT NULL DEFAULT '',
        digest TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT
    )""",
    "CREATE INDEX approvals_run_id ON approvals (run_id)",
    """CREATE TABLE evidence (
        run_id TEXT NOT NULL REFERENCES runs (id),
        seq INTEGER NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        content_type TEXT NOT NULL CHECK (content_type IN ('json', 'text')),
        content TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    )""",
)

_ONBOARDING_METERING = (
    """CREATE TABLE onboarding_steps (
        connector TEXT NOT NULL,
        step TEXT NOT NULL,
        first_at TEXT NOT NULL,
        last_at TEXT NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY (connector, step)
    )""",
    """CREATE TABLE governed_runs (
        run_id TEXT PRIMARY KEY REFERENCES runs (id),
        month TEXT NOT NULL,
        connector TEXT NOT NULL,
        dry_run INTEGER NOT NULL CHECK (dry_run IN (0, 1)),
        counted_at TEXT NOT NULL
    )""",
    "CREATE INDEX governed_runs_month ON governed_runs (month)",
)

MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "revisions, locks and audit trail", _REVISIONS_LOCKS_AUDIT),
    Migration(2, "runs, transitions, approvals and evidence", _RUNS),
    Migration(3, "onboarding progress and metering", _ONBOARDING_METERING),
)
LATEST_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    """Return the highest applied migration, or 0 for a database without one."""
    table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if table is None:
        return 0
    row = conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(
    conn: sqlite3.Connection,
    location: str,
    now: datetime,
    *,
    target: int | None = None,
) -> int:
    """Apply the migrations after the database's version up to ``target``.

    ``target`` defaults to the latest version. The caller must hold a write
    transaction (BEGIN IMMEDIATE), so that two processes opening a new file at once
    apply each migration only once. Returns the version the database has afterwards.
    """
    if target is None:
        target = LATEST_VERSION
    current = schema_version(conn)
    if current > LATEST_VERSION:
        raise StateError(
            f"state {location} has schema version {current}, but this actionplane"
            f" knows versions up to {LATEST_VERSION}: a newer actionplane wrote it."
            " Upgrade actionplane (pip install --upgrade actionplane) to use this state."
        )
    if current == 0:
        _reject_foreign_database(conn, location)
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                version INTEGER PRIMARY KEY,
                description TEXT NOT NULL,
                applied_at TEXT NOT NULL
            )"""
        )

    for migration in MIGRATIONS:
        if current < migration.version <= target:
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                (migration.version, migration.description, format_time(now)),
            )
    return max(current, min(target, LATEST_VERSION))


def _reject_foreign_database(conn: sqlite3.Connection, location: str) -> None:
    tables = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master"
            " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    if tables:
        raise StateError(
            f"{location} is an SQLite database with tables ({', '.join(tables[:5])})"
            " but no actionplane schema, so it is not an actionplane state file."
            " Pass --state with a new or existing actionplane state file."
        )
