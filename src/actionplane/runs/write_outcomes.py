"""Record the outcome of a write that did not simply land and verify.

A 412 conflict, a write that was never sent, a write Zoho rejected, and the step
that stores any write's outcome and ends its lease.
"""

from __future__ import annotations

from typing import Any

from actionplane.config.model import Connector
from actionplane.errors import ZohoError
from actionplane.runs.context import RunContext
from actionplane.runs.journal import EVIDENCE_CONFLICT, Step, commit_step, read_record
from actionplane.runs.lifecycle import (
    EXIT_CONFLICT,
    EXIT_FAILURE,
    FAILED,
    RunOutcome,
)
from actionplane.runs.preview import record_edits
from actionplane.runs.render import show_value
from actionplane.runs.specs import WriteSpec
from actionplane.state.models import Run
from actionplane.zoho.errors import (
    ZohoApiError,
    ZohoAuthError,
    ZohoConflictError,
    ZohoConnectionError,
    ZohoCredentialError,
    ZohoRateLimitError,
    ZohoRequestError,
    ZohoServerError,
)

# Errors that mean Zoho did not process the write, so nothing changed in Zoho.
# A 5xx or a dropped connection after the request was sent raises none of them:
# the client's session returns an ambiguous write, which the client resolves by
# reading the record back.
NOT_SENT = (
    ZohoConnectionError,
    ZohoCredentialError,
    ZohoRequestError,
    ZohoAuthError,
    ZohoRateLimitError,
    ZohoServerError,
)


def phase_step(
    run: Run,
    spec: WriteSpec,
    status: str,
    outcome: str,
    facts: dict[str, Any],
    evidence: list[tuple[str, str, Any]],
) -> Step:
    """Build the step that records a write's outcome and ends or keeps the lease.

    A run kept in flight loses its lease too: this process is done with it, so
    the next command that touches the run may settle it by a read-back.
    """
    phase_result = {**(run.result or {}).get(spec.phase, {}), **facts}
    phase_result["outcome"] = outcome
    if status == spec.done:
        audit_kind = f"run.{status}"
    elif status == FAILED:
        audit_kind = f"run.{spec.phase}_failed"
    else:
        audit_kind = f"run.{spec.phase}_{outcome}"
    return Step(
        status,
        audit_kind,
        spec.actor,
        audit={"outcome": outcome, "modified_time": facts.get("modified_time")},
        result={"lease": None, spec.phase: phase_result},
        evidence=evidence,
    )


def conflict_outcome(
    ctx: RunContext,
    run: Run,
    connector: Connector,
    spec: WriteSpec,
    exc: ZohoConflictError,
) -> RunOutcome:
    try:
        current = read_record(ctx, connector, run.object, run.record_id)
    except ZohoError as error:
        current, unread = None, error.message
    edits = record_edits(spec.expected_record, current) if current else []
    conflict = {
        "phase": spec.phase,
        "baseline": spec.baseline,
        "modified_time": exc.modified_time,
        "fields": edits,
        "message": exc.message,
    }
    step = Step(
        spec.on_conflict,
        f"run.{spec.phase}_conflict",
        spec.actor,
        audit={
            "modified_time": exc.modified_time,
            "fields": [e["field"] for e in edits],
        },
        result={
            "lease": None,
            "conflict": conflict,
            spec.phase: {
                **(run.result or {}).get(spec.phase, {}),
                "outcome": "conflict",
                "code": exc.code,
                "message": exc.zoho_message,
            },
        },
        evidence=[(EVIDENCE_CONFLICT, f"{spec.phase} conflict", conflict)],
    )
    stored = commit_step(ctx, run, step)
    if current is None:
        changed = f"unknown, because reading the record failed: {unread}"
    else:
        changed = ", ".join(e["field"] for e in edits) or "none of its data fields"
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"Zoho rejected the {spec.phase} write with 412 ALREADY_MODIFIED: the record"
        f" was modified at {exc.modified_time}, after {spec.baseline}. Nothing was"
        f" written. Fields changed since: {changed}.",
        details=[_edit_line(e) for e in edits],
    )


def not_sent_outcome(
    ctx: RunContext, run: Run, spec: WriteSpec, exc: ZohoError
) -> RunOutcome:
    facts = {"error": exc.message}
    step = phase_step(run, spec, spec.not_sent, "not_sent", facts, [])
    step.audit["error"] = exc.message
    stored = commit_step(ctx, run, step)
    return RunOutcome(
        stored,
        EXIT_FAILURE,
        f"The {spec.phase} write was not sent, so nothing changed in Zoho: "
        f"{exc.message} The run is {stored.status} again; retry once that is fixed.",
    )


def rejected_outcome(
    ctx: RunContext, run: Run, spec: WriteSpec, exc: ZohoApiError
) -> RunOutcome:
    facts = {"outcome": "rejected", "code": exc.code, "error": exc.message}
    step = phase_step(run, spec, FAILED, "rejected", facts, [])
    step.audit["error"] = exc.message
    stored = commit_step(ctx, run, step)
    return RunOutcome(
        stored,
        EXIT_FAILURE,
        f"Zoho rejected the {spec.phase} write, so nothing was written: {exc.message}",
    )


def mismatch_line(item: dict[str, Any]) -> str:
    return (
        f"{item['field']}: wrote {show_value(item['expected'])},"
        f" read back {show_value(item['current'])}"
    )


def _edit_line(item: dict[str, Any]) -> str:
    return (
        f"{item['field']}: was {show_value(item['expected'])},"
        f" now {show_value(item['current'])}"
    )
