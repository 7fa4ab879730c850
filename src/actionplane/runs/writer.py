"""Send one guarded write for a run, then verify it by reading the record back.

Execution and rollback share this path. The run is stored in flight (with a
lease) before the HTTP write, the write carries ``If-Unmodified-Since``, and the
record is read back and compared field by field afterwards. A write is never
sent twice: after an ambiguous failure the client reads the record back, and a
write whose fate is still unknown stays in flight until ``run resume``.
"""

from __future__ import annotations

from typing import Any

from actionplane.config.model import Connector
from actionplane.errors import ZohoError
from actionplane.runs.context import RunContext
from actionplane.runs.inflight import new_lease, writing
from actionplane.runs.journal import (
    EVIDENCE_READ_BACK,
    EVIDENCE_WRITE,
    Step,
    commit_step,
    read_record,
    stored_form,
)
from actionplane.runs.lifecycle import EXIT_CONFLICT, EXIT_OK, FAILED, RunOutcome
from actionplane.runs.preview import moved_fields
from actionplane.runs.progress import note_progress
from actionplane.runs.specs import WriteSpec, write_value
from actionplane.runs.write_outcomes import (
    NOT_SENT,
    conflict_outcome,
    mismatch_line,
    not_sent_outcome,
    phase_step,
    rejected_outcome,
)
from actionplane.state.clock import format_time
from actionplane.state.models import Run
from actionplane.zoho.errors import ZohoApiError, ZohoConflictError
from actionplane.zoho.writes import RecordWrite, WriteOutcome


def send_write(
    ctx: RunContext, run: Run, connector: Connector, spec: WriteSpec
) -> RunOutcome:
    """Store the run in flight, send the write and record what happened."""
    ctx.exchanges.drain()
    # Made before the run is stored in flight, so a client that cannot be made
    # (a disabled connector) leaves the run where it was.
    client = ctx.client(connector)
    facts = {
        "baseline": spec.baseline,
        "values": spec.values,
        "by": spec.actor,
        "started_at": format_time(ctx.now()),
        **spec.extra,
    }
    run = commit_step(
        ctx,
        run,
        Step(
            spec.in_flight,
            f"run.{spec.phase}_started",
            spec.actor,
            audit={"fields": sorted(spec.values), **spec.extra},
            result={"lease": new_lease(ctx.now()), spec.phase: facts},
        ),
    )
    with writing(run.id):
        try:
            write = client.update_record(
                run.object,
                run.record_id,
                {name: write_value(v) for name, v in spec.values.items()},
                if_unmodified_since=spec.baseline,
            )
        except ZohoConflictError as exc:
            return conflict_outcome(ctx, run, connector, spec, exc)
        except NOT_SENT as exc:
            return not_sent_outcome(ctx, run, spec, exc)
        except ZohoApiError as exc:
            return rejected_outcome(ctx, run, spec, exc)
    return finish_write(ctx, run, connector, spec, write)


def finish_write(
    ctx: RunContext,
    run: Run,
    connector: Connector,
    spec: WriteSpec,
    write: RecordWrite,
) -> RunOutcome:
    facts = write_facts(write)
    evidence = [(EVIDENCE_WRITE, f"{spec.phase} write", facts)]
    if write.outcome is WriteOutcome.NOT_LANDED:
        step = phase_step(run, spec, spec.not_sent, "not_landed", facts, evidence)
        stored = commit_step(ctx, run, step)
        return RunOutcome(
            stored,
            EXIT_CONFLICT,
            f"The {spec.phase} write did not land: {write.message.rstrip('.')}. Nothing changed"
            " in Zoho.",
        )
    if write.outcome is WriteOutcome.UNKNOWN:
        step = phase_step(run, spec, spec.in_flight, "unknown", facts, evidence)
        stored = commit_step(ctx, run, step)
        return RunOutcome(
            stored,
            EXIT_CONFLICT,
            f"The {spec.phase} write may or may not have landed: {write.message.rstrip('.')}.",
            next_steps=[f"actionplane run resume {run.id}"],
        )
    record = stored_form(write.read_back) if write.read_back is not None else None
    if write.source != "read_back" or record is None:
        try:
            record = read_record(ctx, connector, run.object, run.record_id)
        except ZohoError as exc:
            step = phase_step(run, spec, spec.in_flight, "landed", facts, evidence)
            stored = commit_step(ctx, run, step)
            return RunOutcome(
                stored,
                EXIT_CONFLICT,
                f"Zoho accepted the {spec.phase} write, but reading the record back"
                f" failed: {exc.message}",
                next_steps=[f"actionplane run resume {run.id}"],
            )
    return verify(ctx, run, spec, record, facts, evidence)


def verify(
    ctx: RunContext,
    run: Run,
    spec: WriteSpec,
    record: dict[str, Any],
    facts: dict[str, Any],
    evidence: list[tuple[str, str, Any]],
) -> RunOutcome:
    """Compare every written field with the record as read back, and store it."""
    mismatches = moved_fields(spec.values, record)
    verification = {
        "verified": not mismatches,
        "mismatches": mismatches,
        "modified_time": record.get("Modified_Time"),
        "checked_at": format_time(ctx.now()),
        "record": record,
    }
    evidence = [
        *evidence,
        (EVIDENCE_READ_BACK, f"{spec.phase} read-back", verification),
    ]
    status = spec.done if not mismatches else FAILED
    result = {**facts, "outcome": "landed", "verification": verification}
    step = phase_step(run, spec, status, "landed", result, evidence)
    stored = commit_step(ctx, run, step)
    note_progress(ctx, stored)
    if mismatches:
        names = ", ".join(item["field"] for item in mismatches)
        return RunOutcome(
            stored,
            EXIT_CONFLICT,
            f"The {spec.phase} write landed, but the read-back differs in {names}."
            " The run is failed; a rollback writes the before values back.",
            details=[mismatch_line(item) for item in mismatches],
            next_steps=[f"actionplane run rollback {run.id}"],
        )
    return RunOutcome(
        stored,
        EXIT_OK,
        f"The {spec.phase} write landed and the read-back matches every field"
        f" ({', '.join(spec.values)}).",
    )


def write_facts(write: RecordWrite) -> dict[str, Any]:
    return {
        "outcome": write.outcome.value,
        "source": write.source,
        "code": write.code,
        "message": write.message,
        "modified_time": write.modified_time,
        "ambiguity": write.ambiguity,
    }
