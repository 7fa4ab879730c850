"""Submit a run: read the record, preview, decide with the applied revision, store.

A request that names a field outside the allowlist is denied before the record
is read and before any rule runs, so it costs no Zoho call. Live runs that the
rules allow are executed at once.
"""

from __future__ import annotations

from typing import Any

from actionplane.config.model import Route
from actionplane.errors import RunError
from actionplane.rules.decision import Decision
from actionplane.rules.guard import check_allowlist
from actionplane.runs.applied import AppliedConfig
from actionplane.runs.approvals import approver_guidance
from actionplane.runs.context import RunContext
from actionplane.runs.execute import write_approved
from actionplane.runs.journal import (
    EVIDENCE_DECISION,
    EVIDENCE_DIGESTS,
    EVIDENCE_PREVIEW,
    EVIDENCE_RECORD,
    EVIDENCE_REQUEST,
    store_evidence,
    stored_form,
    subject_of,
)
from actionplane.runs.lifecycle import (
    APPROVED,
    DENIED,
    PENDING_APPROVAL,
    PREVIEWED,
    RunOutcome,
    exit_code_for,
)
from actionplane.runs.presets import apply_preset
from actionplane.runs.preview import (
    before_values,
    build_preview,
    rule_changes,
    run_digest,
    same_value,
    unread_preview,
)
from actionplane.runs.progress import note_progress
from actionplane.runs.render import show_value
from actionplane.runs.request import ChangeRequest, RunInput, resolve_request
from actionplane.state.audit_chain import content_digest
from actionplane.state.clock import format_time
from actionplane.state.models import Run


def submit_run(ctx: RunContext, given: RunInput) -> RunOutcome:
    ctx.exchanges.drain()
    applied = ctx.applied()
    apply_preset(given, applied, ctx.actor)
    request = resolve_request(applied, given)

    record, preview = _preview(ctx, applied, request)
    preview = stored_form(preview)
    rule_request = stored_form(request.rule_request(rule_changes(preview)))
    decision = applied.rules.decide(rule_request, record=record, now=ctx.now())
    decided = decision_evidence(decision, applied, format_time(ctx.now()))
    digest = run_digest(
        rule_request, before_values(preview), applied.revision_identity()
    )

    run = _store(ctx, request, rule_request, record, preview, decided, digest, applied)
    note_progress(ctx, run)
    if run.status == APPROVED:
        return write_approved(ctx, run, applied)
    guidance = approver_guidance(applied, run)
    return RunOutcome(
        run,
        exit_code_for(run),
        _decided_message(run, decision),
        details=guidance.details,
        next_steps=guidance.next_steps,
        warnings=guidance.warnings,
    )


def decision_evidence(
    decision: Decision, applied: AppliedConfig, decided_at: str
) -> dict[str, Any]:
    """Return the decision with the revision that made it, as stored with the run."""
    return {
        **decision.to_dict(),
        "revision": applied.revision_identity(),
        "decided_at": decided_at,
    }


def _preview(
    ctx: RunContext, applied: AppliedConfig, request: ChangeRequest
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    probe = request.rule_request(
        {
            name: {"before": None, "after": value}
            for name, value in request.values.items()
        }
    )
    if check_allowlist(applied.workspace, probe).denied:
        return None, unread_preview(request.values)

    client = ctx.client(request.connector)
    record = client.get_record(request.object, request.record_id)
    _check_stated_before(request, record)
    preview = build_preview(request.values, record, format_time(ctx.now()))
    if not preview["changes"]:
        same = ", ".join(item["field"] for item in preview["unchanged"])
        raise RunError(
            f"{request.object} record {request.record_id} already has the requested"
            f" value of {same}, so there is nothing to change. Request a different"
            " value."
        )
    return record, preview


def _check_stated_before(request: ChangeRequest, record: dict[str, Any]) -> None:
    """Raise RunError when a before value the request states is not the live one.

    Such a request was written against an older state of the record, so it is
    rejected before any decision. Nothing is stored, because a run always
    carries a preview and a decision.
    """
    stale = [
        (name, before, record.get(name))
        for name, before in request.stated_before.items()
        if not same_value(before, record.get(name))
    ]
    if not stale:
        return
    lines = [
        f"  - {name}: the request states before {show_value(before)}, the record"
        f" has {show_value(current)}"
        for name, before, current in stale
    ]
    raise RunError(
        f"{request.object} record {request.record_id} changed since the request was"
        f" written (Modified_Time {record.get('Modified_Time')}):\n"
        + "\n".join(lines)
        + "\nNothing was stored or written. Check the change against the current"
        " values, then submit again with the before values updated or left out."
    )


def _initial_status(route: str, dry_run: bool) -> str:
    if route == Route.DENY:
        return DENIED
    if dry_run:
        return PREVIEWED
    return APPROVED if route == Route.ALLOW else PENDING_APPROVAL


def _store(
    ctx: RunContext,
    request: ChangeRequest,
    rule_request: dict[str, Any],
    record: dict[str, Any] | None,
    preview: dict[str, Any],
    decided: dict[str, Any],
    digest: str,
    applied: AppliedConfig,
) -> Run:
    """Store the run with its evidence, audit entries and metering in one transaction.

    The run is created as previewed and then moved to its decided status, so its
    transitions show the lifecycle from the start.
    """
    state = ctx.state
    status = _initial_status(decided["route"], request.dry_run)
    with state.transaction():
        run = state.create_run(
            connector=request.connector.name,
            object=request.object,
            record_id=request.record_id,
            actor_id=request.actor["id"],
            actor_kind=request.actor["kind"],
            status=PREVIEWED,
            dry_run=request.dry_run,
            digest=digest,
            revision_serial=applied.serial,
            request=rule_request,
            preview=preview,
            decision=decided,
        )
        if status != PREVIEWED:
            run = state.update_run_status(run.id, PREVIEWED, status)
        evidence: list[tuple[str, str, Any]] = [
            (EVIDENCE_REQUEST, "request as submitted", rule_request)
        ]
        if record is not None:
            evidence.append((EVIDENCE_RECORD, "record read for the preview", record))
        evidence.append((EVIDENCE_PREVIEW, "preview", _preview_evidence(preview)))
        evidence.append((EVIDENCE_DECISION, "decision", decided))
        stored_evidence = store_evidence(ctx, run.id, evidence)
        state.append_audit(
            "run.submitted",
            request.actor["id"],
            subject_of(run.id),
            {
                "status": status,
                "route": decided["route"],
                "dry_run": request.dry_run,
                "connector": request.connector.name,
                "object": request.object,
                "record_id": request.record_id,
                "fields": [c["field"] for c in preview["changes"]],
                "matched_rules": decided["matched_rules"],
                "revision": applied.serial,
                "digest": digest,
                "decision_digest": content_digest(run.decision),
                "actor_kind": request.actor["kind"],
                "preset": request.preset,
                EVIDENCE_DIGESTS: stored_evidence,
            },
        )
        state.record_governed_run(run.id)
    return run


def _preview_evidence(preview: dict[str, Any]) -> dict[str, Any]:
    # The record read is stored as its own evidence item.
    return {key: value for key, value in preview.items() if key != "record"}


def _decided_message(run: Run, decision: Decision) -> str:
    reason = (decision.message or "see the decision trace").rstrip(".")
    if run.status == DENIED:
        return f"Denied: {reason}. Nothing was written."
    if run.status == PENDING_APPROVAL:
        return f"Approval required: {reason}. Nothing is written until it is approved."
    route = decision.route.value.replace("_", " ")
    return f"Dry run: the rules decide {route}. Nothing was written."
