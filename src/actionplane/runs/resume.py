"""Settle a run left in flight by reading the record back; never write again.

``run resume`` settles a run explicitly. ``load_run`` settles one that an
interrupted command left behind whenever another command touches it.
"""

from __future__ import annotations

from actionplane.errors import ActionPlaneError, RunError
from actionplane.runs.context import RunContext
from actionplane.runs.inflight import held_message, is_interrupted, lease_holder
from actionplane.runs.journal import (
    EVIDENCE_READ_BACK,
    Step,
    commit_step,
    read_record,
    subject_of,
)
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


def load_run(
    ctx: RunContext, run_id: str, *, allow_held: bool = False
) -> tuple[Run, list[str]]:
    """Return a run, settled first when an interrupted command left it in flight.

    Raises RunError while another live process is still writing the run,
    because no command may move the run on before that write's result is recorded.
    With ``allow_held`` (for commands that only read), such a run is returned
    as it is, with a warning. The second item contains warnings for the user,
    such as a settle that failed because Zoho could not be reached.
    """
    run = ctx.state.get_run(run_id)
    if run.status not in IN_FLIGHT:
        return run, []
    if not is_interrupted(run, ctx.now()):
        if allow_held:
            holder = lease_holder(run)
            return run, [f"run {run.id} has a write in progress, held by {holder}"]
        raise RunError(held_message(run))
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


def resume_run(
    ctx: RunContext, run_id: str, *, force: bool = False, reason: str = ""
) -> RunOutcome:
    """Settle a run in flight by a read-back once no live process is writing it.

    ``force`` settles it even while the lease holder runs and the lease has
    not expired, and records that override in the audit trail.
    """
    run = ctx.state.get_run(run_id)
    if run.status not in IN_FLIGHT:
        raise RunError(
            f"run {run_id} is {run.status}, so there is no write to resume. Check it"
            f" with `actionplane run show {run_id}`."
        )
    held = not is_interrupted(run, ctx.now())
    if held and not force:
        raise RunError(held_message(run))
    if held:
        with ctx.state.transaction():
            ctx.state.append_audit(
                "run.resume_forced",
                ctx.actor,
                subject_of(run.id),
                {
                    "status": run.status,
                    "lease": (run.result or {}).get("lease"),
                    "reason": reason,
                    "digest": run.digest,
                },
            )
    outcome = settle(ctx, run)
    if held:
        outcome.warnings.append(
            f"--force settled the run while {lease_holder(run)} still held its"
            " write. If that write lands after this read-back, the run will not"
            " show it, so check the record in Zoho"
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
