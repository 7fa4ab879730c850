"""Onboarding progress and governed-run metering in SQLite.

A governed run, the billing unit, is a run that received a decision. Onboarding steps
are recorded for progress and evidence but never counted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from actionplane.errors import StateError
from actionplane.state.clock import format_time, month_of, parse_time
from actionplane.state.models import MonthlyUsage, OnboardingStep
from actionplane.state.sqlite_base import SQLiteBase, dump_json, load_json


class UsageMethods(SQLiteBase):
    def record_onboarding_step(
        self, connector: str, step: str, details: Mapping[str, Any]
    ) -> OnboardingStep:
        """Record that a step ran: keep its first time, update its last time and details."""
        with self.transaction():
            now = self._now_text()
            self._conn.execute(
                """INSERT INTO onboarding_steps VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (connector, step)
                DO UPDATE SET last_at = excluded.last_at, details = excluded.details""",
                (connector, step, now, now, dump_json(dict(details))),
            )
            row = self._conn.execute(
                "SELECT * FROM onboarding_steps WHERE connector = ? AND step = ?",
                (connector, step),
            ).fetchone()
            return _step_from_row(row)

    def onboarding_progress(self, connector: str) -> list[OnboardingStep]:
        """Return the connector's recorded steps in the order they first ran."""
        rows = self._conn.execute(
            """SELECT * FROM onboarding_steps WHERE connector = ?
            ORDER BY first_at, step""",
            (connector,),
        )
        return [_step_from_row(row) for row in rows]

    def record_governed_run(self, run_id: str) -> bool:
        """Count a decided run in the current UTC month and return True.

        Returns False, and counts nothing, for a run counted already. Dry or live
        comes from the run. Raises StateError for a run without a decision,
        since only decided runs are billable.
        """
        with self.transaction():
            row = self._conn.execute(
                "SELECT connector, dry_run, decision FROM runs WHERE id = ?", (run_id,)
            ).fetchone()
            if row is None or row["decision"] is None:
                state = "not found" if row is None else "has no decision yet"
                raise StateError(
                    f"run {run_id} {state} in state {self.location}, so it cannot be"
                    " counted as a governed run. Record the run's decision first."
                )
            now = self._clock()
            cursor = self._conn.execute(
                "INSERT OR IGNORE INTO governed_runs VALUES (?, ?, ?, ?, ?)",
                (
                    run_id,
                    month_of(now),
                    row["connector"],
                    row["dry_run"],
                    format_time(now),
                ),
            )
            return cursor.rowcount == 1

    def governed_run_counts(
        self, *, connector: str | None = None
    ) -> list[MonthlyUsage]:
        """Return governed runs per month, oldest month first, split dry and live."""
        where = "" if connector is None else "WHERE connector = ?"
        rows = self._conn.execute(
            f"""SELECT month, sum(dry_run) AS dry, sum(1 - dry_run) AS live
            FROM governed_runs {where} GROUP BY month ORDER BY month""",
            () if connector is None else (connector,),
        )
        return [MonthlyUsage(row["month"], row["dry"], row["live"]) for row in rows]


def _step_from_row(row: sqlite3.Row) -> OnboardingStep:
    return OnboardingStep(
        connector=row["connector"],
        step=row["step"],
        first_at=parse_time(row["first_at"]),
        last_at=parse_time(row["last_at"]),
        details=load_json(row["details"]),
    )
