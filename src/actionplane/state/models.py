"""Records the state store returns. All times are timezone-aware UTC datetimes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Revision:
    """One applied configuration. The revision with the highest serial is active."""

    serial: int
    git_commit: str | None
    config_digest: str
    metadata_digests: dict[str, str]  # connector name -> metadata snapshot digest
    config_snapshot: dict[str, Any]
    plan_id: str | None
    plan_digest: str | None
    applied_by: str
    applied_at: datetime
    reason: str


@dataclass(frozen=True, slots=True)
class Lock:
    """A named lock with its holder and expiry."""

    id: str
    name: str
    holder: str
    reason: str
    acquired_at: datetime
    expires_at: datetime
    # Set only on the value acquire_lock returns, when it took over an expired lock.
    replaced: Lock | None = field(default=None, compare=False)

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audit trail entry. ``hash`` covers every other field, ``prev_hash`` included."""

    seq: int
    at: datetime
    kind: str
    actor: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """A break in the audit chain: the entry where it shows and what is wrong."""

    seq: int
    problem: str


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """The result of checking the whole audit chain."""

    checked: int
    head_hash: str
    problems: tuple[AuditProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True, slots=True)
class Run:
    """One governed change to one CRM record."""

    id: str
    created_at: datetime
    updated_at: datetime
    connector: str
    object: str
    record_id: str
    actor_id: str
    actor_kind: str
    status: str
    dry_run: bool
    digest: str
    revision_serial: int | None
    request: dict[str, Any]
    preview: dict[str, Any] | None
    decision: dict[str, Any] | None
    result: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class RunTransition:
    """One status change of a run, in the order the store recorded it."""

    run_id: str
    seq: int
    from_status: str | None  # None for the status the run was created with
    to_status: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Approval:
    """An approve or reject decision, bound to the run digest the approver saw."""

    id: int
    run_id: str
    approver: str
    decision: str  # "approve" or "reject"
    reason: str
    digest: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Evidence:
    """A stored piece of run evidence: parsed JSON, or text when stored as text."""

    run_id: str
    seq: int
    kind: str
    name: str
    content: Any
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OnboardingStep:
    """Progress of one onboarding step of one connector."""

    connector: str
    step: str
    first_at: datetime
    last_at: datetime
    details: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MonthlyUsage:
    """Governed runs counted in one UTC calendar month (YYYY-MM)."""

    month: str
    dry_runs: int
    live_runs: int

    @property
    def total(self) -> int:
        return self.dry_runs + self.live_runs
