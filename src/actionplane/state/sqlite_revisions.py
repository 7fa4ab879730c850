"""Applied configuration revisions in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from actionplane.errors import StateError
from actionplane.state.clock import parse_time
from actionplane.state.errors import StaleRevisionError
from actionplane.state.models import Revision
from actionplane.state.sqlite_base import SQLiteBase, dump_json, load_json


class RevisionMethods(SQLiteBase):
    def active_revision(self) -> Revision | None:
        row = self._conn.execute(
            "SELECT * FROM revisions ORDER BY serial DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _revision_from_row(row)

    def revision(self, serial: int) -> Revision:
        row = self._conn.execute(
            "SELECT * FROM revisions WHERE serial = ?", (serial,)
        ).fetchone()
        if row is None:
            active = self.active_revision()
            known = (
                f"pass a serial from 1 to {active.serial}"
                if active is not None
                else "no revision has been applied yet, so run `actionplane apply` first"
            )
            raise StateError(
                f"revision {serial} not found in state {self.location}: {known}."
            )
        return _revision_from_row(row)

    def list_revisions(self, *, limit: int | None = None) -> list[Revision]:
        rows = self._conn.execute(
            "SELECT * FROM revisions ORDER BY serial DESC LIMIT ?",
            (-1 if limit is None else limit,),
        )
        return [_revision_from_row(row) for row in rows]

    def record_revision(
        self,
        *,
        expected_serial: int | None,
        git_commit: str | None,
        config_digest: str,
        metadata_digests: Mapping[str, str],
        config_snapshot: Mapping[str, Any],
        plan_id: str | None,
        plan_digest: str | None,
        applied_by: str,
        reason: str = "",
    ) -> Revision:
        with self.transaction():
            active = self.active_revision()
            active_serial = None if active is None else active.serial
            if active is not None and active_serial != expected_serial:
                raise StaleRevisionError(expected_serial, active)
            if active is None and expected_serial is not None:
                raise StateError(
                    f"this change was planned against revision {expected_serial}, but"
                    f" state {self.location} has no applied revision. Check --state,"
                    " then run `actionplane plan` again."
                )

            serial = (active_serial or 0) + 1
            self._conn.execute(
                "INSERT INTO revisions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    serial,
                    git_commit,
                    config_digest,
                    dump_json(dict(metadata_digests)),
                    dump_json(dict(config_snapshot)),
                    plan_id,
                    plan_digest,
                    applied_by,
                    self._now_text(),
                    reason,
                ),
            )
            return self.revision(serial)


def _revision_from_row(row: sqlite3.Row) -> Revision:
    return Revision(
        serial=row["serial"],
        git_commit=row["git_commit"],
        config_digest=row["config_digest"],
        metadata_digests=load_json(row["metadata_digests"]),
        config_snapshot=load_json(row["config_snapshot"]),
        plan_id=row["plan_id"],
        plan_digest=row["plan_digest"],
        applied_by=row["applied_by"],
        applied_at=parse_time(row["applied_at"]),
        reason=row["reason"],
    )
