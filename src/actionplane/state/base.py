"""The state store interface that every backend implements.

A store holds revisions, locks, the audit trail, runs with their approvals and
evidence, onboarding progress and metering for one workspace. Data passed in must be
redacted already. Backends still run ``redact`` over stored JSON and evidence text
as a safeguard.

Every method that writes more than one row does so in one transaction. A caller that
groups several writes, such as a revision and the audit entry that records it, wraps
them in ``with store.transaction():`` so that they commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any, Protocol, Self

from actionplane.state.models import (
    Approval,
    AuditEvent,
    AuditVerification,
    Evidence,
    Lock,
    MonthlyUsage,
    OnboardingStep,
    Revision,
    Run,
    RunTransition,
)


class StateStore(Protocol):
    location: str  # path or URL for messages

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None:
        """Close the store."""
        ...

    def transaction(self) -> AbstractContextManager[None]:
        """Group writes in one transaction. Nested calls become savepoints in it."""
        ...

    # Revisions: the highest serial is the active revision.

    def active_revision(self) -> Revision | None: ...

    def revision(self, serial: int) -> Revision:
        """Return one revision, or raise StateError when the serial is unknown."""
        ...

    def list_revisions(self, *, limit: int | None = None) -> list[Revision]:
        """Return revisions newest first."""
        ...

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
        """Make a new revision active if ``expected_serial`` is still the active one.

        ``expected_serial`` is None when the plan was made with no active revision.
        Raises StaleRevisionError naming the revision that became active meanwhile.
        """
        ...

    # Locks

    def acquire_lock(
        self,
        name: str,
        holder: str,
        reason: str,
        ttl_seconds: float,
        *,
        wait_seconds: float = 0,
        holder_ended: Callable[[Lock], bool] | None = None,
    ) -> Lock:
        """Take a named lock, waiting up to ``wait_seconds`` for an unexpired holder.

        Takes over an expired lock, or an unexpired one for which ``holder_ended``
        returns True, and records the takeover in the audit trail. Raises
        LockHeldError naming holder, reason, acquired and expiry times.
        """
        ...

    def renew_lock(self, lock_id: str, holder: str, ttl_seconds: float) -> Lock: ...

    def release_lock(self, lock_id: str, holder: str) -> None:
        """Release a held lock.

        Raises StateError when the lock is gone or belongs to another holder.
        """
        ...

    def list_locks(self) -> list[Lock]: ...

    def force_unlock(self, lock_id: str, *, actor: str = "unknown") -> Lock:
        """Remove a lock whatever its holder, audit it and return the removed lock."""
        ...

    # Audit trail

    def append_audit(
        self, kind: str, actor: str, subject: str, payload: Mapping[str, Any]
    ) -> AuditEvent: ...

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
    ) -> list[AuditEvent]: ...

    def verify_audit(
        self, *, expected_head: str | None = None
    ) -> AuditVerification: ...

    # Runs

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
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run:
        """Return one run, or raise RunNotFoundError."""
        ...

    def list_runs(
        self,
        *,
        status: str | None = None,
        object: str | None = None,
        actor: str | None = None,
        connector: str | None = None,
        limit: int | None = None,
    ) -> list[Run]: ...

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
        """Move a run on, or raise RunStatusConflictError if it left ``expected_status``."""
        ...

    def run_transitions(self, run_id: str) -> list[RunTransition]: ...

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
        """Store an approve or reject decision on a run.

        Raises ApprovalExistsError when ``decision`` is approve and the approver
        already has an approval of the run that has not expired.
        """
        ...

    def list_approvals(self, run_id: str) -> list[Approval]: ...

    def add_evidence(
        self, run_id: str, kind: str, name: str, content: Any
    ) -> Evidence: ...

    def list_evidence(self, run_id: str) -> list[Evidence]: ...

    # Onboarding and metering

    def record_onboarding_step(
        self, connector: str, step: str, details: Mapping[str, Any]
    ) -> OnboardingStep: ...

    def onboarding_progress(self, connector: str) -> list[OnboardingStep]: ...

    def record_governed_run(self, run_id: str) -> bool: ...

    def governed_run_counts(
        self, *, connector: str | None = None
    ) -> list[MonthlyUsage]: ...
