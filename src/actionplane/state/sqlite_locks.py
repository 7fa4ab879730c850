"""Named, expiring locks in SQLite, safe across processes.

Every check-and-take runs inside BEGIN IMMEDIATE, which holds the database's single
write lock, so of two processes racing for a free lock exactly one inserts it.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from actionplane.errors import StateError
from actionplane.state.clock import format_time, parse_time
from actionplane.state.errors import LockHeldError
from actionplane.state.ids import new_lock_id
from actionplane.state.models import Lock
from actionplane.state.sqlite_audit import AuditMethods

DEFAULT_POLL_SECONDS = 0.1


class LockMethods(AuditMethods):
    def acquire_lock(
        self,
        name: str,
        holder: str,
        reason: str,
        ttl_seconds: float,
        *,
        wait_seconds: float = 0,
        poll_seconds: float = DEFAULT_POLL_SECONDS,
        holder_ended: Callable[[Lock], bool] | None = None,
    ) -> Lock:
        """Take the lock, polling up to ``wait_seconds`` while another holder has it.

        An expired lock is taken over, and so is an unexpired one for which
        ``holder_ended`` returns True. The takeover is written to the audit trail
        and returned in ``Lock.replaced``. Raises LockHeldError when the wait ends.
        """
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, not {ttl_seconds}")
        if wait_seconds > 0 and self.in_transaction:
            # Polling inside a transaction would keep the write lock the holder needs.
            raise ValueError("acquire_lock cannot wait inside a transaction")

        deadline = time.monotonic() + wait_seconds
        while True:
            lock, taken = self._try_acquire(
                name, holder, reason, ttl_seconds, holder_ended
            )
            if taken:
                return lock
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LockHeldError(lock, wait_seconds)
            time.sleep(min(poll_seconds, remaining))

    def renew_lock(self, lock_id: str, holder: str, ttl_seconds: float) -> Lock:
        """Move the expiry of a held lock to ``ttl_seconds`` from now."""
        with self.transaction():
            lock = self._held_lock(lock_id, holder)
            expires_at = self._clock() + timedelta(seconds=ttl_seconds)
            self._conn.execute(
                "UPDATE locks SET expires_at = ? WHERE id = ?",
                (format_time(expires_at), lock_id),
            )
            return replace(lock, expires_at=expires_at)

    def release_lock(self, lock_id: str, holder: str) -> None:
        with self.transaction():
            self._held_lock(lock_id, holder)
            self._conn.execute("DELETE FROM locks WHERE id = ?", (lock_id,))

    def list_locks(self) -> list[Lock]:
        rows = self._conn.execute("SELECT * FROM locks ORDER BY name")
        return [_lock_from_row(row) for row in rows]

    def force_unlock(self, lock_id: str, *, actor: str = "unknown") -> Lock:
        """Remove a lock whatever its holder, and record who did it in the audit trail."""
        with self.transaction():
            lock = self._find_lock(lock_id)
            if lock is None:
                raise StateError(
                    f"no lock with id {lock_id} in state {self.location}. List the"
                    " current locks with `actionplane lock list`."
                )
            self._conn.execute("DELETE FROM locks WHERE id = ?", (lock_id,))
            self.append_audit(
                "lock.force_unlocked", actor, f"lock:{lock.name}", _lock_payload(lock)
            )
            return lock

    def _try_acquire(
        self,
        name: str,
        holder: str,
        reason: str,
        ttl_seconds: float,
        holder_ended: Callable[[Lock], bool] | None,
    ) -> tuple[Lock, bool]:
        """Return the new lock and True, or the live lock in the way and False."""
        with self.transaction():
            now = self._clock()
            row = self._conn.execute(
                "SELECT * FROM locks WHERE name = ?", (name,)
            ).fetchone()
            current = None if row is None else _lock_from_row(row)
            # The audit payload names the replaced lock under the reason it was
            # taken over: "expired", or "holder_ended" before its expiry.
            cause = "expired"
            if current is not None and not current.is_expired(now):
                if holder_ended is None or not holder_ended(current):
                    return current, False
                cause = "holder_ended"

            if current is not None:
                self._conn.execute("DELETE FROM locks WHERE id = ?", (current.id,))
                payload = {cause: _lock_payload(current), "new_reason": reason}
                self.append_audit("lock.taken_over", holder, f"lock:{name}", payload)

            lock = Lock(
                id=new_lock_id(now),
                name=name,
                holder=holder,
                reason=reason,
                acquired_at=now,
                expires_at=now + timedelta(seconds=ttl_seconds),
            )
            self._conn.execute(
                "INSERT INTO locks VALUES (?, ?, ?, ?, ?, ?)",
                (
                    lock.id,
                    name,
                    holder,
                    reason,
                    format_time(lock.acquired_at),
                    format_time(lock.expires_at),
                ),
            )
            return replace(lock, replaced=current), True

    def _held_lock(self, lock_id: str, holder: str) -> Lock:
        lock = self._find_lock(lock_id)
        if lock is None:
            raise StateError(
                f"lock {lock_id} is no longer held by {holder}: it was force-unlocked,"
                " or it expired and another holder took it over, so work under it may"
                " have overlapped. Check `actionplane lock list` and `actionplane audit"
                " log` before going on."
            )
        if lock.holder != holder:
            raise StateError(
                f"lock {lock_id} ('{lock.name}') is held by {lock.holder}, not {holder}."
                f" Only its holder releases it; use `actionplane unlock {lock_id}` if"
                " that holder is gone."
            )
        return lock

    def _find_lock(self, lock_id: str) -> Lock | None:
        row = self._conn.execute(
            "SELECT * FROM locks WHERE id = ?", (lock_id,)
        ).fetchone()
        return None if row is None else _lock_from_row(row)


def _lock_from_row(row: sqlite3.Row) -> Lock:
    return Lock(
        id=row["id"],
        name=row["name"],
        holder=row["holder"],
        reason=row["reason"],
        acquired_at=parse_time(row["acquired_at"]),
        expires_at=parse_time(row["expires_at"]),
    )


def _lock_payload(lock: Lock) -> dict[str, str]:
    return {
        "lock_id": lock.id,
        "holder": lock.holder,
        "reason": lock.reason,
        "acquired_at": format_time(lock.acquired_at),
        "expires_at": format_time(lock.expires_at),
    }
