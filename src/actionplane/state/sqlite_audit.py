"""The hash-chained audit trail in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from actionplane.state.audit_chain import (
    GENESIS_HASH,
    AuditRow,
    entry_hash,
    verify_chain,
)
from actionplane.state.clock import format_time, parse_time
from actionplane.state.models import AuditEvent, AuditVerification
from actionplane.state.sqlite_base import SQLiteBase, dump_json


class AuditMethods(SQLiteBase):
    def append_audit(
        self, kind: str, actor: str, subject: str, payload: Mapping[str, Any]
    ) -> AuditEvent:
        """Append one entry. Inside ``transaction()`` it commits or rolls back with
        the change it records, because it joins that transaction as a savepoint."""
        with self.transaction():
            last = self._conn.execute(
                "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            seq = 1 if last is None else last["seq"] + 1
            prev_hash = GENESIS_HASH if last is None else last["hash"]
            at = self._now_text()
            payload_text = dump_json(dict(payload))

            # Hash the payload as it will read back, e.g. with integer keys as strings.
            stored_payload = json.loads(payload_text)
            digest = entry_hash(
                seq, at, kind, actor, subject, stored_payload, prev_hash
            )
            self._conn.execute(
                "INSERT INTO audit_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, at, kind, actor, subject, payload_text, prev_hash, digest),
            )
        return AuditEvent(
            seq, parse_time(at), kind, actor, subject, stored_payload, prev_hash, digest
        )

    def audit_events(
        self,
        *,
        kind: str | None = None,
        actor: str | None = None,
        subject: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        after_seq: int | None = None,
        limit: int | None = None,
    ) -> list[AuditEvent]:
        """Return matching entries in seq order. ``since`` is inclusive, ``until`` not."""
        conditions = []
        params: list[Any] = []
        for column, value in (("kind", kind), ("actor", actor), ("subject", subject)):
            if value is not None:
                conditions.append(f"{column} = ?")
                params.append(value)
        if since is not None:
            conditions.append("at >= ?")
            params.append(format_time(since))
        if until is not None:
            conditions.append("at < ?")
            params.append(format_time(until))
        if after_seq is not None:
            conditions.append("seq > ?")
            params.append(after_seq)

        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        params.append(-1 if limit is None else limit)
        rows = self._conn.execute(
            f"SELECT * FROM audit_events {where} ORDER BY seq LIMIT ?", params
        )
        return [_event_from_row(row) for row in rows]

    def verify_audit(self, *, expected_head: str | None = None) -> AuditVerification:
        """Check the whole chain. A head hash kept elsewhere also catches a rebuild."""
        rows = self._conn.execute(
            f"SELECT {', '.join(AuditRow._fields)} FROM audit_events ORDER BY seq"
        )
        return verify_chain(
            (AuditRow(*tuple(row)) for row in rows), expected_head=expected_head
        )


def _event_from_row(row: sqlite3.Row) -> AuditEvent:
    return AuditEvent(
        seq=row["seq"],
        at=parse_time(row["at"]),
        kind=row["kind"],
        actor=row["actor"],
        subject=row["subject"],
        payload=json.loads(row["payload"]),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
