"""Governed runs and their status transitions in SQLite.

The store does not know the run lifecycle: ``update_run_status`` moves a run from the
status the caller read to any status the caller names, and rejects the move when
another process changed the status in between.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from actionplane.errors import StateError
from actionplane.state.clock import parse_time
from actionplane.state.errors import RunNotFoundError, RunStatusConflictError
from actionplane.state.ids import new_run_id
from actionplane.state.models import Run, RunTransition
from actionplane.state.sqlite_base import SQLiteBase, dump_json, load_json


class RunMethods(SQLiteBase):
    def create_run(
        self,
        *,
        connector: str,
        object: str,
        record_id: str,
        actor_id: str,
        actor_kind: str,
        status: str,
        dry_run: bool,
        digest: str,
        revision_serial: int | None,
        request: Mapping[str, Any],
        preview: Mapping[str, Any] | None = None,
        decision: Mapping[str, Any] | None = None,
        run_id: str | None = None,
    ) -> Run:
        """Insert a run with a new ``run_<ULID>`` id unless ``run_id`` is given."""
        with self.transaction():
            now = self._now_text()
            run_id = run_id or new_run_id(self._clock())
            values = {
                "id": run_id,
                "created_at": now,
                "updated_at": now,
                "connector": connector,
                "object": object,
                "record_id": record_id,
                "actor_id": actor_id,
                "actor_kind": actor_kind,
                "status": status,
                "dry_run": int(dry_run),
                "digest": digest,
                "revision_serial": revision_serial,
                "request": dump_json(dict(request)),
                "preview": _dump_optional(preview),
                "decision": _dump_optional(decision),
                "result": None,
            }
            columns = ", ".join(values)
            placeholders = ", ".join(f":{column}" for column in values)
            try:
                self._conn.execute(
                    f"INSERT INTO runs ({columns}) VALUES ({placeholders})", values
                )
            except sqlite3.IntegrityError as exc:
                raise self._run_insert_error(run_id, revision_serial, exc) from exc
            self._record_transition(run_id, None, status, now)
        return _run_from_row(values)

    def get_run(self, run_id: str) -> Run:
        row = self._conn.execute(
            "SELECT * FROM runs WHERE id = ?", (run_id,)
        ).fetchone()
        if row is None:
            raise RunNotFoundError(run_id, self.location)
        return _run_from_row(row)

    def list_runs(
        self,
        *,
        status: str | None = None,
        object: str | None = None,
        actor: str | None = None,
        connector: str | None = None,
        limit: int | None = None,
    ) -> list[Run]:
        """Return matching runs, newest first. ``actor`` matches the actor id.

        Rows are never deleted, so rowid order is creation order and needs no index.
        """
        filters = {
            "status": status,
            "object": object,
            "actor_id": actor,
            "connector": connector,
        }
        active_filters = {
            column: value for column, value in filters.items() if value is not None
        }
        conditions = [f"{column} = ?" for column in active_filters]
        params: list[Any] = list(active_filters.values())
        where = f"WHERE {' AND '.join(conditions)}" if conditions else ""
        params.append(-1 if limit is None else limit)
        rows = self._conn.execute(
            f"SELECT * FROM runs {where} ORDER BY rowid DESC LIMIT ?",
            params,
        )
        return [_run_from_row(row) for row in rows]

    def update_run_status(
        self,
        run_id: str,
        expected_status: str,
        new_status: str,
        *,
        digest: str | None = None,
        preview: Mapping[str, Any] | None = None,
        decision: Mapping[str, Any] | None = None,
        result: Mapping[str, Any] | None = None,
    ) -> Run:
        """Set the status, and each given field, if the run is still ``expected_status``.

        Raises RunStatusConflictError when the stored status differs. A change of
        status is recorded in ``run_transitions``.
        """
        with self.transaction():
            current = self.get_run(run_id)
            if current.status != expected_status:
                raise RunStatusConflictError(
                    run_id, expected_status, current.status, new_status
                )

            now = self._now_text()
            updates: dict[str, Any] = {"status": new_status, "updated_at": now}
            if digest is not None:
                updates["digest"] = digest
            json_fields = {"preview": preview, "decision": decision, "result": result}
            for column, value in json_fields.items():
                if value is not None:
                    updates[column] = dump_json(dict(value))

            assignments = ", ".join(f"{column} = ?" for column in updates)
            self._conn.execute(
                f"UPDATE runs SET {assignments} WHERE id = ? AND status = ?",
                [*updates.values(), run_id, expected_status],
            )
            if new_status != expected_status:
                self._record_transition(run_id, expected_status, new_status, now)
            return self.get_run(run_id)

    def run_transitions(self, run_id: str) -> list[RunTransition]:
        rows = self._conn.execute(
            "SELECT * FROM run_transitions WHERE run_id = ? ORDER BY seq", (run_id,)
        )
        return [
            RunTransition(
                run_id=row["run_id"],
                seq=row["seq"],
                from_status=row["from_status"],
                to_status=row["to_status"],
                at=parse_time(row["at"]),
            )
            for row in rows
        ]

    def _record_transition(
        self, run_id: str, from_status: str | None, to_status: str, at: str
    ) -> None:
        self._conn.execute(
            """INSERT INTO run_transitions
            SELECT ?, coalesce(max(seq), 0) + 1, ?, ?, ?
            FROM run_transitions WHERE run_id = ?""",
            (run_id, from_status, to_status, at, run_id),
        )

    def _run_insert_error(
        self, run_id: str, revision_serial: int | None, exc: sqlite3.IntegrityError
    ) -> StateError:
        if "FOREIGN KEY" in str(exc):
            return StateError(
                f"run {run_id} names revision {revision_serial}, which is not in state"
                f" {self.location}. Pass the serial of an applied revision."
            )
        return StateError(
            f"run {run_id} already exists in state {self.location}. Leave run_id"
            " unset to get a new id."
        )


def _dump_optional(value: Mapping[str, Any] | None) -> str | None:
    return None if value is None else dump_json(dict(value))


def _run_from_row(row: sqlite3.Row | Mapping[str, Any]) -> Run:
    return Run(
        id=row["id"],
        created_at=parse_time(row["created_at"]),
        updated_at=parse_time(row["updated_at"]),
        connector=row["connector"],
        object=row["object"],
        record_id=row["record_id"],
        actor_id=row["actor_id"],
        actor_kind=row["actor_kind"],
        status=row["status"],
        dry_run=bool(row["dry_run"]),
        digest=row["digest"],
        revision_serial=row["revision_serial"],
        request=load_json(row["request"]),
        preview=load_json(row["preview"]),
        decision=load_json(row["decision"]),
        result=load_json(row["result"]),
    )
