"""The SQLite connection, its settings and transactions, shared by the store's parts."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Self

from actionplane.errors import StateError
from actionplane.state.audit_chain import canonical_json
from actionplane.state.clock import Clock, format_time, utc_now
from actionplane.state.redact import redact

DEFAULT_BUSY_TIMEOUT_MS = 10_000

# In WAL mode both levels keep every commit atomic through a crash. FULL also syncs
# the WAL on each commit, so a committed run survives power loss. NORMAL syncs only
# at checkpoints, so power loss may undo the latest commits, but commits are faster.
Synchronous = Literal["FULL", "NORMAL"]

# SQLite result texts that come from the file or other processes, not from a bug.
_ENVIRONMENT_FAILURES = (
    "database is locked",
    "database or disk is full",
    "readonly database",
    "disk i/o error",
    "unable to open database",
)


class SQLiteBase:
    """The store's one SQLite connection and its transactions.

    Use one store object per thread. Separate processes and connections may share the
    file, because SQLite serializes their writes.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        synchronous: Synchronous = "FULL",
    ):
        self.path = path
        self.location = str(path)
        self._clock = clock
        self._depth = 0
        self._conn = _connect(path, busy_timeout_ms, synchronous)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block in one write transaction, or a savepoint when nested.

        The outermost level starts with BEGIN IMMEDIATE, which takes the database's
        write lock at once, so concurrent writers queue on busy_timeout rather than
        fail halfway. Any exception rolls the level back and propagates.
        """
        savepoint = f"level_{self._depth}"
        self._execute_control(
            "BEGIN IMMEDIATE" if self._depth == 0 else f"SAVEPOINT {savepoint}"
        )
        self._depth += 1
        try:
            yield
        except BaseException as exc:
            self._depth -= 1
            self._rollback(savepoint)
            environment = self._environment_error(exc)
            if environment is not None:
                raise environment from exc
            raise
        self._depth -= 1
        self._commit(savepoint)

    def _commit(self, savepoint: str) -> None:
        if self._depth > 0:
            self._conn.execute(f"RELEASE {savepoint}")
            return
        try:
            self._execute_control("COMMIT")
        except BaseException:
            # A failed COMMIT can leave the transaction open, which would make the
            # next BEGIN fail, so end it here.
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
            raise

    def _rollback(self, savepoint: str) -> None:
        # Some errors (disk full, I/O) make SQLite roll back the whole transaction
        # itself, and then the savepoint no longer exists.
        if not self._conn.in_transaction:
            return
        if self._depth > 0:
            self._conn.execute(f"ROLLBACK TO {savepoint}")
            self._conn.execute(f"RELEASE {savepoint}")
        else:
            self._conn.execute("ROLLBACK")

    def _execute_control(self, statement: str) -> None:
        try:
            self._conn.execute(statement)
        except sqlite3.OperationalError as exc:
            environment = self._environment_error(exc)
            if environment is None:
                raise
            raise environment from exc

    def _environment_error(self, exc: BaseException) -> StateError | None:
        if not isinstance(exc, sqlite3.OperationalError):
            return None
        text = str(exc).lower()
        if not any(failure in text for failure in _ENVIRONMENT_FAILURES):
            return None
        if "locked" in text:
            return StateError(
                f"state {self.location} stayed locked by another process past the busy"
                f" timeout ({exc}). Retry when the other actionplane command finishes."
            )
        return StateError(
            f"state {self.location} cannot be written: {exc}. Check the file's"
            " permissions and free disk space, or pass --state with another path."
        )

    def _now_text(self) -> str:
        return format_time(self._clock())


def dump_json(value: Any) -> str:
    """Serialize for storage after a defensive redaction of credentials."""
    return canonical_json(redact(value))


def load_json(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def _connect(
    path: Path, busy_timeout_ms: int, synchronous: Synchronous
) -> sqlite3.Connection:
    if synchronous not in ("FULL", "NORMAL"):
        raise ValueError(f"synchronous must be 'FULL' or 'NORMAL', not {synchronous!r}")
    _create_owner_only(path)
    try:
        conn = sqlite3.connect(
            path, isolation_level=None, timeout=busy_timeout_ms / 1000
        )
    except sqlite3.Error as exc:
        raise StateError(
            f"cannot open state {path}: {exc}. Check that the folder exists and is"
            " writable, or pass --state with another path."
        ) from exc

    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute(f"PRAGMA synchronous = {synchronous}")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StateError(
            f"{path} is not a usable SQLite state file: {exc}. If it held this"
            " workspace's state, restore it from a backup to keep its revisions and"
            " audit trail; otherwise pass --state with a new or existing actionplane"
            " state file."
        ) from exc
    return conn


def _create_owner_only(path: Path) -> None:
    """Create an empty file readable only by its owner, since runs hold CRM data.

    SQLite gives its -wal and -shm files the same permissions as the database.
    """
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise StateError(
            f"cannot create state {path}: {exc.strerror}. Check that the folder exists"
            " and is writable, or pass --state with another path."
        ) from exc
    os.close(descriptor)
