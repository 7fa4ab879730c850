"""Execute an approved run: check its approvals and revision, then write once."""

from __future__ import annotations

from actionplane.errors import RunError
from actionplane.runs.applied import AppliedConfig
from actionplane.runs.approvals import (
    expired_approvals,
    required_approvals,
    valid_approvers,
)
from actionplane.runs.audit_check import require_audited_decision
from actionplane.runs.context import RunContext
from actionplane.runs.journal import EVIDENCE_CONFLICT, Step, commit_step
from actionplane.runs.lifecycle import (
    APPROVED,
    CONFLICT,
    EXECUTED,
    EXIT_CONFLICT,
    EXIT_PENDING,
    FAILED,
    PENDING_APPROVAL,
    ROLLED_BACK,
    RunOutcome,
)
from actionplane.runs.render import counted
from actionplane.runs.resume import load_run
from actionplane.runs.specs import execution_spec, landed_phase
from actionplane.runs.writer import send_write
from actionplane.state.clock import format_time
from actionplane.state.models import Run, RunTransition


def execute_run(ctx: RunContext, run_id: str) -> RunOutcome:
    """Write an approved run's changes, or return why they cannot be written now."""
    run, warnings = load_run(ctx, run_id)
    if run.status != APPROVED:
        transitions = ctx.state.run_transitions(run.id)
        raise RunError(_not_approved_message(run, transitions))
    require_audited_decision(ctx.state, run)
    outcome = write_approved(ctx, run, ctx.applied())
    outcome.warnings[:0] = warnings
    return outcome


def write_approved(ctx: RunContext, run: Run, applied: AppliedConfig) -> RunOutcome:
    """Check that the run may still be written, then send its write."""
    if run.revision_serial != applied.serial:
        return _revision_moved(ctx, run, applied)
    needed = required_approvals(run)
    approvals = ctx.state.list_approvals(run.id)
    approvers = valid_approvers(run, approvals, ctx.now())
    if len(approvers) < needed:
        return _approvals_lapsed(ctx, run, needed, approvers)
    connector = applied.connector(run.connector)
    return send_write(ctx, run, connector, execution_spec(run, ctx.actor))


def _not_approved_message(run: Run, transitions: list[RunTransition]) -> str:
    executed_at = _last_entered(transitions, EXECUTED)
    if executed_at is not None and run.status in (EXECUTED, ROLLED_BACK):
        undo = (
            f" Undo it with `actionplane run rollback {run.id}`."
            if run.status == EXECUTED
            else f" It was rolled back at {_last_entered(transitions, ROLLED_BACK)}."
        )
        return (
            f"run {run.id} was already executed at {executed_at}, and a run writes"
            f" only once. Submit a new run to write the change again.{undo}"
        )
    if run.status == PENDING_APPROVAL:
        return (
            f"run {run.id} is waiting for approval, so it cannot be executed yet."
            f" Ask an approver to run `actionplane run approve {run.id} --as USER`."
        )
    if run.status == FAILED and landed_phase(run) is not None:
        return (
            f"run {run.id} is failed, not approved: its write landed, but the"
            " read-back differed, and a run writes only once. Undo it with"
            f" `actionplane run rollback {run.id}`."
        )
    if run.dry_run:
        return (
            f"run {run.id} is a dry run, which never writes. Submit the change again"
            " without --dry-run to execute it."
        )
    return (
        f"run {run.id} is {run.status}, not approved, so it cannot be executed."
        f" See `actionplane run show {run.id}`."
    )


def _last_entered(transitions: list[RunTransition], status: str) -> str | None:
    """Return when the run last entered ``status``, or None if it never did."""
    times = [t.at for t in transitions if t.to_status == status]
    return format_time(times[-1]) if times else None


def _revision_moved(ctx: RunContext, run: Run, applied: AppliedConfig) -> RunOutcome:
    conflict = {
        "phase": "execution",
        "fields": [],
        "revision": {"decided_by": run.revision_serial, "active": applied.serial},
    }
    stored = commit_step(
        ctx,
        run,
        Step(
            CONFLICT,
            "run.execution_conflict",
            ctx.actor,
            audit={"active_revision": applied.serial},
            result={"conflict": conflict},
            evidence=[(EVIDENCE_CONFLICT, "revision changed", conflict)],
        ),
    )
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"Revision {applied.serial} was applied after revision {run.revision_serial}"
        " decided this run, so its decision and approvals no longer hold. Nothing"
        " was written; submit the change again.",
    )


def _approvals_lapsed(
    ctx: RunContext, run: Run, needed: int, approvers: list[str]
) -> RunOutcome:
    now = ctx.now()
    expired = expired_approvals(run, ctx.state.list_approvals(run.id), now)
    details = [
        f"approval by {a.approver} expired at {format_time(a.expires_at)}"
        for a in expired
        if a.expires_at is not None
    ]
    stored = commit_step(
        ctx,
        run,
        Step(
            PENDING_APPROVAL,
            "run.approval_expired",
            ctx.actor,
            audit={"valid": approvers, "expired": [a.approver for a in expired]},
        ),
    )
    return RunOutcome(
        stored,
        EXIT_PENDING,
        f"Run {run.id} needs {counted(needed, 'valid approval')} but has"
        f" {len(approvers)}:"
        " an approval expired. Nothing was written; the run waits for approval"
        " again.",
        details=details,
        next_steps=[f"actionplane run approve {run.id} --as USER"],
    )
