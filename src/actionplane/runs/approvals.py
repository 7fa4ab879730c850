"""Approve or reject a run that its rules sent to approval.

An approver must belong to a group that the matched rules name, and can never
be the requester. Before an approval is stored, the record is read again,
because the approval binds to the run digest. When a before value moved, or
another revision became active, the approval is rejected and the run is marked
``conflict`` so that it is submitted again. Approvals expire after the
workspace's ``approvals.expiresAfterHours``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from actionplane.errors import RunError
from actionplane.runs.applied import AppliedConfig
from actionplane.runs.audit_check import require_audited_decision
from actionplane.runs.context import RunContext
from actionplane.runs.controls import text_problem
from actionplane.runs.journal import (
    EVIDENCE_CONFLICT,
    EVIDENCE_DIGESTS,
    EVIDENCE_RECORD,
    Step,
    commit_step,
    read_record,
    store_evidence,
    subject_of,
)
from actionplane.runs.lifecycle import (
    APPROVED,
    CONFLICT,
    EXIT_CONFLICT,
    EXIT_OK,
    EXIT_PENDING,
    PENDING_APPROVAL,
    REJECTED,
    RunOutcome,
)
from actionplane.runs.preview import before_values, moved_fields, run_digest
from actionplane.runs.render import counted, show_value
from actionplane.runs.resume import load_run
from actionplane.state.clock import format_time
from actionplane.state.errors import ApprovalExistsError
from actionplane.state.models import Approval, Run


def required_approvals(run: Run) -> int:
    decision = run.decision or {}
    if decision.get("route") != "require_approval":
        return 0
    return max(1, int(decision.get("required_approvals") or 1))


def valid_approvers(run: Run, approvals: list[Approval], now: datetime) -> list[str]:
    """Return the distinct approvers whose approval still counts for the run."""
    approvers: dict[str, None] = {}
    for approval in approvals:
        expired = approval.expires_at is not None and approval.expires_at <= now
        if (
            approval.decision == "approve"
            and approval.digest == run.digest
            and approval.approver != run.actor_id
            and not expired
        ):
            approvers[approval.approver] = None
    return list(approvers)


def expired_approvals(
    run: Run, approvals: list[Approval], now: datetime
) -> list[Approval]:
    return [
        a
        for a in approvals
        if a.decision == "approve"
        and a.digest == run.digest
        and a.expires_at is not None
        and a.expires_at <= now
    ]


@dataclass
class ApproverGuidance:
    """Who may approve a run waiting for approval, as a submit outcome shows it.

    ``details`` lists each approver group with its members, ``next_steps`` the
    approve command (or the requester's withdrawal when nobody can approve),
    and ``warnings`` why the run cannot get its approvals.
    """

    details: list[str] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def approver_guidance(applied: AppliedConfig, run: Run) -> ApproverGuidance:
    """Name the approver groups and members of a run, and warn when nobody may approve.

    The requester never counts, so a group whose only member is the requester
    cannot approve the run.
    """
    guidance = ApproverGuidance()
    needed = required_approvals(run)
    if needed == 0:
        return guidance
    named = _approver_groups(run)
    groups = applied.workspace.groups
    eligible: dict[str, None] = {}
    for group in named:
        members = groups.get(group, ())
        guidance.details.append(
            f"approver group {group}: {', '.join(members) or 'no members'}"
        )
        eligible.update((m, None) for m in members if m != run.actor_id)
    if any(run.actor_id in groups.get(group, ()) for group in named):
        guidance.details.append(
            f"{run.actor_id} requested the run, so their approval does not count"
        )

    fix = (
        "Add members to the group in connectors.yaml and apply the change, then"
        " submit again."
    )
    if not named:
        guidance.warnings.append(
            f"nobody can approve run {run.id}: the rules that sent it to approval"
            " name no approver group. Add `approvers` to the rule (or fix the rule"
            " that failed at evaluation), apply the change and submit again."
        )
    elif not eligible:
        guidance.warnings.append(
            f"nobody can approve run {run.id}: {', '.join(named)}"
            f" {'has' if len(named) == 1 else 'have'} no member other than the"
            f" requester {run.actor_id}. {fix}"
        )
    elif len(eligible) < needed:
        guidance.warnings.append(
            f"run {run.id} can never be approved: it needs"
            f" {counted(needed, 'approval')} from different people, but only"
            f" {', '.join(eligible)} can approve it. {fix}"
        )

    if run.dry_run:
        return guidance
    if len(eligible) < needed or not named:
        guidance.next_steps.append(
            f'actionplane run reject {run.id} --as {run.actor_id} --reason "..."'
        )
    elif len(eligible) == 1:
        guidance.next_steps.append(
            f"actionplane run approve {run.id} --as {next(iter(eligible))}"
        )
    else:
        guidance.next_steps.append(f"actionplane run approve {run.id} --as USER")
        guidance.details.append(f"USER is one of: {', '.join(eligible)}")
    return guidance


def approve_run(
    ctx: RunContext, run_id: str, approver: str, reason: str = ""
) -> RunOutcome:
    _check_reason(reason)
    run, warnings = load_run(ctx, run_id)
    _require_pending(run)
    require_audited_decision(ctx.state, run)
    applied = ctx.applied()
    groups = _check_approver(applied, run, approver)
    approvals = ctx.state.list_approvals(run.id)
    if approver in valid_approvers(run, approvals, ctx.now()):
        raise RunError(_already_approved(run, approver))

    ctx.exchanges.drain()
    connector = applied.connector(run.connector)
    record = read_record(ctx, connector, run.object, run.record_id)
    expected = before_values(run.preview or {})
    current = {name: record.get(name) for name in expected}
    digest = run_digest(run.request, current, applied.revision_identity())
    if digest != run.digest:
        outcome = _reject_stale(ctx, run, applied, approver, expected, record)
    else:
        outcome = _store_approval(ctx, run, applied, approver, reason, groups, record)
    outcome.warnings[:0] = warnings
    return outcome


def reject_run(ctx: RunContext, run_id: str, user: str, reason: str) -> RunOutcome:
    """Reject a run; an approver or the requester (who withdraws it) may do so."""
    if not reason.strip():
        raise RunError("--reason is missing. Say why the run is rejected.")
    _check_reason(reason)
    run, warnings = load_run(ctx, run_id)
    if run.status not in (PENDING_APPROVAL, APPROVED):
        raise RunError(
            f"run {run.id} is {run.status}; only a run pending approval or approved"
            " and not yet executed can be rejected."
        )
    if user != run.actor_id:
        _check_approver(ctx.applied(), run, user)
    with ctx.state.transaction():
        ctx.state.add_approval(run.id, user, "reject", reason, run.digest)
        stored = commit_step(
            ctx,
            run,
            Step(REJECTED, "run.rejected", user, audit={"reason": reason}),
        )
    return RunOutcome(
        stored,
        EXIT_OK,
        f"Run {run.id} is rejected by {user}: {reason}",
        warnings=warnings,
    )


def _check_reason(reason: str) -> None:
    """Reject control characters in a reason that `run show` displays."""
    problem = text_problem("the reason", reason, multiline=True)
    if problem is not None:
        raise RunError(f"{problem}.")


def _already_approved(run: Run, approver: str) -> str:
    return (
        f"run {run.id} is already approved by {approver}, and one person's approval"
        f" counts once. It needs approvals from {required_approvals(run)} different"
        f" people in {', '.join(_approver_groups(run))}."
    )


def _require_pending(run: Run) -> None:
    if run.status == PENDING_APPROVAL:
        return
    if run.status == APPROVED:
        raise RunError(
            f"run {run.id} already has the approvals it needs. Execute it with"
            f" `actionplane run execute {run.id}`."
        )
    raise RunError(
        f"run {run.id} is {run.status}, not pending_approval, so it cannot be"
        f" approved. See `actionplane run show {run.id}`."
    )


def _approver_groups(run: Run) -> list[str]:
    return list((run.decision or {}).get("approvers") or [])


def _check_approver(applied: AppliedConfig, run: Run, user: str) -> list[str]:
    """Return the approver groups ``user`` belongs to, or raise RunError."""
    # Names differing only in case count as one person here, so that a request
    # by Dana.Lee cannot be approved by dana.lee.
    if user.casefold() == run.actor_id.casefold():
        raise RunError(
            f"{user} requested run {run.id} and cannot approve it. Ask a member of"
            f" {', '.join(_approver_groups(run)) or 'an approver group'}."
        )
    named = _approver_groups(run)
    if not named:
        raise RunError(
            f"the rules that sent run {run.id} to approval name no approver group,"
            " so nobody may approve it. Add `approvers` to the rule and apply the"
            " change, then submit the run again."
        )
    groups = applied.workspace.groups
    member_of = [group for group in named if user in groups.get(group, ())]
    if not member_of:
        listing = "; ".join(
            f"{group}: {', '.join(groups.get(group, ())) or 'no members'}"
            for group in named
        )
        raise RunError(
            f"{user} is not a member of an approver group of run {run.id}"
            f" ({listing}). Ask one of those members to approve it."
        )
    return member_of


def _store_approval(
    ctx: RunContext,
    run: Run,
    applied: AppliedConfig,
    approver: str,
    reason: str,
    groups: list[str],
    record: dict[str, Any],
) -> RunOutcome:
    now = ctx.now()
    expires = now + timedelta(hours=applied.workspace.approval_expiry_hours)
    needed = required_approvals(run)
    with ctx.state.transaction():
        try:
            ctx.state.add_approval(
                run.id, approver, "approve", reason, run.digest, expires_at=expires
            )
        except ApprovalExistsError:
            # Another command stored this person's approval after the check in
            # approve_run; the store keeps one approval per person.
            raise RunError(_already_approved(run, approver)) from None
        approvers = valid_approvers(run, ctx.state.list_approvals(run.id), now)
        complete = len(approvers) >= needed
        audit = {
            "groups": groups,
            "reason": reason,
            "digest": run.digest,
            "expires_at": format_time(expires),
            "approvals": len(approvers),
            "required": needed,
        }
        evidence = [(EVIDENCE_RECORD, f"record read at approval by {approver}", record)]
        if complete:
            stored = commit_step(
                ctx, run, Step(APPROVED, "run.approved", approver, audit, {}, evidence)
            )
        else:
            audit[EVIDENCE_DIGESTS] = store_evidence(ctx, run.id, evidence)
            ctx.state.append_audit(
                "run.approval_added", approver, subject_of(run.id), audit
            )
            stored = ctx.state.get_run(run.id)
    if complete:
        return RunOutcome(
            stored,
            EXIT_OK,
            f"{approver} approved run {run.id}; it has the"
            f" {counted(needed, 'approval')} it"
            f" needs. The approval expires at {format_time(expires)}.",
            next_steps=[f"actionplane run execute {run.id}"],
        )
    missing = needed - len(approvers)
    return RunOutcome(
        stored,
        EXIT_PENDING,
        f"{approver} approved run {run.id}; {counted(missing, 'more approval')}"
        f" from a different member of {', '.join(_approver_groups(run))} needed.",
        next_steps=[f"actionplane run approve {run.id} --as USER"],
    )


def _reject_stale(
    ctx: RunContext,
    run: Run,
    applied: AppliedConfig,
    approver: str,
    expected: dict[str, Any],
    record: dict[str, Any],
) -> RunOutcome:
    moved = moved_fields(expected, record)
    revision_moved = run.revision_serial != applied.serial
    conflict = {
        "phase": "approval",
        "fields": moved,
        "revision": {"decided_by": run.revision_serial, "active": applied.serial},
        "modified_time": record.get("Modified_Time"),
    }
    step = Step(
        CONFLICT,
        "run.approval_rejected",
        approver,
        audit={
            "fields": [m["field"] for m in moved],
            "active_revision": applied.serial,
        },
        result={"conflict": conflict},
        evidence=[
            (EVIDENCE_RECORD, f"record read at approval by {approver}", record),
            (EVIDENCE_CONFLICT, "approval digest mismatch", conflict),
        ],
    )
    stored = commit_step(ctx, run, step)
    reasons = []
    if moved:
        reasons.append(
            "the record changed after the preview in "
            + ", ".join(m["field"] for m in moved)
        )
    if revision_moved:
        reasons.append(
            f"revision {applied.serial} was applied after revision"
            f" {run.revision_serial} decided the run"
        )
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"The approval was rejected because the run digest no longer matches:"
        f" {'; and '.join(reasons)}. The run is marked conflict; submit it again"
        " so the preview and decision show the current values.",
        details=[
            f"{m['field']}: previewed {show_value(m['expected'])},"
            f" now {show_value(m['current'])}"
            for m in moved
        ],
        next_steps=[_resubmit_command(run)],
    )


def _resubmit_command(run: Run) -> str:
    changes = (run.request or {}).get("changes") or {}
    sets = " ".join(f"--set {name}=..." for name in changes)
    return (
        f"actionplane run submit --connector {run.connector} --object {run.object}"
        f" --record {run.record_id} {sets} --actor {run.actor_id} --reason ..."
    )
