"""State store errors the caller may want to tell apart from other StateErrors."""

from __future__ import annotations

from actionplane.errors import StateError
from actionplane.state.clock import format_time
from actionplane.state.models import Approval, Lock, Revision


class LockHeldError(StateError):
    """Another holder has the lock and it has not expired."""

    def __init__(self, lock: Lock, waited_seconds: float):
        waited = f" Waited {waited_seconds:g}s." if waited_seconds > 0 else ""
        super().__init__(
            f"lock '{lock.name}' is held by {lock.holder} for"
            f" '{lock.reason or 'no reason given'}', acquired at"
            f" {format_time(lock.acquired_at)} and expiring at"
            f" {format_time(lock.expires_at)}.{waited} Wait for that holder to finish,"
            f" or run `actionplane unlock {lock.id}` if it is gone."
        )
        self.lock = lock


class StaleRevisionError(StateError):
    """A different revision became active after the caller read the active one."""

    def __init__(self, expected_serial: int | None, active: Revision):
        expected = (
            f"revision {expected_serial}"
            if expected_serial is not None
            else "no active revision"
        )
        commit = active.git_commit or "no git commit"
        super().__init__(
            f"revision {active.serial} ({commit}, applied by {active.applied_by}) became"
            f" active after this change was planned against {expected}. Run"
            f" `actionplane plan` again and review the change against revision"
            f" {active.serial}."
        )
        self.expected_serial = expected_serial
        self.active = active


class RunNotFoundError(StateError):
    """No run has the given id."""

    def __init__(self, run_id: str, location: str):
        super().__init__(
            f"run {run_id} not found in state {location}. List the stored runs with"
            " `actionplane run list`, or pass the --state file the run was made with."
        )
        self.run_id = run_id


class RunStatusConflictError(StateError):
    """A run is not in the status the caller expected, usually after a concurrent change."""

    def __init__(self, run_id: str, expected: str, actual: str, new: str):
        super().__init__(
            f"run {run_id} is {actual}, not {expected}, so it cannot move to {new}."
            " Another process changed it after it was read. Check it with"
            f" `actionplane run show {run_id}` before retrying."
        )
        self.run_id = run_id
        self.expected = expected
        self.actual = actual


class ApprovalExistsError(StateError):
    """An approval by this person of the run exists and has not expired."""

    def __init__(self, existing: Approval):
        expiry = (
            f", expiring at {format_time(existing.expires_at)}"
            if existing.expires_at is not None
            else ""
        )
        super().__init__(
            f"run {existing.run_id} is already approved by {existing.approver}"
            f" (at {format_time(existing.created_at)}{expiry}). One person's approval"
            " counts once; ask another member of an approver group to approve it."
        )
        self.existing = existing
