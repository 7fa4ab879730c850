"""Approvals and evidence attached to runs, in SQLite."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from actionplane.state.clock import format_time, parse_time
from actionplane.state.errors import ApprovalExistsError, RunNotFoundError
from actionplane.state.models import Approval, Evidence
from actionplane.state.redact import redact_text
from actionplane.state.sqlite_base import SQLiteBase, dump_json, load_json

APPROVAL_DECISIONS = ("approve", "reject")


class RunRecordMethods(SQLiteBase):
    def add_approval(
        self,
        run_id: str,
        approver: str,
        decision: str,
        reason: str,
        digest: str,
        *,
        expires_at: datetime | None = None,
    ) -> Approval:
        """Store an approve or reject decision bound to the run digest the approver saw.

        The caller checks that the approver may decide, for example that the
        approver is not the requester and the digest is still current. The store
        checks only that a person has at most one unexpired approval of a run.
        The check and the insert share one write transaction, so of parallel
        approvals by one person one row is stored and the others raise
        ApprovalExistsError.
        """
        if decision not in APPROVAL_DECISIONS:
            raise ValueError(
                f"decision must be 'approve' or 'reject', not {decision!r}"
            )
        with self.transaction():
            self._require_run(run_id)
            created_at = self._now_text()
            if decision == "approve":
                self._require_no_live_approval(run_id, approver, created_at)
            expiry = None if expires_at is None else format_time(expires_at)
            cursor = self._conn.execute(
                """INSERT INTO approvals
                (run_id, approver, decision, reason, digest, created_at, expires_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (run_id, approver, decision, reason, digest, created_at, expiry),
            )
            row = self._conn.execute(
                "SELECT * FROM approvals WHERE id = ?", (cursor.lastrowid,)
            ).fetchone()
            return _approval_from_row(row)

    def list_approvals(self, run_id: str) -> list[Approval]:
        rows = self._conn.execute(
            "SELECT * FROM approvals WHERE run_id = ? ORDER BY id", (run_id,)
        )
        return [_approval_from_row(row) for row in rows]

    def add_evidence(self, run_id: str, kind: str, name: str, content: Any) -> Evidence:
        """Append evidence to a run: a ``str`` is stored as text, anything else as JSON."""
        if isinstance(content, str):
            content_type, text = "text", redact_text(content)
        else:
            content_type, text = "json", dump_json(content)

        values = {
            "run_id": run_id,
            "kind": kind,
            "name": name,
            "content_type": content_type,
            "content": text,
            "created_at": self._now_text(),
        }
        # One statement numbers and inserts the row, so it needs no transaction.
        try:
            row = self._conn.execute(
                """INSERT INTO evidence
                SELECT :run_id, coalesce(max(seq), 0) + 1, :kind, :name,
                    :content_type, :content, :created_at
                FROM evidence WHERE run_id = :run_id
                RETURNING seq""",
                values,
            ).fetchone()
        except sqlite3.IntegrityError as exc:
            # The foreign key on run_id is the existence check.
            raise RunNotFoundError(run_id, self.location) from exc
        values["seq"] = row["seq"]
        return _evidence_from_row(values)

    def list_evidence(self, run_id: str) -> list[Evidence]:
        rows = self._conn.execute(
            "SELECT * FROM evidence WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return [_evidence_from_row(row) for row in rows]

    def _require_no_live_approval(self, run_id: str, approver: str, now: str) -> None:
        # Expiry times are stored as fixed-width UTC text, so text order is time
        # order. An expired approval does not count, so its approver may
        # approve again.
        row = self._conn.execute(
            """SELECT * FROM approvals
            WHERE run_id = ? AND approver = ? AND decision = 'approve'
                AND (expires_at IS NULL OR expires_at > ?)
            ORDER BY id LIMIT 1""",
            (run_id, approver, now),
        ).fetchone()
        if row is not None:
            raise ApprovalExistsError(_approval_from_row(row))

    def _require_run(self, run_id: str) -> None:
        found = self._conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,))
        if found.fetchone() is None:
            raise RunNotFoundError(run_id, self.location)


def _approval_from_row(row: sqlite3.Row) -> Approval:
    expires_at = row["expires_at"]
    return Approval(
        id=row["id"],
        run_id=row["run_id"],
        approver=row["approver"],
        decision=row["decision"],
        reason=row["reason"],
        digest=row["digest"],
        created_at=parse_time(row["created_at"]),
        expires_at=None if expires_at is None else parse_time(expires_at),
    )


def _evidence_from_row(row: sqlite3.Row | Mapping[str, Any]) -> Evidence:
    text = row["content"]
    return Evidence(
        run_id=row["run_id"],
        seq=row["seq"],
        kind=row["kind"],
        name=row["name"],
        content=text if row["content_type"] == "text" else load_json(text),
        created_at=parse_time(row["created_at"]),
    )
