"""Run statuses, the exit codes of run commands, and the outcome of one command.

A run moves through these statuses::

    submit:   previewed (dry run) | denied | pending_approval | approved
    approve:  pending_approval -> approved, or -> conflict when the record moved
    reject:   pending_approval | approved -> rejected
    execute:  approved -> executing -> executed | failed | conflict
    rollback: executed | failed (write landed) -> rolling_back -> rolled_back | failed
    resume:   executing -> executed | approved | failed
              rolling_back -> rolled_back | failed | the status it started from

``executing`` and ``rolling_back`` are stored before the HTTP write is sent, so a
crash between the write and its recording leaves a status that shows a write may
have happened. Only a read-back of the record moves such a run on.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from actionplane.state.models import Run

PREVIEWED = "previewed"
DENIED = "denied"
PENDING_APPROVAL = "pending_approval"
APPROVED = "approved"
REJECTED = "rejected"
EXECUTING = "executing"
EXECUTED = "executed"
FAILED = "failed"
CONFLICT = "conflict"
ROLLING_BACK = "rolling_back"
ROLLED_BACK = "rolled_back"

STATUSES = (
    PREVIEWED,
    DENIED,
    PENDING_APPROVAL,
    APPROVED,
    REJECTED,
    EXECUTING,
    EXECUTED,
    FAILED,
    CONFLICT,
    ROLLING_BACK,
    ROLLED_BACK,
)
# Statuses in which a write may be in flight or may have landed unrecorded.
IN_FLIGHT = (EXECUTING, ROLLING_BACK)

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_PENDING = 10
EXIT_DENIED = 11
EXIT_CONFLICT = 12

EXIT_CODES_HELP = """\b
Exit codes:
  0   allowed: a dry run decided allow, a write executed and was verified,
      an approval completed, a rollback was verified, or a rejection was stored
  10  pending approval (also a dry run that would need approval)
  11  denied by the allowlist or the rules
  12  conflict or failed verification: the record changed, a read-back
      differs, or the fate of a write is unknown until `run resume`
  1   any other error (invalid input, no applied revision, Zoho unreachable)"""


@dataclass
class RunOutcome:
    """The result of one run command: the run as stored afterwards and how to go on.

    ``message`` states what happened in one or two sentences. ``details`` lists
    facts behind it, such as fields that moved. ``next_steps`` are commands the
    user can run next.
    """

    run: Run
    exit_code: int
    message: str
    details: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def exit_code_for(run: Run) -> int:
    """Return the exit code that describes a run's status after submit or show."""
    if run.status == DENIED or run.status == REJECTED:
        return EXIT_DENIED
    if run.status == PENDING_APPROVAL:
        return EXIT_PENDING
    if run.status in (CONFLICT, FAILED, *IN_FLIGHT):
        return EXIT_CONFLICT
    if run.status == PREVIEWED:
        route = (run.decision or {}).get("route")
        return EXIT_PENDING if route == "require_approval" else EXIT_OK
    return EXIT_OK
