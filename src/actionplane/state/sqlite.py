"""The SQLite state store, the embedded default."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from actionplane.errors import StateError
from actionplane.state import sqlite_schema
from actionplane.state.clock import Clock, utc_now
from actionplane.state.sqlite_base import DEFAULT_BUSY_TIMEOUT_MS, Synchronous
from actionplane.state.sqlite_locks import LockMethods
from actionplane.state.sqlite_revisions import RevisionMethods
from actionplane.state.sqlite_run_records import RunRecordMethods
from actionplane.state.sqlite_runs import RunMethods
from actionplane.state.sqlite_usage import UsageMethods


class SQLiteStateStore(
    RevisionMethods, LockMethods, RunMethods, RunRecordMethods, UsageMethods
):
    """A state store in one SQLite file, in WAL mode, shared safely by processes.

    Opening the file migrates its schema to the latest version. Each store object owns
    one connection and must stay in the thread that opened it.
    """

    def __init__(
        self,
        path: Path,
        *,
        clock: Clock = utc_now,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        synchronous: Synchronous = "FULL",
    ):
        super().__init__(
            path,
            clock=clock,
            busy_timeout_ms=busy_timeout_ms,
            synchronous=synchronous,
        )
        try:
            with self.transaction():
                sqlite_schema.migrate(self._conn, self.location, self._clock())
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StateError(
                f"updating state {path} to schema version {sqlite_schema.LATEST_VERSION}"
                f" failed: {exc}. The transaction was rolled back, so the file is"
                " unchanged. If it is an actionplane state file, report this error."
                " Otherwise pass --state with another path."
            ) from exc
        except BaseException:
            self.close()
            raise

    @property
    def schema_version(self) -> int:
        return sqlite_schema.schema_version(self._conn)
