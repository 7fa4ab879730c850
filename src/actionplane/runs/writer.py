"""Send one guarded write for a run, then verify it by reading the record back.

Execution and rollback share this path. The run is stored in flight (with a
lease) before the HTTP write, the write carries ``If-Unmodified-Since``, and the
record is read back and compared field by field afterwards. A write is never
sent twice: after an ambiguous failure the client reads the record back, and a
write whose fate is still unknown stays in flight until ``run resume``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actionplane.config.model import Connector
from actionplane.errors import ZohoError
from actionplane.runs.context import RunContext
from actionplane.runs.inflight import new_lease, writing
from actionplane.runs.journal import (
    EVIDENCE_CONFLICT,
    EVIDENCE_READ_BACK,
    EVIDENCE_WRITE,
    Step,
    commit_step,
)
from actionplane.runs.lifecycle import (
    EXIT_CONFLICT,
    EXIT_FAILURE,
    EXIT_OK,
    FAILED,
    RunOutcome,
)
from actionplane.runs.preview import moved_fields, record_edits
from actionplane.runs.progress import note_progress
from actionplane.runs.render import show_value
from actionplane.state.clock import format_time
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
from actionplane.zoho.writes import RecordWrite, WriteOutcome

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


@dataclass
class WriteSpec:
    """How one phase (``execution`` or ``rollback``) writes and where it leads.

    ``values`` are written under ``If-Unmodified-Since: baseline``.
    ``expected_record`` is the record as the baseline read saw it, used to name
    what others changed when Zoho returns 412.
    """

    phase: str
    in_flight: str
    done: str
    not_sent: str  # status when nothing was written and the step may be retried
    on_conflict: str  # status after a 412
    values: dict[str, Any]
    baseline: str | None
    expected_record: dict[str, Any]
    actor: str
    extra: dict[str, Any] = field(default_factory=dict)


def write_value(value: Any) -> Any:
    """Return a value in the form Zoho accepts in a write: lookups by id only."""
    if isinstance(value, dict) and "id" in value:
        return {"id": value["id"]}
    return value


def send_write(
    ctx: RunContext, run: Run, connector: Connector, spec: WriteSpec
) -> RunOutcome:
    """Store the run in flight, send the write and record what happened."""
    ctx.exchanges.drain()
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
    client = ctx.client(connector)
    with writing(run.id):
        try:
            write = client.update_record(
                run.object,
                run.record_id,
                {name: write_value(v) for name, v in spec.values.items()},
                if_unmodified_since=spec.baseline,
            )
        except ZohoConflictError as exc:
            return _conflict(ctx, run, connector, spec, exc)
        except NOT_SENT as exc:
            return _not_sent(ctx, run, spec, exc)
        except ZohoApiError as exc:
            return _rejected(ctx, run, spec, exc)
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
        step = _phase_step(run, spec, spec.not_sent, "not_landed", facts, evidence)
        stored = commit_step(ctx, run, step)
        return RunOutcome(
            stored,
            EXIT_CONFLICT,
            f"The {spec.phase} write did not land: {write.message}. Nothing changed"
            " in Zoho.",
        )
    if write.outcome is WriteOutcome.UNKNOWN:
        step = _phase_step(run, spec, spec.in_flight, "unknown", facts, evidence)
        stored = commit_step(ctx, run, step)
        return RunOutcome(
            stored,
            EXIT_CONFLICT,
            f"The {spec.phase} write may or may not have landed: {write.message}.",
            next_steps=[f"actionplane run resume {run.id}"],
        )
    record = write.read_back
    if write.source != "read_back" or record is None:
        try:
            record = ctx.client(connector).get_record(run.object, run.record_id)
        except ZohoError as exc:
            step = _phase_step(run, spec, spec.in_flight, "landed", facts, evidence)
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
    step = _phase_step(run, spec, status, "landed", result, evidence)
    stored = commit_step(ctx, run, step)
    note_progress(ctx, stored)
    if mismatches:
        names = ", ".join(item["field"] for item in mismatches)
        return RunOutcome(
            stored,
            EXIT_CONFLICT,
            f"The {spec.phase} write landed, but the read-back differs in {names}.",
            details=[_mismatch_line(item) for item in mismatches],
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


def _phase_step(
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


def _conflict(
    ctx: RunContext,
    run: Run,
    connector: Connector,
    spec: WriteSpec,
    exc: ZohoConflictError,
) -> RunOutcome:
    try:
        current = ctx.client(connector).get_record(run.object, run.record_id)
        edits = record_edits(spec.expected_record, current)
    except ZohoError:
        edits = []
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
        result={"lease": None, "conflict": conflict},
        evidence=[(EVIDENCE_CONFLICT, f"{spec.phase} conflict", conflict)],
    )
    stored = commit_step(ctx, run, step)
    changed = ", ".join(e["field"] for e in edits) or "no data field we can name"
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"Zoho refused the {spec.phase} write with 412 ALREADY_MODIFIED: the record"
        f" was modified at {exc.modified_time}, after {spec.baseline}. Nothing was"
        f" written. Fields changed since: {changed}.",
        details=[_edit_line(e) for e in edits],
    )


def _not_sent(ctx: RunContext, run: Run, spec: WriteSpec, exc: ZohoError) -> RunOutcome:
    facts = {"error": exc.message}
    step = _phase_step(run, spec, spec.not_sent, "not_sent", facts, [])
    step.audit["error"] = exc.message
    stored = commit_step(ctx, run, step)
    return RunOutcome(
        stored,
        EXIT_FAILURE,
        f"The {spec.phase} write was not sent, so nothing changed in Zoho: "
        f"{exc.message} The run is {stored.status} again; retry once that is fixed.",
    )


def _rejected(
    ctx: RunContext, run: Run, spec: WriteSpec, exc: ZohoApiError
) -> RunOutcome:
    facts = {"outcome": "rejected", "code": exc.code, "error": exc.message}
    step = _phase_step(run, spec, FAILED, "rejected", facts, [])
    step.audit["error"] = exc.message
    stored = commit_step(ctx, run, step)
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"Zoho rejected the {spec.phase} write, so nothing was written: {exc.message}",
    )


def _mismatch_line(item: dict[str, Any]) -> str:
    return (
        f"{item['field']}: wrote {show_value(item['expected'])},"
        f" read back {show_value(item['current'])}"
    )


def _edit_line(item: dict[str, Any]) -> str:
    return (
        f"{item['field']}: was {show_value(item['expected'])},"
        f" now {show_value(item['current'])}"
    )
