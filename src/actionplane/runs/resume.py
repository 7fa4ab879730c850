"""Settle a run left in flight by reading the record back; never write again.

``run resume`` settles a run explicitly. ``load_run`` settles one that an
interrupted command left behind whenever another command touches it.
"""

from __future__ import annotations

from actionplane.errors import ActionPlaneError, RunError
from actionplane.runs.context import RunContext
from actionplane.runs.inflight import is_interrupted, lease_holder
from actionplane.runs.journal import EVIDENCE_READ_BACK, Step, commit_step, read_record
from actionplane.runs.lifecycle import (
    EXIT_CONFLICT,
    FAILED,
    IN_FLIGHT,
    RunOutcome,
)
from actionplane.runs.preview import record_edits
from actionplane.runs.render import show_value
from actionplane.runs.specs import WriteSpec, in_flight_spec, write_value
from actionplane.runs.writer import verify
from actionplane.state.models import Run
from actionplane.zoho.writes import WriteOutcome, compare_read_back


def load_run(ctx: RunContext, run_id: str) -> tuple[Run, list[str]]:
    """Return a run, settled first when an interrupted command left it in flight.

    The second item contains warnings for the user, such as a settle that failed
    because Zoho could not be reached.
    """
    run = ctx.state.get_run(run_id)
    if not is_interrupted(run, ctx.now()):
        return run, []
    left = run.status
    try:
        outcome = settle(ctx, run)
    except ActionPlaneError as exc:
        return run, [
            f"run {run.id} was left {left} by an interrupted command, and reading"
            f" the record back failed: {exc.message}"
        ]
    return outcome.run, [
        f"run {run.id} was left {left} by an interrupted command; the record was"
        f" read back: {outcome.message}"
    ]


def resume_run(ctx: RunContext, run_id: str) -> RunOutcome:
    """Settle a run in flight by a read-back, whichever process left it there."""
    run = ctx.state.get_run(run_id)
    if run.status not in IN_FLIGHT:
        raise RunError(
            f"run {run_id} is {run.status}, so there is no write to resume. Check it"
            f" with `actionplane run show {run_id}`."
        )
    outcome = settle(ctx, run)
    if not is_interrupted(run, ctx.now()):
        outcome.warnings.append(
            f"the write was still held by {lease_holder(run)}; if that process"
            " records its result later, it will find the run already settled"
        )
    return outcome


def settle(ctx: RunContext, run: Run) -> RunOutcome:
    """Read the record and decide whether the run's pending write landed."""
    ctx.exchanges.drain()
    spec = in_flight_spec(run, ctx.actor)
    connector = ctx.applied().connector(run.connector)
    record = read_record(ctx, connector, run.object, run.record_id)
    sent = {name: write_value(value) for name, value in spec.values.items()}
    outcome = compare_read_back(sent, record, spec.baseline)
    facts = {"source": "resume", "resumed_by": ctx.actor}
    if outcome is WriteOutcome.LANDED:
        return verify(ctx, run, spec, record, facts, [])
    if outcome is WriteOutcome.NOT_LANDED:
        return _not_landed(ctx, run, spec, record)
    return _undecidable(ctx, run, spec, record)


def _not_landed(
    ctx: RunContext, run: Run, spec: WriteSpec, record: dict[str, object]
) -> RunOutcome:
    step = Step(
        spec.not_sent,
        f"run.{spec.phase}_not_landed",
        ctx.actor,
        audit={"source": "resume"},
        result={"lease": None, spec.phase: _phase(run, spec, "not_landed")},
        evidence=[(EVIDENCE_READ_BACK, f"{spec.phase} resume read-back", record)],
    )
    stored = commit_step(ctx, run, step)
    verb = "execute" if spec.phase == "execution" else "rollback"
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"The read-back shows the {spec.phase} write did not land, and the record"
        f" was not modified after {spec.baseline}. The run is {stored.status} again;"
        " nothing is written unless you ask.",
        next_steps=[f"actionplane run {verb} {run.id}"],
    )


def _undecidable(
    ctx: RunContext, run: Run, spec: WriteSpec, record: dict[str, object]
) -> RunOutcome:
    edits = record_edits(spec.expected_record, dict(record))
    step = Step(
        FAILED,
        f"run.{spec.phase}_failed",
        ctx.actor,
        audit={"source": "resume", "fields": [e["field"] for e in edits]},
        result={"lease": None, spec.phase: _phase(run, spec, "unknown")},
        evidence=[(EVIDENCE_READ_BACK, f"{spec.phase} resume read-back", record)],
    )
    stored = commit_step(ctx, run, step)
    return RunOutcome(
        stored,
        EXIT_CONFLICT,
        f"The record was modified after {spec.baseline} and does not hold the"
        f" values the {spec.phase} wrote, so whether that write landed cannot be"
        " told. The run is marked failed; check the record in Zoho and submit a"
        " new run if a change is still needed.",
        details=[f"{e['field']}: now {show_value(e['current'])}" for e in edits],
    )


def _phase(run: Run, spec: WriteSpec, outcome: str) -> dict[str, object]:
    phase = dict((run.result or {}).get(spec.phase) or {})
    phase.update({"outcome": outcome, "source": "resume", "resumed_by": spec.actor})
    return phase
