"""Roll a run back: write the before values under the same guard.

An executed run can be rolled back, and so can a failed run whose write landed
but read back different values (a Zoho workflow changed a field, say). The
rollback is sent with ``If-Unmodified-Since`` set to the Modified_Time that the
read-back of the run's last landed write saw. When the record changed since (the
values read now differ, or Zoho returns 412), the rollback is refused and the
field differences are shown, because writing would erase someone else's edit.
``force`` overrides that: the record is read again and the write is guarded by
the fresh Modified_Time instead, and the override is audited with its reason.

NOTE: the rollback write is not decided by the rules and needs no approval;
anyone with access to the state store can roll back a run.
"""

from __future__ import annotations

import json

from actionplane.errors import RunError
from actionplane.runs.context import RunContext
from actionplane.runs.journal import (
    EVIDENCE_DIGESTS,
    EVIDENCE_RECORD,
    read_record,
    store_evidence,
    subject_of,
)
from actionplane.runs.lifecycle import EXECUTED, EXIT_CONFLICT, FAILED, RunOutcome
from actionplane.runs.preview import after_values, moved_fields, record_edits
from actionplane.runs.render import show_value
from actionplane.runs.resume import load_run
from actionplane.runs.specs import (
    landed_phase,
    post_write_record,
    post_write_time,
    rollback_spec,
)
from actionplane.runs.writer import send_write
from actionplane.state.models import Run
from actionplane.state.redact import REDACTED


def rollback_run(
    ctx: RunContext,
    run_id: str,
    *,
    actor: str,
    force: bool = False,
    reason: str = "",
) -> RunOutcome:
    if force and not reason.strip():
        raise RunError(
            "--force needs --reason: a forced rollback overwrites someone else's"
            " edit, and the audit trail records why."
        )
    run, warnings = load_run(ctx, run_id)
    phase = _rollback_source(run)
    _require_restorable(run)
    applied = ctx.applied()
    connector = applied.connector(run.connector)
    ctx.exchanges.drain()
    record = read_record(ctx, connector, run.object, run.record_id)
    written = post_write_record(run, phase)
    baseline = post_write_time(run, phase)
    edits = _edits_since_write(run, written, record, baseline)

    if edits and not force:
        outcome = _refuse(ctx, run, actor, record, edits)
    else:
        extra = {"forced": force, "reason": reason, "from_status": run.status}
        if force:
            extra["overwritten"] = edits
            baseline = record.get("Modified_Time")
        spec = rollback_spec(
            run, actor, baseline=baseline, expected_record=record, extra=extra
        )
        # NOTE: no audit entry records this item's digest, so `audit verify`
        # cannot detect an edit to it.
        with ctx.state.transaction():
            store_evidence(
                ctx, run.id, [(EVIDENCE_RECORD, "record read before rollback", record)]
            )
        outcome = send_write(ctx, run, connector, spec)
    outcome.warnings[:0] = warnings
    return outcome


def _rollback_source(run: Run) -> str:
    """Return the phase whose landed write the rollback undoes, or raise RunError."""
    phase = landed_phase(run) if run.status in (EXECUTED, FAILED) else None
    if phase is not None:
        return phase
    if run.status == FAILED:
        raise RunError(
            f"run {run.id} is failed, and no write of it is known to have landed:"
            " Zoho rejected it, or whether it landed could not be told. Check the"
            f" record in Zoho and `actionplane run show {run.id}`; submit a new run"
            " to change the record."
        )
    raise RunError(
        f"run {run.id} is {run.status}; only an executed run, or a failed run whose"
        " write landed, can be rolled back."
        f" See `actionplane run show {run.id}`."
    )


def _require_restorable(run: Run) -> None:
    """Raise when a before value was redacted when stored, so it is lost."""
    lost = [
        change["field"]
        for change in (run.preview or {}).get("changes") or []
        if REDACTED in json.dumps(change["before"])
    ]
    if lost:
        raise RunError(
            f"the before value of {', '.join(lost)} looked like a credential and was"
            f" stored as {REDACTED}, so run {run.id} cannot write it back. Restore"
            " the value in Zoho by hand."
        )


def _edits_since_write(
    run: Run,
    written: dict[str, object],
    record: dict[str, object],
    baseline: str | None,
) -> list[dict[str, object]]:
    """List what changed in the record after the run's last landed write."""
    if written:
        edits = record_edits(written, record)
    else:
        edits = moved_fields(after_values(run.preview or {}), record)
    if not edits and baseline is not None and record.get("Modified_Time") != baseline:
        edits = [
            {
                "field": "Modified_Time",
                "expected": baseline,
                "current": record.get("Modified_Time"),
            }
        ]
    return edits


def _refuse(
    ctx: RunContext,
    run: Run,
    actor: str,
    record: dict[str, object],
    edits: list[dict[str, object]],
) -> RunOutcome:
    with ctx.state.transaction():
        stored = store_evidence(
            ctx, run.id, [(EVIDENCE_RECORD, "record read before rollback", record)]
        )
        ctx.state.append_audit(
            "run.rollback_refused",
            actor,
            subject_of(run.id),
            {
                "fields": [e["field"] for e in edits],
                "digest": run.digest,
                EVIDENCE_DIGESTS: stored,
            },
        )
    names = ", ".join(str(e["field"]) for e in edits)
    return RunOutcome(
        ctx.state.get_run(run.id),
        EXIT_CONFLICT,
        f"The record changed after run {run.id} wrote it ({names}), so the rollback"
        " was refused: writing the before values would erase those edits. Nothing"
        " was written.",
        details=[
            f"{e['field']}: after the run {show_value(e['expected'])},"
            f" now {show_value(e['current'])}"
            for e in edits
        ],
        next_steps=[
            f'actionplane run rollback {run.id} --force --reason "..."',
        ],
    )
