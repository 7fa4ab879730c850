"""The writes a run sends: its execution and its rollback."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actionplane.runs.lifecycle import (
    APPROVED,
    CONFLICT,
    EXECUTED,
    EXECUTING,
    ROLLED_BACK,
    ROLLING_BACK,
)
from actionplane.runs.preview import after_values
from actionplane.state.models import Run

PHASE_EXECUTION = "execution"
PHASE_ROLLBACK = "rollback"


@dataclass
class WriteSpec:
    """The write of one phase (``execution`` or ``rollback``) and where it leads.

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


def execution_spec(run: Run, actor: str) -> WriteSpec:
    """Return the spec that writes the after values, guarded by the preview's read."""
    preview = run.preview or {}
    return WriteSpec(
        phase=PHASE_EXECUTION,
        in_flight=EXECUTING,
        done=EXECUTED,
        not_sent=APPROVED,
        on_conflict=CONFLICT,
        values=after_values(preview),
        baseline=preview.get("modified_time"),
        expected_record=preview.get("record") or {},
        actor=actor,
    )


def rollback_spec(
    run: Run,
    actor: str,
    *,
    baseline: str | None,
    expected_record: dict[str, Any],
    extra: dict[str, Any],
) -> WriteSpec:
    """Return the spec that writes the before values back.

    A 412, or a write that was not sent, leaves the run in the status the
    rollback started from (``extra["from_status"]``, executed or failed), so
    the rollback can be retried.
    """
    preview = run.preview or {}
    values = {change["field"]: change["before"] for change in preview["changes"]}
    from_status = str(extra.get("from_status") or EXECUTED)
    return WriteSpec(
        phase=PHASE_ROLLBACK,
        in_flight=ROLLING_BACK,
        done=ROLLED_BACK,
        not_sent=from_status,
        on_conflict=from_status,
        values=values,
        baseline=baseline,
        expected_record=expected_record,
        actor=actor,
        extra=extra,
    )


def landed_phase(run: Run) -> str | None:
    """Return the phase whose write was the last to land on the record, or None.

    A failed run may have one too: a write that landed but whose read-back
    differed. A write that Zoho rejected, or whose fate is unknown, does not
    count.
    """
    result = run.result or {}
    for phase in (PHASE_ROLLBACK, PHASE_EXECUTION):
        facts = result.get(phase) or {}
        if facts.get("outcome") == "landed" and facts.get("verification"):
            return phase
    return None


def post_write_record(run: Run, phase: str = PHASE_EXECUTION) -> dict[str, Any]:
    """Return the record as read back after the phase's write."""
    facts = (run.result or {}).get(phase) or {}
    verification = facts.get("verification") or {}
    return dict(verification.get("record") or {})


def post_write_time(run: Run, phase: str = PHASE_EXECUTION) -> str | None:
    facts = (run.result or {}).get(phase) or {}
    verification = facts.get("verification") or {}
    value = verification.get("modified_time") or facts.get("modified_time")
    return value if isinstance(value, str) else None


def in_flight_spec(run: Run, actor: str) -> WriteSpec:
    """Rebuild the spec of the write a run in flight sent, from what it stored."""
    if run.status == EXECUTING:
        spec = execution_spec(run, actor)
    else:
        phase = (run.result or {}).get(PHASE_ROLLBACK) or {}
        extra = {
            key: phase[key]
            for key in ("forced", "reason", "from_status")
            if key in phase
        }
        spec = rollback_spec(
            run,
            actor,
            baseline=phase.get("baseline"),
            expected_record=post_write_record(run),
            extra=extra,
        )
    stored = (run.result or {}).get(spec.phase) or {}
    if isinstance(stored.get("values"), dict):
        spec.values = stored["values"]
    if "baseline" in stored:
        spec.baseline = stored["baseline"]
    return spec
